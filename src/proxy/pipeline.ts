/** decoded events → rule engine → encoded request: the format-agnostic middle of the proxy. */
import type { Plan } from '../engine/plan';
import { scrubEvent } from '../engine/scrub';
import { ScrubError } from '../errors';
import type { DecodedBatch, LocalResponse, OutgoingRequest } from '../formats/types';

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
export function scrubBatch(plan: Plan, batch: DecodedBatch): ScrubOutcome {
  const counts = new Uint32Array(plan.rules.length);
  const kept: unknown[] = [];
  let dropped = 0;
  for (const event of batch.events) {
    try {
      kept.push(scrubEvent(plan, event, { counts }));
    } catch (err) {
      if (!(err instanceof ScrubError) || batch.allOrNothing) throw err;
      dropped++;
    }
  }
  const envelope = batch.envelope === undefined ? undefined : scrubEvent(plan, batch.envelope, { counts });
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
