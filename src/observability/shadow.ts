/**
 * Shadow rules: a candidate rule set scrubs a copy of every event beside the active set. Only the
 * active set's output is ever forwarded; the candidate's output is compared and thrown away.
 * What is reported is where the two disagree, as (rule id, path) findings — which rule would fire
 * where the other set's would not — and, per event, whether the output would differ at all.
 * Values are compared in memory only and never reported.
 */
import type { Plan } from '../engine/plan';
import { scrubEvent, type Finding } from '../engine/scrub';
import type { ShadowOutcome } from './metrics';

const SEP = '\u0000';

/** Findings of one scrub: `ruleId \0 action \0 path` → how often. */
export type FindingTally = Map<string, number>;

export function tallyFinding(tally: FindingTally, f: Finding): void {
  const key = f.ruleId + SEP + f.action + SEP + f.path;
  tally.set(key, (tally.get(key) ?? 0) + 1);
}

/** One difference: `rule` fired `n` times at `path` (a raw finding path) in one set but not the other. */
export interface ShadowDifference {
  readonly rule: string;
  readonly path: string;
  readonly n: number;
}

export interface ShadowResult {
  readonly outcome: ShadowOutcome;
  /** Candidate rules that fired where the active rules did not. */
  readonly candidate: readonly ShadowDifference[];
  /** Active rules that fired where the candidate rules did not. */
  readonly active: readonly ShadowDifference[];
}

/** What the active rules did to one event (undefined output: the event was dropped). */
export interface ActiveResult {
  readonly tally: FindingTally;
  readonly output: unknown;
  readonly dropped: boolean;
}

function minus(a: FindingTally, b: FindingTally): ShadowDifference[] {
  const out: ShadowDifference[] = [];
  for (const [key, n] of a) {
    const extra = n - (b.get(key) ?? 0);
    if (extra <= 0) continue;
    const first = key.indexOf(SEP);
    const second = key.indexOf(SEP, first + 1);
    out.push({ rule: key.slice(0, first), path: key.slice(second + 1), n: extra });
  }
  return out;
}

/** A copy the candidate may scrub in place; undefined when the event cannot be cloned. */
export function shadowCopy(event: unknown): unknown {
  try {
    return structuredClone(event);
  } catch {
    return undefined;
  }
}

export class ShadowRunner {
  constructor(readonly plan: Plan) {}

  /** Scrubs `copy` (taken before the active scrub) with the candidate and compares. Never throws. */
  compare(copy: unknown, active: ActiveResult): ShadowResult {
    const tally: FindingTally = new Map();
    let output: unknown;
    let dropped = false;
    try {
      if (copy === undefined) throw new Error('uncloneable');
      output = scrubEvent(this.plan, copy, { onFinding: (f) => tallyFinding(tally, f) });
    } catch {
      dropped = true;
    }
    const candidate = minus(tally, active.tally);
    const activeOnly = minus(active.tally, tally);
    let outcome: ShadowOutcome;
    if (dropped && active.dropped) outcome = 'both_dropped';
    else if (dropped) outcome = 'candidate_dropped';
    else if (active.dropped) outcome = 'active_dropped';
    else if (candidate.length > 0 || activeOnly.length > 0) outcome = 'different';
    else outcome = sameOutput(active.output, output) ? 'same' : 'different';
    return { outcome, candidate, active: activeOnly };
  }
}

function sameOutput(a: unknown, b: unknown): boolean {
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}
