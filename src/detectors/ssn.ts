/**
 * US Social Security numbers (Safe Harbor G): `123-45-6789` and `123 45 6789` anywhere; a bare
 * `123456789` only under an SSN-like key or right after "SSN", "SS#", "social security".
 * Numbers the SSA never issues are not SSNs: area 000, 666 or 900–999 (ITINs), group 00, serial
 * 0000.
 */
import { hasDigits, memoizeByKey, mergeSpans } from './util';
import type { DetectContext, DetectorFactory, Span } from './types';

// Dashed or spaced, the same separator twice (backreference), not inside a longer dashed or
// digit run (`1123-45-6789-0`, phone numbers, UUID-like ids).
const SEPARATED = /(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w]|-\d)/g;
const BARE = /(?<![\w-])(\d{3})(\d{2})(\d{4})(?![\w]|-\d)/g;
// Under an SSN key separators may be anything the user typed: `123.45.6789`, `123 - 45 - 6789`.
const KEYED_VALUE = /^(\d{3})[ .\-]{0,3}(\d{2})[ .\-]{0,3}(\d{4})$/;

const SSN_KEY = /(?:^|_)(?:ssn|ssn_number|social_security|social_security_number|social_security_no|ss_number|ss_no|tin|taxpayer_id|taxpayer_id_number|tax_id)$|(?:^|_)ssn(?:_|$)/;
const SSN_WORD_BEFORE = /(?:(?<![a-z])ssn|(?<![a-z])ss\s?#|(?<![a-z])ss\s?no\.?|social\s+security(?:\s+(?:number|num|no\.?|#))?|(?<![a-z])tin|taxpayer\s+id)[^a-z0-9]{0,4}(?:(?:is|was|number|num|no|of)\b[^a-z0-9]{0,4}){0,2}$/i;
const WORD_LOOKBACK = 40;

/** SSA issuance rules: the parts of a number that was never assigned. */
export function isIssuableSsn(area: string, group: string, serial: string): boolean {
  if (area === '000' || area === '666' || area.charCodeAt(0) === 57 /* 9xx */) return false;
  return group !== '00' && serial !== '0000';
}

function followsSpacedDigit(value: string, start: number): boolean {
  // `555 123 45 6789`: a spaced triple inside a longer spaced digit sequence (a phone, a card).
  if (start < 2) return false;
  const c = value.charCodeAt(start - 2);
  return value.charCodeAt(start - 1) === 32 && c >= 48 && c <= 57;
}

function precedesSpacedDigit(value: string, end: number): boolean {
  const c = value.charCodeAt(end + 1);
  return value.charCodeAt(end) === 32 && c >= 48 && c <= 57;
}

function hasSsnWordBefore(value: string, start: number): boolean {
  return start > 0 && SSN_WORD_BEFORE.test(value.slice(Math.max(0, start - WORD_LOOKBACK), start));
}

function trimmedBounds(value: string): [number, number] {
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) <= 32) start++;
  while (end > start && value.charCodeAt(end - 1) <= 32) end--;
  return [start, end];
}

const isSsnKey = memoizeByKey((key: string): boolean => key !== '' && SSN_KEY.test(key));

function findSsns(value: string, ctx: DetectContext): Span[] {
  const ssnKey = isSsnKey(ctx.key);
  if (ssnKey) {
    const [start, end] = trimmedBounds(value);
    const m = end - start <= 20 ? KEYED_VALUE.exec(value.slice(start, end)) : null;
    if (m !== null && isIssuableSsn(m[1] ?? '', m[2] ?? '', m[3] ?? '')) return [{ start, end, kind: 'ssn' }];
  }
  const spans: Span[] = [];
  SEPARATED.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = SEPARATED.exec(value)) !== null) {
    const end = m.index + m[0].length;
    if (!isIssuableSsn(m[1] ?? '', m[3] ?? '', m[4] ?? '')) continue;
    if (m[2] === ' ' && !hasSsnWordBefore(value, m.index) && (followsSpacedDigit(value, m.index) || precedesSpacedDigit(value, end))) continue;
    spans.push({ start: m.index, end, kind: 'ssn' });
  }
  BARE.lastIndex = 0;
  const bare: Span[] = [];
  while ((m = BARE.exec(value)) !== null) {
    if (!isIssuableSsn(m[1] ?? '', m[2] ?? '', m[3] ?? '')) continue;
    if (!ssnKey && !hasSsnWordBefore(value, m.index)) continue;
    bare.push({ start: m.index, end: m.index + m[0].length, kind: 'ssn' });
  }
  // Both lists are sorted and cannot overlap (a separated match holds a non-digit, a bare one none).
  return bare.length === 0 ? spans : mergeSpans(spans, bare);
}

export const ssnDetector: DetectorFactory = () => ({
  id: 'ssn',
  letter: 'G',
  kind: 'ssn',
  marker: '[SSN]',
  prefilter: function ssnPrefilter(value) {
    return hasDigits(value, 9);
  },
  gate: function ssnGate(_value, ctx, f) {
    // Outside an SSN key: nine digits at most one space or dash apart.
    return f.digits >= 9 && (f.dashChain >= 9 || isSsnKey(ctx.key));
  },
  find: function findSsn(value, ctx) {
    return findSsns(value, ctx);
  },
});
