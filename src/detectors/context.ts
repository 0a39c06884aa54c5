/**
 * Keyword-context helpers for id numbers that have no format of their own (MRNs, member ids,
 * licence numbers, plates, serials): the evidence is a keyword before the value, or a property
 * name that says what the value is. Shared by mrn, health_plan, license, vehicle and device.
 */
import type { IdentifierKind, Span } from './types';
import { hasDigits } from './util';

export { mergeSpans } from './util';

/**
 * A keyword must not be the tail of a longer word or number (`remember`, `inpatient`), but may
 * follow `_` (`patient_mrn=`) or start a camelCase hump (`primaryMemberId`, `licensePlate`).
 */
export const KEYWORD_START = '(?:(?<![A-Za-z0-9])|(?<=[a-z])(?=[A-Z]))';
/** …nor the head of one (`mRNA-1273` is a vaccine, not "MRN A-1273"). */
export const KEYWORD_END = '(?![A-Za-z])';
/** Words that turn a noun into "the number of": `member id`, `chart #`, `policy no.`. */
export const QUALIFIER = '(?:numbers?|num|nbr|nos?|nr|ids?|identifier|#)';
/** Space between the words of a keyword: `member id`, `member_id`, `member-id`, `memberId`. */
export const WORD_GAP = '[ _-]?';

/**
 * What may sit between a keyword and its value: punctuation, quotes (`"mrn": "123"`), and one
 * optional linking word (`MRN is 123`, `policy number: 123`). Every quantifier is bounded, so a
 * keyword followed by 50 KB of spaces costs a constant amount of backtracking.
 */
export const SEPARATOR =
  `(?:[\\s"'(\\[:#=./_-]{0,4}(?:is|was|of|${QUALIFIER})${KEYWORD_END})?[\\s"'(\\[:#=./_-]{0,4}`;

/**
 * An identifier token: alphanumeric runs joined by single dashes (`P-0012345`, `12-345-678`).
 * Bounded, so that rescanning a rejected token (see `scanKeywordValues`) stays linear on
 * "MRN-MRN-MRN-…"; a longer run is no id and does not match at all.
 */
export const ID_TOKEN = '([A-Za-z0-9]{1,40}(?:-[A-Za-z0-9]{1,40}){0,7})(?!-?[A-Za-z0-9])';

/**
 * Makes the letters of a regex source match either case, outside character classes (write those
 * with both cases: `licen[csCS]e`). Used instead of the `i` flag, under which `[a-z]` and `[A-Z]`
 * are the same class and KEYWORD_START could not see a camelCase hump.
 */
export function caseInsensitive(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source.charAt(i);
    if (ch === '\\') {
      out += ch + source.charAt(i + 1);
      i++;
    } else if (inClass) {
      if (ch === ']') inClass = false;
      out += ch;
    } else if (ch === '[') {
      inClass = true;
      out += ch;
    } else {
      const lower = ch.toLowerCase();
      const upper = ch.toUpperCase();
      out += lower === upper ? ch : `[${lower}${upper}]`;
    }
  }
  return out;
}

/**
 * Builds the global, case-insensitive regex "keyword, separator, token" for a keyword alternation. The token must be
 * the last capture group and end the match (only a lookahead may follow it); `scanKeywordValues`
 * relies on it.
 */
export function keywordValueRegex(keywords: string, token = ID_TOKEN): RegExp {
  return new RegExp(caseInsensitive(`${KEYWORD_START}(?:${keywords})${KEYWORD_END}${SEPARATOR}${token}`), 'g');
}

/** Rejected tokens longer than this are skipped whole instead of rescanned (see below). */
const RESCAN_LIMIT = 64;

/**
 * Spans of the tokens (last capture group) of `re`'s matches that `accept` approves. A rejected
 * token is scanned again as possible keyword text, so "MRN MRN 12345" still finds 12345; a long
 * rejected token is skipped, so that an unbounded token pattern stays linear on
 * "voiceprint-voiceprint-…".
 */
export function scanKeywordValues(
  re: RegExp,
  value: string,
  kind: IdentifierKind,
  accept: (token: string, match: RegExpExecArray) => boolean,
): Span[] {
  const spans: Span[] = [];
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) {
    const token = m[m.length - 1] ?? '';
    const end = m.index + m[0].length;
    const start = end - token.length;
    if (token.length > 0 && accept(token, m)) spans.push({ start, end, kind });
    else re.lastIndex = token.length > RESCAN_LIMIT ? end : Math.max(start, m.index + 1);
  }
  return spans;
}



const YEAR_OR_DATE = /^(?:(?:19|20)\d\d|\d{4}-\d\d(?:-\d\d)?|\d\d-\d\d-\d{4})$/;

/**
 * A token that can be an id number after a keyword: 3–`maxLength` characters with at least
 * `minDigits` digits, and not a year or a date ("license 2024", "policy no 2024-01-05").
 */
export function plausibleIdToken(token: string, minDigits = 3, maxLength = 40): boolean {
  if (token.length < 3 || token.length > maxLength) return false;
  let digits = 0;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
  }
  return digits >= minDigits && !YEAR_OR_DATE.test(token);
}

/** Start and end of `value` without surrounding white space. */
export function trimmedBounds(value: string): [number, number] {
  let start = 0;
  let end = value.length;
  while (start < end && isSpace(value.charCodeAt(start))) start++;
  while (end > start && isSpace(value.charCodeAt(end - 1))) end--;
  return [start, end];
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 160 || c === 0xfeff;
}

/** Upper-case words that fill id fields without being ids. */
const PLACEHOLDERS = new Set([
  'NONE', 'NULL', 'UNKNOWN', 'UNDEFINED', 'TRUE', 'FALSE', 'PENDING', 'REDACTED', 'MISSING',
  'EMPTY', 'DEFAULT', 'TEST', 'ANONYMOUS', 'NOT_AVAILABLE', 'NOT-AVAILABLE', 'UNAVAILABLE',
]);

/**
 * The whole trimmed value as one span when it looks like an identifier (for a value under a key
 * that names one): 3–128 characters of letters, digits, at most two spaces and `-_./#:`, with a
 * digit or else an upper-case code of 4+ letters (`ABCDEFG`, not `premium`, `n/a`, `NULL`).
 * Prose ("Patient MRN 12345 seen today") and bracketed markers (`[MRN]`) are not.
 */
export function keyedIdSpan(value: string, kind: IdentifierKind): Span | null {
  const [start, end] = trimmedBounds(value);
  const length = end - start;
  if (length < 3 || length > 128) return null;
  let digits = 0;
  let upper = 0;
  let lower = 0;
  let spaces = 0;
  for (let i = start; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c >= 65 && c <= 90) upper++;
    else if (c >= 97 && c <= 122) lower++;
    else if (c === 32) { if (++spaces > 2) return null; }
    // - _ . / # :
    else if (c !== 45 && c !== 95 && c !== 46 && c !== 47 && c !== 35 && c !== 58) return null;
  }
  if (digits > 0) return { start, end, kind };
  if (lower === 0 && upper >= 4 && spaces === 0 && !PLACEHOLDERS.has(value.slice(start, end))) {
    return { start, end, kind };
  }
  return null;
}

/** Any id token standing alone (not glued to letters, digits or a dash on either side). */
const STANDALONE_TOKEN = new RegExp(`(?<![A-Za-z0-9-])${ID_TOKEN}`, 'g');

/**
 * For a value under an id key that is not one id as a whole ("W123 (primary)", "P-1, P-2"):
 * every token in it that passes `plausibleIdToken`. The key is the evidence, so no keyword is
 * needed; three digits still are, so words, years and dates stay.
 */
export function keyedTokenSpans(value: string, kind: IdentifierKind): Span[] {
  return scanKeywordValues(STANDALONE_TOKEN, value, kind, (token) => plausibleIdToken(token));
}

