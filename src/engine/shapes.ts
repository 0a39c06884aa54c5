/**
 * Value shapes for `keep` rules: a kept field keeps only values of its shape, so an identifier
 * written into a metadata field is scanned instead of riding through. The built-in shapes are
 * plain checks in linear time (no nested quantifiers), cheaper than a regex engine call; a rule
 * pack's own shape is an RE2 pattern (`shape_pattern`), linear time too.
 */
import RE2 from 're2';

export interface Shape {
  test(value: string): boolean;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;
const EPOCH = /^\d{9,16}(?:\.\d{1,6})?$/;
const HTTP_DATE = /^[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} (?:GMT|UTC|[+-]\d{4})$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const VERSION = /^[A-Za-z0-9._+ ()-]{1,64}$/;
const NUMBER = /^\d{1,6}(?:\.\d{1,4})?$/;

/** Letters, digits and `_.:-`, at most 256, with at least one letter or `_` (so not an SSN or a phone). */
function isOpaqueId(value: string): boolean {
  if (value.length === 0 || value.length > 256) return false;
  let letter = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const isLetter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
    if (isLetter) letter = true;
    else if (!((c >= 48 && c <= 57) || c === 46 || c === 58 || c === 45)) return false;
  }
  return letter;
}

/** Printable ASCII starting with a letter, at most 2,048 characters, and no `@` (an appended e-mail). */
function isUserAgent(value: string): boolean {
  if (value.length === 0 || value.length > 2048) return false;
  const first = value.charCodeAt(0);
  if (!((first >= 65 && first <= 90) || (first >= 97 && first <= 122))) return false;
  for (let i = 1; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 32 || c > 126 || c === 64) return false;
  }
  return true;
}

export const BUILTIN_SHAPES = {
  /** ISO 8601 date or date-time, epoch seconds or milliseconds as digits, or an HTTP date. */
  timestamp: { test: (v: string) => ISO_DATE_TIME.test(v) || EPOCH.test(v) || HTTP_DATE.test(v) },
  /** A UUID, or an opaque id of letters, digits and `_.:-` with at least one letter. */
  event_id: { test: (v: string) => UUID.test(v) || isOpaqueId(v) },
  /** A version string: letters, digits and `._+ ()-`, at most 64. */
  version: { test: (v: string) => VERSION.test(v) },
  /** A user agent without an `@`. */
  user_agent: { test: isUserAgent },
  /** A decimal number as a string (screen sizes). */
  number: { test: (v: string) => NUMBER.test(v) },
} as const satisfies Record<string, Shape>;

export type BuiltinShape = keyof typeof BUILTIN_SHAPES;
export const BUILTIN_SHAPE_NAMES = Object.keys(BUILTIN_SHAPES) as [BuiltinShape, ...BuiltinShape[]];

/** A rule pack's own shape: anchored, RE2. Throws with RE2's reason when the pattern is invalid. */
export function patternShape(pattern: string): Shape {
  return new RE2(`^(?:${pattern})$`, 'u');
}
