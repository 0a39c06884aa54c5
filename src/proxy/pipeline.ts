/** decoded events → rule engine → encoded request: the format-agnostic middle of the proxy. */
import type { Plan } from '../engine/plan';
import { scrubEvent, type Finding } from '../engine/scrub';
import { ScrubError } from '../errors';
import type { DecodedBatch, LocalResponse, OutgoingRequest } from '../formats/types';
import { shadowCopy, tallyFinding, type FindingTally, type ShadowResult, type ShadowRunner } from '../observability/shadow';

/**
 * Optional observers of a batch. Pass them only when they are wanted: `onFinding` makes the
 * engine build a path per change, and a shadow run clones and scrubs every event twice.
 */
export interface BatchObserver {
  /** Every change the active rules make (the audit trail). Never record `result`. */
  readonly onFinding?: (finding: Finding) => void;
  /** Candidate rules run on a copy of each event; their output is never forwarded. */
  readonly shadow?: ShadowRunner;
  /** `envelope`: the comparison is of the batch envelope, not of an event. */
  readonly onShadow?: (result: ShadowResult, envelope: boolean) => void;
}

export interface ScrubOutcome {
  /** What to forward, or undefined when every event was dropped. */
  readonly outgoing: OutgoingRequest | undefined;
  /** The local answer when nothing is forwarded. */
  readonly local: LocalResponse | undefined;
  readonly eventsIn: number;
  readonly eventsOut: number;
  readonly dropped: number;
  /** Changes per rule index. */
  readonly counts: Uint32Array;
}

/**
 * Scrubs every event of a batch. An event that cannot be scrubbed is dropped (never forwarded);
 * in an all-or-nothing batch, or in the envelope, it fails the whole request (ScrubError).
 */
export function scrubBatch(plan: Plan, batch: DecodedBatch, observer?: BatchObserver): ScrubOutcome {
  const counts = new Uint32Array(plan.rules.length);
  const kept: unknown[] = [];
  let dropped = 0;
  if (observer?.shadow !== undefined) return scrubBatchShadowed(plan, batch, observer, observer.shadow, counts);
  const options = observer?.onFinding ? { counts, onFinding: observer.onFinding } : { counts };
  for (const event of batch.events) {
    try {
      kept.push(scrubEvent(plan, event, options));
    } catch (err) {
      if (!(err instanceof ScrubError) || batch.allOrNothing) throw err;
      dropped++;
    }
  }
  const envelope = batch.envelope === undefined ? undefined : scrubEvent(plan, batch.envelope, options);
  const eventsIn = batch.events.length;
  if (eventsIn > 0 && kept.length === 0) {
    return { outgoing: undefined, local: batch.emptyResponse, eventsIn, eventsOut: 0, dropped, counts };
  }
  return { outgoing: batch.encode(kept, envelope), local: undefined, eventsIn, eventsOut: kept.length, dropped, counts };
}

/** scrubBatch with shadow rules: the same result, plus a comparison per event (and the envelope). */
function scrubBatchShadowed(plan: Plan, batch: DecodedBatch, observer: BatchObserver, shadow: ShadowRunner, counts: Uint32Array): ScrubOutcome {
  const kept: unknown[] = [];
  let dropped = 0;
  let tally: FindingTally = new Map();
  const onFinding = (f: Finding): void => {
    tallyFinding(tally, f);
    observer.onFinding?.(f);
  };
  const options = { counts, onFinding };
  const one = (event: unknown, droppable: boolean): { output: unknown; dropped: boolean } => {
    tally = new Map();
    const copy = shadowCopy(event); // before the active scrub, which works in place
    let output: unknown;
    let failed: unknown;
    try {
      output = scrubEvent(plan, event, options);
    } catch (err) {
      failed = err;
    }
    observer.onShadow?.(shadow.compare(copy, { tally, output, dropped: failed !== undefined }), !droppable);
    if (failed !== undefined && (!droppable || !(failed instanceof ScrubError) || batch.allOrNothing)) throw failed;
    return { output, dropped: failed !== undefined };
  };
  for (const event of batch.events) {
    const result = one(event, true);
    if (result.dropped) dropped++;
    else kept.push(result.output);
  }
  const envelope = batch.envelope === undefined ? undefined : (one(batch.envelope, false).output as typeof batch.envelope);
  const eventsIn = batch.events.length;
  if (eventsIn > 0 && kept.length === 0) {
    return { outgoing: undefined, local: batch.emptyResponse, eventsIn, eventsOut: 0, dropped, counts };
  }
  return { outgoing: batch.encode(kept, envelope), local: undefined, eventsIn, eventsOut: kept.length, dropped, counts };
}

/** `{ruleId: count}` of the rules that changed something: what logs may say about a request. */
export function firedRules(plan: Plan, counts: Uint32Array): Record<string, number> {
  const fired: Record<string, number> = {};
  for (let i = 0; i < counts.length; i++) if (counts[i]! > 0) fired[plan.rules[i]!.id] = counts[i]!;
  return fired;
}
