/**
 * The hot path: one walk over an event, in place. Per property name the matching rules are
 * looked up once and cached (names repeat across events); per string, one pass measures its
 * features (digits, keyword starts, …: detectors/features.ts) and only the detectors whose gate
 * passes on them run; a value seen before under the same name is not scanned again (see
 * KeyInfo.scanned). No YAML, no regex compilation, no allocation for clean strings.
 */
import type { DetectContext, IdentifierKind, SafeHarborLetter, Span } from '../detectors/types';
import { measure, StringFeatures } from '../detectors/features';
import { normalizeKey } from '../detectors/util';
import { ScrubError } from '../errors';
import type { RuleAction } from '../config/schema';
import { generalizeNumber, generalizeText, type GeneralizeAs } from './generalize';
import { collapseKey, suffixMatches } from './matchers';
import type { CompiledRule, DetectorBinding, Plan, SuffixRule } from './plan';
import { isUrlLike, scrubUrl } from './url';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One change the engine made: what `phi-proxy explain` prints. Never holds the original value. */
export interface Finding {
  /** JSON path of the changed value, e.g. `properties.$set.email` or `batch[0].userId`. */
  path: string;
  ruleId: string;
  identifier: SafeHarborLetter | undefined;
  /** What was found: a detector's kind, or `field` when a rule matched the property itself. */
  kind: IdentifierKind | 'field' | 'key';
  action: RuleAction;
  /** The new value; undefined when the value was removed. */
  result: Json | undefined;
}

export interface ScrubOptions {
  /** Receives every change (slower: builds paths). */
  onFinding?: (finding: Finding) => void;
  /** `counts[rule.index]` is incremented for every change a rule makes (for logs and metrics). */
  counts?: Uint32Array;
}

/** Returned by the walk for a value that must be removed from its parent. */
const REMOVE: unique symbol = Symbol('remove');
type Visited = unknown;

const EMPTY_CTX: DetectContext = Object.freeze({ key: '' });

interface KeyInfo {
  readonly ctx: DetectContext;
  /** Whole-field rule matched by this name (keep wins, then the earliest rule), or undefined. */
  readonly fieldRule: CompiledRule | undefined;
  /** Detector rules scoped to this name. */
  readonly scoped: readonly DetectorBinding[] | undefined;
  /** undefined: the name is clean; null: the property must go; string: its scrubbed name. */
  readonly rename: string | null | undefined;
  /** The rule that changed the name. */
  readonly renameRule: CompiledRule | undefined;
  /** `**.parent.key` rules whose last segment is this name; their parents are checked per node. */
  readonly suffixes: readonly SuffixRule[] | undefined;
  /**
   * Values (up to 4,096 characters) already scanned under this name: null when nothing was found, else what the
   * scan gave. Analytics values repeat endlessly (`$pageview`, `Chrome`, versions, paths), and so
   * do those that carry an identifier (a page title with a patient's name rides on every event of
   * that page). The scan is a pure function of (value, name) for a plan: detectors are pure, and
   * the vault gives a value the same surrogate every time. So a repeat gets the same result and
   * the same findings without scanning again. Bounded (see remember).
   */
  readonly scanned: Map<string, Scanned | null>;
}

/** A remembered scan that changed its string: the result, and the changes to record again. */
interface Scanned {
  readonly result: string | typeof REMOVE;
  readonly changes: readonly RecordedChange[];
}

interface RecordedChange {
  readonly rule: CompiledRule;
  readonly kind: Finding['kind'];
  readonly result: Json | undefined;
}

/** Receives each change as it is made. */
interface Recorder {
  record(rule: CompiledRule, kind: Finding['kind'], result: Json | undefined): void;
}

/** Property names repeat endlessly across events; their rule lookups are cached per plan. */
const keyCaches = new WeakMap<Plan, Map<string, KeyInfo>>();
const KEY_CACHE_LIMIT = 50_000;
/**
 * Scan memo bounds: values up to this long (posthog-js `$elements_chain` strings run to a few
 * KB and repeat with every click on the same element), this many per name, this many values and
 * characters per plan.
 */
const SCAN_MEMO_MAX_LENGTH = 4_096;
const SCAN_MEMO_PER_KEY = 2_000;
const SCAN_MEMO_PER_PLAN = 60_000;
const SCAN_MEMO_CHARS_PER_PLAN = 8_000_000;
const scanMemoCounts = new WeakMap<Plan, { entries: number; chars: number }>();

function firstRule(a: CompiledRule | undefined, b: CompiledRule | undefined): CompiledRule | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a.action === 'keep' || b.action === 'keep') return a.action === 'keep' ? a : b;
  return a.index <= b.index ? a : b;
}

function keyCacheOf(plan: Plan): Map<string, KeyInfo> {
  let cache = keyCaches.get(plan);
  if (cache === undefined) {
    cache = new Map();
    keyCaches.set(plan, cache);
  }
  return cache;
}

function keyInfo(plan: Plan, cache: Map<string, KeyInfo>, key: string): KeyInfo {
  const cached = cache.get(key);
  if (cached !== undefined) return cached;

  const normalized = normalizeKey(key);
  const collapsed = collapseKey(normalized);
  let fieldRule: CompiledRule | undefined;
  for (const { matcher, rule } of plan.fieldKeyRules) {
    if (matcher.test(normalized, collapsed)) fieldRule = firstRule(fieldRule, rule);
  }
  let scoped: DetectorBinding[] | undefined;
  for (const { matcher, rule } of plan.scopedKeyRules) {
    if (matcher.test(normalized, collapsed)) (scoped ??= []).push(...plan.scopedBindings.get(rule.index)!);
  }
  const suffixes = plan.suffixRules.filter((r) => r.segments[r.segments.length - 1]!.test(key));
  // Property names can hold identifiers too (`{"jane@example.com": true}`).
  let renameRule: CompiledRule | undefined;
  const renamed = scanText(plan, key, EMPTY_CTX, plan.global, false, undefined, { record: (rule) => { renameRule ??= rule; } });
  const info: KeyInfo = Object.freeze({
    ctx: Object.freeze({ key: normalized }),
    fieldRule,
    scoped,
    rename: renamed === key ? undefined : renamed === REMOVE ? null : (renamed as string),
    renameRule,
    suffixes: suffixes.length > 0 ? suffixes : undefined,
    scanned: new Map<string, Scanned | null>(),
  });
  if (cache.size >= KEY_CACHE_LIMIT) cache.clear();
  cache.set(key, info);
  return info;
}

/** Sibling properties that name what a `value` property holds in form-field and key/value lists. */
const LABEL_KEYS = ['name', 'field', 'key', 'label', 'field_name', 'fieldName', 'type'] as const;
/** The value half of such a pair: `{"field": "ssn", "field_value": "…"}` as well as `value`. */
const VALUE_KEYS = ['value', 'field_value', 'fieldValue', 'input_value', 'inputValue', 'val'] as const;
const VALUE_KEY_SET: ReadonlySet<string> = new Set(VALUE_KEYS);
const hasOwn = Object.prototype.hasOwnProperty;

function hasValueKey(object: Record<string, unknown>): boolean {
  for (const key of VALUE_KEYS) if (hasOwn.call(object, key)) return true;
  return false;
}

/** `{"name": "fax", "value": "212…"}`: the label, when the object is such a pair. */
function labelOf(object: Record<string, unknown>): string | undefined {
  if (!hasValueKey(object)) return undefined;
  for (const key of LABEL_KEYS) {
    const label = object[key];
    if (typeof label === 'string' && label.length > 0 && label.length <= 64) return label;
  }
  return undefined;
}

/** The rules of a value property (`value`, `field_value`, …) labelled `label`: those of a property named `label`. */
function labelledValueInfo(plan: Plan, cache: Map<string, KeyInfo>, label: string): KeyInfo {
  const base = keyInfo(plan, cache, label);
  const cacheKey = '\u0000' + label; // no real property name starts with NUL
  let info = cache.get(cacheKey);
  if (info === undefined) {
    info = Object.freeze({ ...base, rename: undefined, renameRule: undefined, scanned: new Map<string, Scanned | null>() });
    cache.set(cacheKey, info);
  }
  return info;
}

interface Hit {
  span: Span;
  binding: DetectorBinding;
}

/**
 * The features of the string being scanned, measured once and read by every detector's gate.
 * One shared object: `collect` reads it before any nested scan (URL replacements run after
 * collection) can measure another string.
 */
const FEATURES = new StringFeatures();

function collect(value: string, ctx: DetectContext, bindings: readonly DetectorBinding[], hits: Hit[] | undefined, skipUrls: boolean): Hit[] | undefined {
  for (let i = 0; i < bindings.length; i++) {
    const binding = bindings[i]!;
    const detector = binding.detector;
    if (skipUrls && detector.kind === 'url') continue;
    if (detector.gate !== undefined ? !detector.gate(value, ctx, FEATURES) : !detector.prefilter(value, ctx)) continue;
    const spans = detector.find(value, ctx, FEATURES);
    for (let j = 0; j < spans.length; j++) (hits ??= []).push({ span: spans[j]!, binding });
  }
  return hits;
}

/** Most characters around a blob that do not stop it being one value (`data:image/png;base64,`). */
const BLOB_FRAME_CHARS = 64;

/**
 * A string that is one encoded blob (a `data:image/…` URI, a base64 biometric template) and that
 * a blob detector's rule (`claimsBlobs`: photo, biometric) replaces whole: that rule's hit, and
 * no other detector runs. Any other match would sit inside the blob and be dropped by
 * resolveOverlaps anyway; the one exception, another rule claiming the very same whole span with
 * a better priority, is given up on purpose (a blob is a photo or a biometric, whatever else its
 * characters spell). On the bench set the other 20 detectors spent ~180 µs on each such 100–240
 * character string.
 */
function wholeValueClaim(plan: Plan, value: string, ctx: DetectContext): Hit | undefined {
  const bindings = plan.wholeValueBindings;
  if (bindings.length === 0 || FEATURES.base64Run < 40 || value.length - FEATURES.base64Run > BLOB_FRAME_CHARS) return undefined;
  let first = 0;
  let last = value.length;
  while (first < last && value.charCodeAt(first) <= 32) first++;
  while (last > first && value.charCodeAt(last - 1) <= 32) last--;
  for (let i = 0; i < bindings.length; i++) {
    const binding = bindings[i]!;
    const detector = binding.detector;
    if (detector.gate !== undefined ? !detector.gate(value, ctx, FEATURES) : !detector.prefilter(value, ctx)) continue;
    const spans = detector.find(value, ctx, FEATURES);
    for (let j = 0; j < spans.length; j++) {
      const span = spans[j]!;
      if (span.start <= first && span.end >= last) return { span, binding };
    }
  }
  return undefined;
}

/**
 * Longest match first at each position; ties go to the scoped or earlier rule. A match that
 * starts inside a kept one and runs past its end is merged into it (one span covering both,
 * acted on by the longer match's rule): dropping it would leave its tail in place, e.g. the
 * address in `…/?ref=o'neil@example.com` after a URL match that stops at the apostrophe.
 */
function resolveOverlaps(hits: Hit[]): Hit[] {
  if (hits.length === 1) return hits;
  hits.sort((a, b) => a.span.start - b.span.start || (b.span.end - b.span.start) - (a.span.end - a.span.start) || a.binding.priority - b.binding.priority);
  const kept: Hit[] = [];
  let end = -1;
  for (const hit of hits) {
    if (hit.span.start < end) {
      const last = kept[kept.length - 1]!;
      if (hit.span.end > last.span.end) {
        const longer = hit.span.end - hit.span.start > last.span.end - last.span.start ? hit : last;
        kept[kept.length - 1] = { span: { start: last.span.start, end: hit.span.end, kind: longer.span.kind }, binding: longer.binding };
        end = hit.span.end;
      }
      continue;
    }
    kept.push(hit);
    end = hit.span.end;
  }
  return kept;
}

function replacementFor(plan: Plan, hit: Hit, text: string, inUrl: boolean): string {
  const { rule, detector } = hit.binding;
  switch (rule.action) {
    case 'generalize':
      return generalizeText(rule.generalizeAs ?? hit.span.kind, text, rule.generalize) ?? detector.marker;
    case 'pseudonymize':
      return rule.pseudonymizer!.isIssued(text) ? text : rule.pseudonymizer!.pseudonym(rule.namespace, text);
    case 'url':
      return inUrl || rule.url === undefined ? detector.marker : scrubUrl(text, rule.url);
    case 'redact':
      return rule.marker ?? detector.marker;
    default: // drop inside a URL or a name: the part goes, marked
      return detector.marker;
  }
}

/**
 * Runs detectors over one string and applies each match's rule. Returns the same string when
 * nothing matched, REMOVE when a `drop` rule matched (outside URLs).
 */
function scanText(
  plan: Plan,
  value: string,
  ctx: DetectContext,
  global: readonly DetectorBinding[],
  inUrl: boolean,
  extra: readonly DetectorBinding[] | undefined,
  run: Recorder | undefined,
): string | typeof REMOVE {
  if (value.length === 0) return value;
  measure(value, FEATURES);
  const claim = inUrl ? undefined : wholeValueClaim(plan, value, ctx);
  let hits = claim !== undefined ? [claim] : collect(value, ctx, global, undefined, inUrl);
  if (extra !== undefined) hits = collect(value, ctx, extra, hits, inUrl);
  if (hits === undefined) return value;
  const kept = resolveOverlaps(hits);
  if (!inUrl) {
    const drop = kept.find((h) => h.binding.rule.action === 'drop');
    if (drop) {
      run?.record(drop.binding.rule, drop.span.kind, undefined);
      return REMOVE;
    }
  }
  let out = '';
  let cursor = 0;
  for (const hit of kept) {
    const replacement = replacementFor(plan, hit, value.slice(hit.span.start, hit.span.end), inUrl);
    out += value.slice(cursor, hit.span.start) + replacement;
    cursor = hit.span.end;
    run?.record(hit.binding.rule, hit.span.kind, replacement);
  }
  out += value.slice(cursor);
  return out;
}

/**
 * Results of `scanUrlText` per plan. Query values and path segments repeat across URLs that are
 * not equal as a whole (`utm_source=google` on every landing page), and the scan is a pure
 * function of the text (the vault gives a value the same surrogate every time), so a bounded
 * memo saves the repeat work.
 */
const urlTextMemos = new WeakMap<Plan, Map<string, string>>();
const URL_TEXT_MEMO_MAX_LENGTH = 256;
const URL_TEXT_MEMO_ENTRIES = 10_000;

/** Detectors over text inside a URL (query values, path segments): never removes, never recurses into URLs. */
export function scanUrlText(plan: Plan, text: string): string {
  if (text.length > URL_TEXT_MEMO_MAX_LENGTH) return scanText(plan, text, EMPTY_CTX, plan.global, true, undefined, undefined) as string;
  let memo = urlTextMemos.get(plan);
  if (memo === undefined) urlTextMemos.set(plan, (memo = new Map()));
  const known = memo.get(text);
  if (known !== undefined) return known;
  const result = scanText(plan, text, EMPTY_CTX, plan.global, true, undefined, undefined) as string;
  if (memo.size >= URL_TEXT_MEMO_ENTRIES) memo.clear();
  memo.set(text, result);
  return result;
}

function inferGeneralizeAs(value: string): GeneralizeAs {
  const trimmed = value.trim();
  if (/^\d{5}(?:-\d{4})?$/.test(trimmed)) return 'zip';
  if (/^\d{1,3}$/.test(trimmed)) return 'age';
  if (/^[0-9a-f:.]+$/i.test(trimmed) && (trimmed.includes(':') || /^\d{1,3}(?:\.\d{1,3}){3}$/.test(trimmed))) return 'ip';
  return 'date';
}

/** One scrub call's mutable state: the JSON path (for explain) and the counters. */
class WalkRun implements Recorder {
  private readonly path: (string | number)[] = [];
  /** The plan's property-name cache, looked up once per event rather than once per property. */
  private readonly keys: Map<string, KeyInfo>;
  /** While scanLeaf scans a value it will remember, record() also keeps each change here. */
  private capturing = false;
  private captured: RecordedChange[] | undefined;
  constructor(private readonly plan: Plan, private readonly options: ScrubOptions) {
    this.keys = keyCacheOf(plan);
  }

  record(rule: CompiledRule, kind: Finding['kind'], result: Json | undefined): void {
    if (this.capturing) (this.captured ??= []).push({ rule, kind, result });
    if (this.options.counts) this.options.counts[rule.index]! += 1;
    if (this.options.onFinding) {
      this.options.onFinding({ path: this.pathString(), ruleId: rule.id, identifier: rule.identifier, kind, action: rule.action, result });
    }
  }

  private pathString(): string {
    let out = '';
    for (const part of this.path) {
      if (typeof part === 'number') out += `[${part}]`;
      else out += out === '' ? part : `.${part}`;
    }
    return out;
  }

  visit(value: unknown, info: KeyInfo, states: readonly number[], rule: CompiledRule | undefined, extra: readonly DetectorBinding[] | undefined, depth: number): Visited {
    if (depth > this.plan.maxDepth) throw new ScrubError(`event nests deeper than ${this.plan.maxDepth} levels`);
    if (value === null || value === undefined) return value;
    switch (typeof value) {
      case 'string':
        return this.visitString(value, info, rule, extra);
      case 'number':
        return rule ? this.applyFieldNumber(rule, value) : value;
      case 'boolean':
        return rule?.action === 'drop' ? REMOVE : value;
      case 'object':
        break;
      default:
        throw new ScrubError(`unsupported ${typeof value} value at ${this.pathString() || 'the root'}`);
    }
    if (rule?.action === 'keep') {
      // A shape describes strings: an object or array under a shaped keep is walked like any other.
      if (rule.keepShape === undefined) return value;
      rule = undefined;
    }
    if (rule?.action === 'drop') {
      this.record(rule, 'field', undefined);
      return REMOVE;
    }
    if (Array.isArray(value)) return this.visitArray(value, info, states, rule, extra, depth);
    // Plain objects only (from any realm): a Date, Map or class instance would hide its contents.
    const proto = Object.getPrototypeOf(value);
    if (proto !== null && Object.getPrototypeOf(proto) !== null) {
      throw new ScrubError(`unsupported object at ${this.pathString() || 'the root'}: events must be plain JSON`);
    }
    return this.visitObject(value as Record<string, unknown>, states, rule, extra, depth);
  }

  private visitString(value: string, info: KeyInfo, rule: CompiledRule | undefined, extra: readonly DetectorBinding[] | undefined): Visited {
    if (value.length > this.plan.maxStringLength) throw new ScrubError(`a string is longer than ${this.plan.maxStringLength} characters`);
    return rule ? this.applyField(rule, value, info) : this.scanLeaf(value, info, extra);
  }

  private visitArray(array: unknown[], info: KeyInfo, states: readonly number[], rule: CompiledRule | undefined, extra: readonly DetectorBinding[] | undefined, depth: number): unknown[] {
    let write = 0;
    for (let i = 0; i < array.length; i++) {
      this.path.push(i);
      const result = this.visit(array[i], info, states, rule, extra, depth + 1);
      this.path.pop();
      if (result !== REMOVE) array[write++] = result;
    }
    if (write !== array.length) array.length = write;
    return array;
  }

  private visitObject(object: Record<string, unknown>, states: readonly number[], inherited: CompiledRule | undefined, extra: readonly DetectorBinding[] | undefined, depth: number): Record<string, unknown> {
    const plan = this.plan;
    const label = labelOf(object);
    const keys = Object.keys(object);
    if (keys.length > plan.maxKeys) throw new ScrubError(`an object has more than ${plan.maxKeys} properties`);
    for (const key of keys) {
      if (key.length > plan.maxStringLength) throw new ScrubError(`a property name is longer than ${plan.maxStringLength} characters`);
      const info = label !== undefined && VALUE_KEY_SET.has(key) ? labelledValueInfo(plan, this.keys, label) : keyInfo(plan, this.keys, key);
      let fieldRule = info.fieldRule;
      let childExtra = extra;
      if (info.scoped) childExtra = childExtra ? [...childExtra, ...info.scoped] : info.scoped;
      let childStates = states;
      let matched: number[] | undefined;
      if (states.length > 0) {
        matched = [];
        childStates = plan.paths.step(states, key, matched);
      }
      if (info.suffixes !== undefined) {
        for (const suffix of info.suffixes) if (suffixMatches(suffix.segments, this.path)) (matched ??= []).push(suffix.rule.index);
      }
      if (matched !== undefined) {
        for (const index of matched) {
          const rule = plan.rules[index]!;
          if (rule.detectorIds.length === 0) fieldRule = firstRule(fieldRule, rule);
          else childExtra = childExtra ? [...childExtra, ...plan.scopedBindings.get(index)!] : plan.scopedBindings.get(index)!;
        }
      }
      // A rule matched here is more specific than one inherited from an ancestor.
      const rule = fieldRule ?? inherited;

      this.path.push(key);
      if (fieldRule !== undefined && fieldRule !== inherited && fieldRule.action === 'drop') {
        this.record(fieldRule, 'field', undefined);
        delete object[key];
        this.path.pop();
        continue;
      }
      const before = object[key];
      // Strings (most values) without the detour through `visit`: the same checks, in the same order.
      const after = typeof before === 'string' && depth < plan.maxDepth
        ? this.visitString(before, info, rule, childExtra)
        : this.visit(before, info, childStates, rule, childExtra, depth + 1);
      if (info.rename === undefined) {
        if (after === REMOVE) delete object[key];
        else if (after !== before) object[key] = after;
      } else {
        delete object[key];
        if (info.rename !== null && after !== REMOVE) {
          // defineProperty: a scrubbed name can never act as a `__proto__` setter.
          Object.defineProperty(object, info.rename, { value: after, enumerable: true, writable: true, configurable: true });
        }
        this.record(info.renameRule!, 'key', info.rename ?? undefined);
      }
      this.path.pop();
    }
    return object;
  }

  private scanLeaf(value: string, info: KeyInfo, extra: readonly DetectorBinding[] | undefined): Visited {
    if (extra !== undefined || value.length > SCAN_MEMO_MAX_LENGTH) return scanText(this.plan, value, info.ctx, this.plan.global, false, extra, this);
    const known = info.scanned.get(value);
    if (known === null) return value;
    if (known !== undefined) {
      for (const change of known.changes) this.record(change.rule, change.kind, change.result);
      return known.result;
    }
    this.capturing = true;
    this.captured = undefined;
    let result: string | typeof REMOVE;
    try {
      result = scanText(this.plan, value, info.ctx, this.plan.global, false, undefined, this);
    } finally {
      this.capturing = false;
    }
    const changes = this.captured;
    this.captured = undefined;
    // A scan that recorded changes but gave the value back (a URL already in its scrubbed form)
    // is remembered as clean, as before this memo held changed values: its repeats record nothing.
    this.remember(info, value, changes === undefined || result === value ? null : { result, changes });
    return result;
  }

  /**
   * Adds a scan to the memo, keeping it within its bounds: 8 M characters and 60,000 values per
   * plan, ~20 MB of heap at worst (100,000 values of 80 characters, half with a finding, held
   * 34 MB), so a worker stays under 150 MB. The memo holds the values it was given, as the vault
   * does; it lives as long as the plan (a reload starts a new one).
   */
  private remember(info: KeyInfo, value: string, scanned: Scanned | null): void {
    let count = scanMemoCounts.get(this.plan);
    if (count === undefined) scanMemoCounts.set(this.plan, (count = { entries: 0, chars: 0 }));
    if (count.entries >= SCAN_MEMO_PER_PLAN || count.chars + value.length > SCAN_MEMO_CHARS_PER_PLAN) {
      for (const keyInfo of keyCaches.get(this.plan)?.values() ?? []) keyInfo.scanned.clear();
      rootInfos.get(this.plan)?.scanned.clear();
      count.entries = 0;
      count.chars = 0;
    }
    if (info.scanned.size >= SCAN_MEMO_PER_KEY) {
      count.entries -= info.scanned.size;
      for (const known of info.scanned.keys()) count.chars -= known.length;
      info.scanned.clear();
    }
    info.scanned.set(value, scanned);
    count.entries++;
    count.chars += value.length;
  }

  private applyField(rule: CompiledRule, value: string, info: KeyInfo): Visited {
    let result: string | typeof REMOVE;
    switch (rule.action) {
      case 'keep':
        return rule.keepShape === undefined || rule.keepShape.test(value) ? value : this.scanLeaf(value, info, undefined);
      case 'drop':
        result = REMOVE;
        break;
      case 'redact':
        if (value === '' || value === rule.fieldMarker) return value;
        result = rule.fieldMarker;
        break;
      case 'generalize':
        result = generalizeText(rule.generalizeAs ?? inferGeneralizeAs(value), value, rule.generalize) ?? REMOVE;
        if (result === value) return value;
        break;
      case 'url':
        if (!isUrlLike(value)) return this.scanLeaf(value, info, undefined);
        result = scrubUrl(value, rule.url!);
        if (result === value) return value;
        break;
      case 'pseudonymize':
        if (value === '' || rule.pseudonymizer!.isIssued(value)) return value;
        result = rule.pseudonymizer!.pseudonym(rule.namespace, value);
        break;
    }
    this.record(rule, 'field', result === REMOVE ? undefined : result);
    return result;
  }

  private applyFieldNumber(rule: CompiledRule, value: number): Visited {
    let result: Json | typeof REMOVE;
    switch (rule.action) {
      case 'keep':
        return value;
      case 'drop':
        result = REMOVE;
        break;
      case 'redact':
        result = rule.fieldMarker;
        break;
      case 'generalize':
        result = generalizeNumber(rule.generalizeAs, value, rule.generalize) ?? REMOVE;
        if (result === value) return value;
        break;
      case 'url':
        result = REMOVE;
        break;
      case 'pseudonymize':
        result = rule.pseudonymizer!.pseudonym(rule.namespace, String(value));
        break;
    }
    this.record(rule, 'field', result === REMOVE ? undefined : result);
    return result;
  }
}

/** What stands for a property name at the root of an event, per plan (its memo holds that plan's results). */
const rootInfos = new WeakMap<Plan, KeyInfo>();
function rootInfo(plan: Plan): KeyInfo {
  let info = rootInfos.get(plan);
  if (info === undefined) {
    info = Object.freeze({ ctx: EMPTY_CTX, fieldRule: undefined, scoped: undefined, rename: undefined, renameRule: undefined, suffixes: undefined, scanned: new Map<string, Scanned | null>() });
    rootInfos.set(plan, info);
  }
  return info;
}

/**
 * Scrubs one event **in place** and returns it (strings at the root are returned anew).
 * Throws ScrubError when the event cannot be scrubbed; the caller must then drop it.
 *
 * @example
 *   const plan = compileRules();            // embedded Safe Harbor pack
 *   scrubEvent(plan, { event: 'signup', properties: { email: 'jane@example.com' } });
 *   // → { event: 'signup', properties: { email: '[EMAIL]' } }
 */
export function scrubEvent<T>(plan: Plan, event: T, options: ScrubOptions = {}): T {
  const run = new WalkRun(plan, options);
  let result: unknown;
  try {
    result = run.visit(event, rootInfo(plan), plan.paths.initial, undefined, undefined, 0);
  } catch (err) {
    if (err instanceof ScrubError) throw err;
    // Anything else is a bug, but still never a reason to let the event through.
    throw new ScrubError(`scrubbing failed (${(err as Error)?.name ?? 'error'})`, { cause: err });
  }
  return (result === REMOVE ? null : result) as T;
}
