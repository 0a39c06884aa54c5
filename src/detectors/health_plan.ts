/**
 * Health plan beneficiary numbers (Safe Harbor I): member, subscriber, beneficiary, policy,
 * group, Medicare and Medicaid numbers after a keyword ("Member ID: XYZ123456789", "policy
 * number ABC-123-456"), Medicare Beneficiary Identifiers (MBI) anywhere, and the whole value under
 * a key that names one (`member_id`, `primary_subscriber_id`, `group_number`, …).
 *
 * Plan *names* ("Gold PPO", `plan: "premium"`) are kept: analytics needs them, and they identify
 * a product, not a person.
 *
 * @example
 * healthPlanDetector(DEFAULT_DETECTOR_OPTIONS).find('Member ID: XYZ123456789', { key: '' })
 * // → [{ start: 11, end: 23, kind: 'health_plan' }]
 */
import {
  QUALIFIER, WORD_GAP, keyedIdSpan, keyedTokenSpans, keywordValueRegex, mergeSpans, plausibleIdToken,
  scanKeywordValues,
} from './context';
import { hasDigits, memoizeByKey } from './util';
import type { Detector, DetectorFactory, Span } from './types';
import { F_ASCII_UPPER, wordStartSet } from './features';

/** `id`, `number`, `#`… and the insurers' "identification number". */
const PLAN_QUALIFIER = `(?:${QUALIFIER}|identification(?:${WORD_GAP}(?:numbers?|no))?)`;

/**
 * Keywords that announce a plan number. "member", "policy", "group" are everyday words, so they
 * need a qualifier ("member #", "group number"); "Medicare", "Medicaid", "MBI", "HICN" do not.
 */
const PLAN_KEYWORDS = [
  `(?:plan${WORD_GAP})?member${WORD_GAP}${PLAN_QUALIFIER}`,
  `(?:subscriber|beneficiary|enrollee|insured|cardholder)${WORD_GAP}${PLAN_QUALIFIER}`,
  `(?:insurance${WORD_GAP})?policy${WORD_GAP}${PLAN_QUALIFIER}`,
  `insurance${WORD_GAP}(?:${PLAN_QUALIFIER}|card${WORD_GAP}${PLAN_QUALIFIER})`,
  `(?:insurance${WORD_GAP}|plan${WORD_GAP})?group${WORD_GAP}(?:numbers?|num|nbr|no|#)`,
  `health${WORD_GAP}plan${WORD_GAP}${PLAN_QUALIFIER}`,
  `(?:medicare|medicaid)(?:${WORD_GAP}(?:card${WORD_GAP})?${PLAN_QUALIFIER})?`,
  `mbi|hicn|hic${WORD_GAP}(?:numbers?|no|#)`,
].join('|');

/** First two characters of the keywords above, for the engine's gate. */
const KEYWORD_STARTS = wordStartSet(['plan', 'member', 'subscriber', 'beneficiary', 'enrollee', 'insured', 'cardholder', 'insurance', 'policy', 'group', 'health', 'medicare', 'medicaid', 'mbi', 'hicn', 'hic']);

const PLAN_KEY = new RegExp(
  '(?:^|_)(?:member_(?:ids?|identifier|numbers?|num|no)|(?:subscriber|beneficiary|enrollee|cardholder)_(?:ids?|numbers?|num|no)' +
    '|policy_(?:numbers?|num|no|ids?)|insurance_(?:ids?|numbers?|num|no|member_id|policy_number|card_number)' +
    '|(?:medicare|medicaid)(?:_(?:ids?|numbers?|num|no|beneficiary_id))?|mbi|hicn' +
    '|health_plan_(?:ids?|numbers?|member_id|beneficiary_number)|group_(?:numbers?|num|no))' +
    '(?:_(?:value|raw|str|string|text|hash|hashed))?$',
);

/** True when a normalised key names a health plan beneficiary number. */
export const isHealthPlanKey: (key: string) => boolean = memoizeByKey(function isHealthPlanKey(key: string): boolean {
  return key.length > 0 && PLAN_KEY.test(key);
});

/**
 * Medicare Beneficiary Identifier (CMS format, 11 characters, shown as 4-3-4): positions 1, 4, 7,
 * 10, 11 numeric (1 is 1–9), 2, 5, 8, 9 letters, 3 and 6 letter or digit; letters exclude S, L,
 * O, I, B, Z. Upper case only without a keyword: lower-case look-alikes are hashes or slugs.
 * Both dashes or none (`\2`).
 */
const MBI_LETTER = '[AC-HJKMNP-RT-Y]';
const MBI_RE = new RegExp(
  `(?<![A-Za-z0-9-])([1-9]${MBI_LETTER}[AC-HJKMNP-RT-Y0-9]\\d)([- ]?)${MBI_LETTER}[AC-HJKMNP-RT-Y0-9]\\d\\2` +
    `${MBI_LETTER}{2}\\d{2}(?![A-Za-z0-9]|-[A-Za-z0-9])`,
  'g',
);

/** True for a well-formed MBI, with or without its two dashes (`1EG4-TE5-MK73`). */
export function isMbi(value: string): boolean {
  MBI_RE.lastIndex = 0;
  const m = MBI_RE.exec(value);
  return m !== null && m.index === 0 && m[0].length === value.length;
}

/**
 * Built once per process, not per plan: V8 keeps a regex's compiled code on the RegExp object,
 * and a new RegExp built for each compiled plan recompiles (milliseconds for the keyword
 * alternations) once a GC has aged its source out of V8's cache. Shared safely: every scan sets
 * `lastIndex` first and runs to completion.
 */
const KEYWORD_RE = keywordValueRegex(PLAN_KEYWORDS);
/** MBI_RE's own copy for `find` (`isMbi` uses MBI_RE). */
const MBI_SCAN_RE = new RegExp(MBI_RE.source, 'g');

export const healthPlanDetector: DetectorFactory = () => {
  const keywordRe = KEYWORD_RE;
  const mbiRe = MBI_SCAN_RE;
  const acceptToken = (token: string): boolean => plausibleIdToken(token, 3, 32);
  return {
    id: 'health_plan',
    letter: 'I',
    kind: 'health_plan',
    marker: '[HEALTH_PLAN_ID]',
    prefilter(value, ctx) {
      return hasDigits(value, 3) || (value.length >= 3 && isHealthPlanKey(ctx.key));
    },
    gate(value, ctx, f) {
      if (value.length >= 3 && isHealthPlanKey(ctx.key)) return true;
      // A keyword, or an MBI (upper-case letters only).
      return f.digits >= 3 && (f.hasWordStart(KEYWORD_STARTS) || (f.has(F_ASCII_UPPER) && f.digits >= 5));
    },
    find(value, ctx, f) {
      const keyed = isHealthPlanKey(ctx.key);
      if (keyed) {
        const whole = keyedIdSpan(value, 'health_plan');
        if (whole !== null) return [whole];
      }
      const byKey = keyed ? keyedTokenSpans(value, 'health_plan') : [];
      // Each scan only where it can match (with features from the engine): an MBI has capitals and 5 digits.
      const byKeyword = f === undefined || f.hasWordStart(KEYWORD_STARTS) ? scanKeywordValues(keywordRe, value, 'health_plan', acceptToken) : [];
      const mbis: Span[] = [];
      mbiRe.lastIndex = f === undefined || (f.has(F_ASCII_UPPER) && f.digits >= 5) ? 0 : value.length;
      let m: RegExpExecArray | null;
      while ((m = mbiRe.exec(value)) !== null) {
        mbis.push({ start: m.index, end: m.index + m[0].length, kind: 'health_plan' });
      }
      return mergeSpans(byKey, byKeyword, mbis);
    },
  } satisfies Detector;
};
