/**
 * The contract every value detector implements. A detector is a pure module: it finds spans of
 * one identifier kind inside a string and never changes anything itself; the engine decides what
 * to do with each span (redact, generalize, pseudonymize, drop) from the rule that enabled it.
 */
import type { StringFeatures } from './features';

/** The 18 HIPAA Safe Harbor identifiers, 45 CFR 164.514(b)(2)(i)(A)–(R). */
export type SafeHarborLetter =
  | 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I'
  | 'J' | 'K' | 'L' | 'M' | 'N' | 'O' | 'P' | 'Q' | 'R';

/** What a span is, finer than the Safe Harbor letter: generalisation depends on it. */
export type IdentifierKind =
  | 'name' | 'address' | 'city' | 'zip' | 'geo' | 'date' | 'age'
  | 'phone' | 'fax' | 'email' | 'ssn' | 'mrn' | 'health_plan' | 'account' | 'card' | 'iban'
  | 'license' | 'vehicle' | 'device' | 'url' | 'ip' | 'biometric' | 'photo' | 'other';

/** One identifier found in a string: `value.slice(start, end)`. */
export interface Span {
  start: number;
  end: number;
  kind: IdentifierKind;
}

/**
 * What the engine knows about the string being scanned. `key` is the property name the string
 * sits under, normalised by `normalizeKey` (`firstName` → `first_name`; `''` at the root or for a
 * string that is itself an object key; for an array element, the array's key), so
 * detectors can accept weaker evidence in a field named for their identifier (a bare 9-digit
 * number under `ssn`, a plain word under `first_name`).
 */
export interface DetectContext {
  readonly key: string;
}

export interface Detector {
  /** Stable id used in rule files (`detectors: [email]`) and in findings. */
  readonly id: string;
  readonly letter: SafeHarborLetter;
  readonly kind: IdentifierKind;
  /** Default replacement for `redact`, e.g. `[EMAIL]`. */
  readonly marker: string;
  /**
   * The detector finds encoded blobs (a photo, a biometric template) and may claim a string that
   * is one blob whole: the engine then runs no other detector on it (see `wholeValueClaim`).
   */
  readonly claimsBlobs?: boolean;
  /**
   * Cheap test run before `find`: false means `find` would return nothing. It must be far
   * cheaper than `find` (a char scan, no allocation), since it runs on every string leaf.
   */
  prefilter(value: string, ctx: DetectContext): boolean;
  /**
   * The engine's prefilter: the same contract (false means `find` would return nothing), read
   * from the features the engine measured once for this string (see features.ts) instead of
   * scanning it again. May reject more than `prefilter` where `find` provably finds nothing.
   * Optional: without it the engine calls `prefilter`.
   */
  gate?(value: string, ctx: DetectContext, features: StringFeatures): boolean;
  /**
   * All non-overlapping spans, in ascending order. Must not throw on any input. The engine also
   * passes the string's features, which a detector may use to skip scans that cannot match;
   * the result must be the same with or without them.
   */
  find(value: string, ctx: DetectContext, features?: StringFeatures): Span[];
}

/** Options a deployment can set for the built-in detectors (config key `detectors`). */
export interface DetectorOptions {
  /** ISO 3166 regions whose national phone formats are accepted without a `+` prefix. */
  readonly phoneRegions: readonly string[];
}

export const DEFAULT_DETECTOR_OPTIONS: DetectorOptions = Object.freeze({
  phoneRegions: Object.freeze(['US']),
});

/** A factory builds a detector once, at rule-compile time, from the deployment's options. */
export type DetectorFactory = (options: DetectorOptions) => Detector;
