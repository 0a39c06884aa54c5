/**
 * Telephone and fax numbers (Safe Harbor D and E: same formats, one detector).
 *
 * A cheap candidate regex finds digit runs with phone separators; libphonenumber-js then judges
 * only those candidates (its own text search runs at about 10k strings/s, see
 * /work/shared/stack-notes.md). Evidence needed grows as formatting weakens:
 * - `+` or `00` international prefix: the number only has to be possible for its country;
 * - national formatting: possible for a configured region and written the way that region writes
 *   numbers (`(617) 555-0123`, `617.555.0123` in NANP; trunk-prefixed `020 7946 0958` elsewhere),
 *   so fictional 555-01xx numbers are caught and `67890 12345` is not;
 * - a bare digit run (`6175550123`): only after a phone word ("call", "tel:", "mobile") or under a
 *   phone key, since plain ids and epoch seconds look exactly like that;
 * - under a phone key (`phone`, `fax_number`, `mobile`): any 7–15 digit number-looking value.
 */
import { getCountryCallingCode, isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { DetectContext, DetectorFactory, Span } from './types';
import { countDigits, hasDigits, digitsOf, memoizeByKey } from './util';

const MIN_DIGITS = 7;
const MAX_DIGITS = 15; // E.164
// National numbers stop at 12 digits in practice; 13+ bare digits are card numbers or epoch millis.
const MAX_NATIONAL_DIGITS = 12;

// One digit, then digits each preceded by at most three separators. Every repetition consumes
// exactly one digit, so the regex cannot backtrack more than the 17 digits it may hold.
const CANDIDATE = /(?:\(\s?\+|\+|\()?\d(?:[ .\-/()\u00A0]{0,3}\d){5,16}/g;
// Bounded blanks: unbounded `[ \t]*,?[ \t]*` goes quadratic on a long run of spaces.
const EXTENSION = /[ \t]{0,3},?[ \t]{0,3}(?:ext\.?|extension|x\.?|#)[ \t]{0,3}:?[ \t]{0,3}\d{1,6}(?!\d)/iy;

const PHONE_KEY = /(?:^|_)(?:[a-z0-9]*phone|tel|telephone|mobile|cell|fax|msisdn|whatsapp|sms|contact_(?:number|num|no))(?:_(?:number|num|no|nr|e164))?$/;
// A phone word right before a bare digit run: "call me at", "Tel:", "mobile #", "my number is".
// "cb", "call back", "best number", "number is" (but not "order number is") count too.
const PHONE_WORD_BEFORE = new RegExp(
  '(?<![a-z])(?:phone|telephone|tel|mobile|mob|cell|cellphone|fax|call(?:[ -]?back)?|cb(?=[\\s:#.-])|text|sms|whatsapp|contact|ph|' +
    'my\\s+number|reach\\s+me|best\\s+(?:number|no|#|num)|' +
    '(?<!(?:order|account|acct|tracking|confirmation|conf|reference|ref|invoice|member|policy|case|ticket|claim|serial|' +
    'card|routing|id|group|record|chart|patient|license|licence|plate|model|part|item|version|build|batch|lot)[ _-]{1,3})number(?=[^a-z0-9]{0,4}is\\b))' +
    '[^a-z0-9]{0,4}(?:(?:is|at|me|us|on|no|nr|num|number)\\b[^a-z0-9]{0,4}){0,3}$',
  'i',
);
const WORD_LOOKBACK = 40;

const WHOLE_VALUE = /^(?:tel:)?\+?[\d\s().\-/\u00A0]+(?:[ ,]{0,3}(?:ext\.?|extension|x\.?|#) {0,3}:? {0,3}\d{1,6})?$/i;
// Phone values are short; the cap keeps WHOLE_VALUE's backtracking small on huge values.
const MAX_WHOLE_VALUE_LENGTH = 64;

const TRAILING_EXTENSION = /(?:ext\.?|extension|x\.?|#) {0,3}:? {0,3}\d{1,6}$/i;

const DATE_LIKE = /^(?:\d{4}[-/. ]\d{1,2}[-/. ]\d{1,2}|\d{1,2}[-/. ]\d{1,2}[-/. ]\d{2,4}$)/;
const IPV4_LIKE = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const DECIMAL_LIKE = /^\d+[.,]\d+$/;
// North American shapes: 617-555-0123, (617) 555-0123, 617.555.0123, 1 617 555 0123.
const NANP_SHAPED = /^(?:1[ .-]{0,3})?(?:\(\d{3}\)|\d{3})[ .\-/]{0,3}\d{3}[ .-]{0,3}\d{4}$/;
const NANP_NATIONAL = /^(?:[2-9]\d{2})?[2-9]\d{6}$/;
/** `+1` and a NANP-shaped number (no trunk prefix): `+1 (617) 555-0123`, `+16175550123`. */
export const NANP_INTERNATIONAL = /^\+1[ .-]{0,3}(?:\(\d{3}\)|\d{3})[ .\-/]{0,3}\d{3}[ .-]{0,3}\d{4}$/;
// Trunk-prefixed national shapes: 020 7946 0958, (030) 901820, 06-12345678.
const TRUNK_SHAPED = /^(?:\(0\d{1,4}\)|0\d{1,4})[ .\-/]\d{2,}(?:[ .-]\d{2,})*$/;

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The run is glued to something else: `ID6175550123`, `v1.617.555.0123`, `$1234567`, `abc-...`. */
function startsInsideToken(value: string, start: number): boolean {
  if (start === 0) return false;
  const before = value.charCodeAt(start - 1);
  if (isWordChar(before)) return true;
  // Currency signs: $ £ € ¥.
  if (before === 36 || before === 0xa3 || before === 0x20ac || before === 0xa5) return true;
  // . - / , + joined to a word or number on the left: `1.2.617...`, `abc-617...`, `Chrome/120...`.
  if (before === 46 || before === 45 || before === 47 || before === 44 || before === 43) {
    return start >= 2 && isWordChar(value.charCodeAt(start - 2));
  }
  return false;
}

/** The run goes on: `6175550123abc`, `...0123-4`, `...0123.5` (IPs, versions), `2024-01-15 10:30`. */
function continuesAfter(value: string, end: number): boolean {
  if (end >= value.length) return false;
  const after = value.charCodeAt(end);
  if (isWordChar(after)) return true;
  if (after === 46 || after === 45 || after === 47 || after === 58) return isDigit(value.charCodeAt(end + 1));
  return false;
}

interface Judge {
  readonly regions: readonly CountryCode[];
  /** Regions of the North American Numbering Plan (calling code 1) among `regions`. */
  readonly nanp: ReadonlySet<CountryCode>;
}

function internationalPrefix(digits: string, judge: Judge): string {
  if (digits.startsWith('00') && digits.charCodeAt(2) !== 48) return '00';
  if (judge.nanp.size > 0 && digits.startsWith('011') && digits.charCodeAt(3) !== 48) return '011';
  return '';
}

/**
 * True when `body` (no extension) is a phone number under the evidence rules in the header.
 * `bareAllowed` says whether a bare run counts (a phone key or word): asked only for bare or
 * oddly formatted bodies, since the word test is a regex over the 40 characters before.
 */
function isPhone(body: string, judge: Judge, bareAllowed: () => boolean, relaxed: boolean): boolean {
  const digits = digitsOf(body);
  const international = body.includes('+');
  // `00 49 30 901820`, `011 44 20 7946 0958`: international dialling prefixes (ITU, NANP)
  // written instead of `+`.
  const idd = international ? '' : internationalPrefix(digits, judge);
  const significant = digits.length - idd.length;
  if (significant < MIN_DIGITS || significant > MAX_DIGITS) return false;

  if (international || idd !== '') {
    const text = international ? body.slice(body.indexOf('+')) : `+${body.slice(body.indexOf(idd) + idd.length)}`;
    // `+1 (617) 555-0123`: libphonenumber finds every such number possible (checked for every
    // area code in seven formats; see nanpShapedNationalNumber for why it is worth skipping).
    if (NANP_INTERNATIONAL.test(text)) return true;
    const parsed = parsePhoneNumberFromString(text);
    return parsed !== undefined && (relaxed || parsed.isPossible());
  }

  if (DATE_LIKE.test(body) || IPV4_LIKE.test(body) || DECIMAL_LIKE.test(body)) return false;
  if (relaxed) return true;
  if (digits.length > MAX_NATIONAL_DIGITS) return false;
  const formatted = digits.length !== body.length;
  if (!formatted && !bareAllowed()) return false;

  for (const region of judge.regions) {
    const nanp = judge.nanp.has(region);
    // The format must look like the region's own: `67890 12345` is a valid US number by digits
    // but no one writes a phone that way. Tested before parsing, which costs ~25 µs a call.
    const shaped = (nanp ? NANP_SHAPED : TRUNK_SHAPED).test(body);
    if (!shaped && !bareAllowed()) continue;
    // Possible (not only valid) numbers count, so fictional ones (US 555-01xx, UK 07700 900xxx)
    // are caught.
    const national = (nanp && shaped ? nanpShapedNationalNumber(digits) : undefined) ?? nationalNumberIfPossible(body, region);
    if (national === undefined) continue;
    // A bare NANP run must have a real area code and exchange (first digits 2–9): epoch seconds
    // (`cb 1712345678`) are possible by length alone.
    if (!formatted && nanp && !NANP_NATIONAL.test(national)) continue;
    return true;
  }
  return false;
}

/** libphonenumber's national number of `body` read in `region`, when it is a possible number there. */
function nationalNumberIfPossible(body: string, region: CountryCode): string | undefined {
  const parsed = parsePhoneNumberFromString(body, region);
  return parsed?.isPossible() === true ? parsed.nationalNumber : undefined;
}

/**
 * What `nationalNumberIfPossible` returns for a body in NANP_SHAPED and a NANP region, decided
 * without libphonenumber: a possible number, whose national number is its last ten digits (the
 * shape holds ten, or eleven with the trunk prefix 1). The exception is a leading 011, which
 * libphonenumber reads as the international dialling prefix: undefined, and the caller asks it.
 * Checked against libphonenumber-js for every area code, in nine formats, with and without the
 * prefix, in all 25 NANP regions (test/detectors/phone.test.ts keeps a sample of that check).
 * Inside the engine a libphonenumber call costs 50–200 µs (it rebuilds metadata objects and
 * regexes per call, and they fall out of the CPU caches between calls); on the bench set these
 * shortcuts take 62 calls per 1,000 events down to 21.
 */
export function nanpShapedNationalNumber(digits: string): string | undefined {
  if (digits.charCodeAt(0) === 48 && digits.charCodeAt(1) === 49 && digits.charCodeAt(2) === 49) return undefined; // 011
  return digits.length === 11 ? digits.slice(1) : digits;
}

function isPhoneSafely(body: string, judge: Judge, bareAllowed: () => boolean, relaxed: boolean): boolean {
  try {
    return isPhone(body, judge, bareAllowed, relaxed);
  } catch {
    // libphonenumber-js is not documented as throw-free on every input; a detector must be.
    return false;
  }
}

function hasPhoneWordBefore(value: string, start: number): boolean {
  if (start === 0) return false;
  return PHONE_WORD_BEFORE.test(value.slice(Math.max(0, start - WORD_LOOKBACK), start));
}

/** The trimmed value itself when, under a phone key, it is one number-looking value. */
function wholeValueSpan(value: string): Span | undefined {
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) <= 32) start++;
  while (end > start && value.charCodeAt(end - 1) <= 32) end--;
  if (end - start > MAX_WHOLE_VALUE_LENGTH) return undefined;
  const trimmed = value.slice(start, end);
  if (!WHOLE_VALUE.test(trimmed)) return undefined;
  const withoutExtension = trimmed.replace(TRAILING_EXTENSION, '');
  const digits = countDigits(withoutExtension);
  if (digits < MIN_DIGITS || digits > MAX_DIGITS) return undefined;
  if (trimmed.toLowerCase().startsWith('tel:')) start += 4;
  return { start, end, kind: 'phone' };
}

const isPhoneKey = memoizeByKey((key: string): boolean => key !== '' && PHONE_KEY.test(key));

function findPhoneNumbers(value: string, ctx: DetectContext, judge: Judge): Span[] {
  const phoneKey = isPhoneKey(ctx.key);
  if (phoneKey) {
    const whole = wholeValueSpan(value);
    if (whole !== undefined) return [whole];
  }
  const spans: Span[] = [];
  CANDIDATE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = CANDIDATE.exec(value)) !== null) {
    const span = judgeCandidate(value, m.index, m.index + m[0].length, judge, phoneKey);
    if (span === undefined) continue;
    spans.push(span);
    CANDIDATE.lastIndex = span.end;
  }
  return spans;
}

/**
 * The candidate as a whole, else with up to two digit groups dropped at each end: the regex is
 * greedy, so `617-555-0123 24/7` or `room 5 617 555 0123` arrive with a neighbour attached.
 */
function judgeCandidate(value: string, start: number, end: number, judge: Judge, phoneKey: boolean): Span | undefined {
  const whole = judgeExact(value, start, end, judge, phoneKey);
  if (whole !== undefined) return whole;
  const groups = digitGroups(value, start, end);
  const n = groups.length;
  if (n < 2) return undefined;
  // Fewest groups dropped first; at most two from each end.
  for (let dropped = 1; dropped <= 4; dropped++) {
    for (let first = Math.max(0, dropped - 2); first <= Math.min(2, dropped); first++) {
      const last = n - 1 - (dropped - first);
      if (last - first < 0) continue;
      const firstGroup = groups[first];
      const lastGroup = groups[last];
      if (firstGroup === undefined || lastGroup === undefined) continue;
      const subStart = first === 0 ? start : withOpeningMarks(value, firstGroup[0], start);
      const subEnd = last === n - 1 ? end : lastGroup[1];
      const span = judgeExact(value, subStart, subEnd, judge, phoneKey);
      if (span !== undefined) return span;
    }
  }
  return undefined;
}

function hasClosingBracket(value: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (value.charCodeAt(i) === 41) return true;
  return false;
}

/** Start positions and ends of the digit runs in `value[start, end)`. */
function digitGroups(value: string, start: number, end: number): [number, number][] {
  const groups: [number, number][] = [];
  let i = start;
  while (i < end) {
    while (i < end && !isDigit(value.charCodeAt(i))) i++;
    const groupStart = i;
    while (i < end && isDigit(value.charCodeAt(i))) i++;
    if (i > groupStart) groups.push([groupStart, i]);
  }
  return groups;
}

/** Moves `at` back over a `(` or `+` that opens the group there: `5 (617) 555-0123`. */
function withOpeningMarks(value: string, at: number, floor: number): number {
  let i = at;
  while (i > floor && (value.charCodeAt(i - 1) === 40 || value.charCodeAt(i - 1) === 43)) i--;
  return i;
}

function judgeExact(value: string, candidateStart: number, candidateEnd: number, judge: Judge, phoneKey: boolean): Span | undefined {
  let start = candidateStart;
  // An opening bracket with no closing one belongs to the surrounding text: `(6175550123)`.
  if (value.charCodeAt(start) === 40 && !hasClosingBracket(value, start, candidateEnd)) {
    start += value.charCodeAt(start + 1) === 32 ? 2 : 1;
  }
  // An opening bracket is itself a delimiter: `Phone(+1 617 555 0123)`.
  if (value.charCodeAt(start) !== 40 && startsInsideToken(value, start)) return undefined;
  const bodyEnd = candidateEnd;
  EXTENSION.lastIndex = bodyEnd;
  const extension = EXTENSION.exec(value);
  let end = bodyEnd;
  if (extension !== null && !continuesAfter(value, bodyEnd + extension[0].length)) {
    end = bodyEnd + extension[0].length;
  } else if (continuesAfter(value, bodyEnd)) {
    return undefined;
  }
  let wordBefore: boolean | undefined;
  const bareAllowed = (): boolean => phoneKey || (wordBefore ??= hasPhoneWordBefore(value, start));
  if (!isPhoneSafely(value.slice(start, bodyEnd), judge, bareAllowed, phoneKey)) return undefined;
  return { start, end, kind: 'phone' };
}

export const phoneDetector: DetectorFactory = (options) => {
  const regions = options.phoneRegions
    .map((region) => region.toUpperCase())
    .filter((region): region is CountryCode => isSupportedCountry(region));
  const accepted: CountryCode[] = regions.length > 0 ? regions : ['US'];
  const judge: Judge = {
    regions: accepted,
    nanp: new Set(accepted.filter((region) => getCountryCallingCode(region) === '1')),
  };
  return {
    id: 'phone',
    letter: 'D',
    kind: 'phone',
    marker: '[PHONE]',
    prefilter: function phonePrefilter(value) {
      return hasDigits(value, MIN_DIGITS);
    },
    gate: function phoneGate(_value, ctx, f) {
      // Outside a phone key only CANDIDATE matches count, and one needs 7 digits in a chain.
      return f.digits >= MIN_DIGITS && (f.phoneChain >= MIN_DIGITS || isPhoneKey(ctx.key));
    },
    find: function findPhone(value, ctx) {
      return findPhoneNumbers(value, ctx, judge);
    },
  };
};
