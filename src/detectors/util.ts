/** Small helpers shared by detectors. Hot path: no allocation beyond the spans returned. */
import type { IdentifierKind, Span } from './types';

/**
 * Collects the matches of a global (`g`) regex as spans, keeping only those `accept` approves.
 * `accept` gets the match and the index of the match; it is where checksums and context rules go.
 */
export function scan(
  re: RegExp,
  value: string,
  kind: IdentifierKind,
  accept?: (match: RegExpExecArray) => boolean,
  group = 0,
): Span[] {
  const spans: Span[] = [];
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) {
    if (m[0].length === 0) { re.lastIndex++; continue; }
    if (accept === undefined || accept(m)) {
      const text = m[group];
      if (text === undefined) continue;
      const start = group === 0 ? m.index : m.index + m[0].indexOf(text);
      spans.push({ start, end: start + text.length, kind });
    }
  }
  return spans;
}

/** True when `value` contains at least one ASCII digit. */
export function hasDigit(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

/** True when `value` has at least `min` ASCII digits; stops as soon as it knows. */
export function hasDigits(value: string, min: number): boolean {
  let n = 0;
  for (let i = 0; i < value.length && n < min; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n >= min;
}

/** Number of ASCII digits in `value`. */
export function countDigits(value: string): number {
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/** Luhn checksum over the digits of `value` (other characters ignored). */
export function luhnValid(value: string): boolean {
  let sum = 0;
  let double = false;
  let digits = 0;
  for (let i = value.length - 1; i >= 0; i--) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) continue;
    let d = c - 48;
    if (double) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
    double = !double;
    digits++;
  }
  return digits > 1 && sum % 10 === 0;
}

/**
 * Normalises a property name for key-hint tests: lower case, with `$`, `-`, spaces and camelCase
 * boundaries turned into `_` (`$firstName` → `first_name`, `Member-ID` → `member_id`).
 */
export function normalizeKey(key: string): string {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) >= 0x80) return normalizeKeySlow(key);
  // ASCII: one pass doing what the regexes below do (property names are ASCII but for the odd
  // one, and every name an event brings is normalised once per plan).
  let out = '';
  let gap = false;
  let prevLowerOrDigit = false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    const upper = c >= 65 && c <= 90;
    const lowerOrDigit = (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
    if (upper || lowerOrDigit) {
      // `firstName` → `first_name`: a boundary before a capital that follows a lower case letter or digit.
      if ((gap || (upper && prevLowerOrDigit)) && out !== '') out += '_';
      out += upper ? String.fromCharCode(c + 32) : key.charAt(i);
      gap = false;
    } else {
      gap = true;
    }
    prevLowerOrDigit = lowerOrDigit;
  }
  return out;
}

function normalizeKeySlow(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** The ASCII digits of `text`, in order (`(617) 555-0123` → `6175550123`). */
export function digitsOf(text: string): string {
  let digits = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits += text[i];
  }
  return digits;
}

/** Merges span lists into one ascending, non-overlapping list; at a shared start the longer span wins. */
export function mergeSpans(...lists: Span[][]): Span[] {
  // Most calls merge empty lists, or one list with the rest empty: no `flat()` copy for those.
  let all: Span[] | undefined;
  let nonEmpty = 0;
  for (let i = 0; i < lists.length; i++) {
    if (lists[i]!.length > 0) {
      nonEmpty++;
      all = lists[i];
    }
  }
  if (all === undefined) return [];
  if (nonEmpty > 1) all = lists.flat();
  if (all.length < 2) return all;
  all.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Span[] = [];
  let lastEnd = -1;
  for (const span of all) {
    if (span.start >= lastEnd) {
      merged.push(span);
      lastEnd = span.end;
    }
  }
  return merged;
}

/** Entries a key memo holds before it starts over (normalised property names are few). */
const KEY_MEMO_LIMIT = 4096;

/**
 * Memoises a pure function of a normalised property name. Detectors test `ctx.key` against
 * their key regexes for every string they see, and keys repeat endlessly; one Map lookup
 * replaces a regex run. Bounded: a flood of distinct names only clears the memo.
 */
export function memoizeByKey<T>(fn: (key: string) => T): (key: string) => T {
  const memo = new Map<string, T>();
  return (key: string): T => {
    if (key === '') return fn(key);
    const known = memo.get(key);
    if (known !== undefined || memo.has(key)) return known as T;
    if (memo.size >= KEY_MEMO_LIMIT) memo.clear();
    const result = fn(key);
    memo.set(key, result);
    return result;
  };
}
