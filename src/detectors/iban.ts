/**
 * International Bank Account Numbers (Safe Harbor J), printed (`DE89 3704 0044 0532 0130 00`) or
 * electronic (`DE89370400440532013000`). A country code with its registered IBAN length decides
 * how many characters to take, so trailing words are never swallowed, and ISO 7064 mod-97 must
 * give 1.
 */
import type { DetectorFactory, Span } from './types';
import { countDigits, hasDigits } from './util';

// SWIFT IBAN registry (and the partner countries validator.js also lists): total IBAN length.
const IBAN_LENGTHS: Readonly<Record<string, number>> = Object.freeze({
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29,
  BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, DZ: 26, EE: 20,
  EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27,
  GT: 28, HN: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IR: 26, IS: 26, IT: 27, JO: 30,
  KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MA: 28, MC: 27,
  MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, MZ: 25, NI: 28, NL: 18, NO: 15,
  OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31,
  SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
});
// Registry formats allow letter-heavy BBANs, but every issued IBAN carries far more digits than
// this; requiring them in `find` too keeps the prefilter sound and rejects word salad.
const MIN_DIGITS = 8;

// Country code and check digits, not glued to a word on the left. Upper or lower case, not mixed.
const START = /(?<![0-9A-Za-z])(?:[A-Z]{2}|[a-z]{2})\d{2}/g;

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** ISO 7064 mod 97-10 over an IBAN's characters (no spaces): true when the remainder is 1. */
export function ibanChecksumValid(compact: string): boolean {
  let remainder = 0;
  // Country and check digits go to the end; letters count as 10–35.
  for (let k = 0; k < compact.length; k++) {
    const c = compact.charCodeAt((k + 4) % compact.length) | 0x20; // lower-case letters
    if (c >= 48 && c <= 57) remainder = (remainder * 10 + (c - 48)) % 97;
    else if (c >= 97 && c <= 122) remainder = (remainder * 100 + (c - 87)) % 97;
    else return false;
  }
  return remainder === 1;
}

/**
 * End of the IBAN of `length` characters starting at `start`, with single spaces allowed between
 * characters, or -1 when the text runs out, breaks, or carries on as a longer word.
 */
function ibanEnd(value: string, start: number, length: number): number {
  let taken = 0;
  let i = start;
  while (taken < length) {
    if (i >= value.length) return -1;
    const c = value.charCodeAt(i);
    if (isAlnum(c)) { taken++; i++; continue; }
    if (c === 32 && taken >= 4 && isAlnum(value.charCodeAt(i + 1))) { i++; continue; }
    return -1;
  }
  return isAlnum(value.charCodeAt(i)) ? -1 : i;
}

function compactOf(value: string, start: number, end: number): string {
  let compact = '';
  for (let i = start; i < end; i++) if (value.charCodeAt(i) !== 32) compact += value[i];
  return compact;
}

function findIbans(value: string): Span[] {
  const spans: Span[] = [];
  START.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = START.exec(value)) !== null) {
    const length = IBAN_LENGTHS[m[0].slice(0, 2).toUpperCase()];
    if (length === undefined) continue;
    const end = ibanEnd(value, m.index, length);
    if (end < 0) continue;
    const compact = compactOf(value, m.index, end);
    // A lower-case country code needs a lower-case (or all-digit) rest: `de89…` yes, `deAB…` no.
    if (countDigits(compact) < MIN_DIGITS || !isConsistentCase(compact) || !ibanChecksumValid(compact)) continue;
    spans.push({ start: m.index, end, kind: 'iban' });
    START.lastIndex = end;
  }
  return spans;
}

function isConsistentCase(compact: string): boolean {
  const lower = compact.charCodeAt(0) >= 97;
  for (let i = 2; i < compact.length; i++) {
    const c = compact.charCodeAt(i);
    if (lower ? c >= 65 && c <= 90 : c >= 97 && c <= 122) return false;
  }
  return true;
}

export const ibanDetector: DetectorFactory = () => ({
  id: 'iban',
  letter: 'J',
  kind: 'iban',
  marker: '[IBAN]',
  prefilter: function ibanPrefilter(value) {
    return hasDigits(value, MIN_DIGITS);
  },
  gate: function ibanGate(_value, _ctx, f) {
    return f.digits >= MIN_DIGITS;
  },
  find: function findIban(value) {
    return findIbans(value);
  },
});
