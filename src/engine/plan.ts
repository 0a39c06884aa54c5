/** The compiled, frozen form of a config: everything the walk needs, nothing it must parse. */
import type { Detector, IdentifierKind, SafeHarborLetter } from '../detectors/types';
import type { RuleAction } from '../config/schema';
import type { Pseudonymizer } from '../vault/types';
import type { GeneralizeAs, GeneralizeOptions } from './generalize';
import type { KeyMatcher, PathMatcher } from './matchers';
import type { UrlScrubOptions } from './url';
import type { Matcher } from './glob';

export type Mode = 'safe_harbor' | 'expert_determination';

/**
 * What a rule finds, as the `identifier_kind` metrics label shows it: a detector kind (`email`,
 * `zip`, `age`, …), or for a Safe Harbor letter with no finer kind its name (`location` for B,
 * `id` for R, …); `other` for custom patterns without a letter, `none` for rules without either.
 */
export type FindingKind = IdentifierKind | 'location' | 'id' | 'none';

export interface CompiledRule {
  /** Position in the combined rule list: earlier rules win ties. */
  readonly index: number;
  readonly id: string;
  readonly identifier: SafeHarborLetter | undefined;
  /** Resolved once here so counting a finding allocates nothing (see compile.ts `findingKind`). */
  readonly identifierKind: FindingKind;
  readonly action: RuleAction;
  /** Marker for whole-field `redact`; detector matches use the detector's marker unless set. */
  readonly marker: string | undefined;
  readonly fieldMarker: string;
  readonly generalizeAs: GeneralizeAs | undefined;
  readonly generalize: GeneralizeOptions;
  readonly namespace: string;
  /** Issues pseudonyms for `pseudonymize` rules (the vault, or HMAC in expert determination). */
  readonly pseudonymizer: Pseudonymizer | undefined;
  readonly url: UrlScrubOptions | undefined;
  /** `keep` with a shape: only strings matching it whole are kept; others are scanned. */
  readonly keepShape: { test(value: string): boolean } | undefined;
  /** Rule has detectors: it acts on matches inside strings, not on whole fields. */
  readonly detectorIds: readonly string[];
  readonly file: string;
}

/** A detector switched on by a rule; `priority` orders overlapping matches (lower wins). */
export interface DetectorBinding {
  readonly detector: Detector;
  readonly rule: CompiledRule;
  readonly priority: number;
}

export interface KeyRule {
  readonly matcher: KeyMatcher;
  readonly rule: CompiledRule;
}

export interface SuffixRule {
  /** Segment globs after `**`; the last one is tested against the key itself. */
  readonly segments: readonly Matcher[];
  readonly rule: CompiledRule;
}

export interface Plan {
  readonly mode: Mode;
  readonly rules: readonly CompiledRule[];
  /** Whole-field rules matched by property name. */
  readonly fieldKeyRules: readonly KeyRule[];
  /** Detector rules scoped to properties with these names (and their subtrees). */
  readonly scopedKeyRules: readonly KeyRule[];
  /** `**.parent.key` globs, checked from the key upwards (see matchers.ts). */
  readonly suffixRules: readonly SuffixRule[];
  /** Anchored path globs of field and scoped rules. */
  readonly paths: PathMatcher;
  /** Detector rules that apply to every string. */
  readonly global: readonly DetectorBinding[];
  /**
   * The global bindings of blob detectors (`claimsBlobs`: photo, biometric) that replace what they
   * find (redact, drop): a string one of them claims whole needs no other detector (see
   * `wholeValueClaim` in scrub.ts).
   */
  readonly wholeValueBindings: readonly DetectorBinding[];
  /** Bindings per scoped rule index. */
  readonly scopedBindings: ReadonlyMap<number, readonly DetectorBinding[]>;
  /** Every pseudonymizer the rules use (for vault size in `/readyz` and metrics). */
  readonly pseudonymizers: readonly Pseudonymizer[];
  readonly maxDepth: number;
  /** Longest string (value or property name) an event may hold. */
  readonly maxStringLength: number;
  /** Most properties one object may have. */
  readonly maxKeys: number;
  /** Detector ids in use, for `check`'s summary. */
  readonly detectorIds: readonly string[];
}
