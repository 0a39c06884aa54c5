/**
 * Certificate and licence numbers (Safe Harbor K): driver's licences, professional licences,
 * NPI and DEA numbers, board certifications, certificates and passports (passports are K or R;
 * we treat them as licences), after a keyword ("driver's license D1234567", "DL# S530-4602-1234",
 * "NPI 1234567893") or as the whole value under a key that names one (`drivers_license`,
 * `npi`, `passport_number`, …).
 *
 * Not licences: software licences ("License: MIT", "Apache License 2.0", "license key …") and
 * licence plates ("license plate 7ABC123" is the vehicle detector's).
 *
 * @example
 * licenseDetector(DEFAULT_DETECTOR_OPTIONS).find("driver's license D1234567", { key: '' })
 * // → [{ start: 17, end: 25, kind: 'license' }]
 */
import {
  QUALIFIER, WORD_GAP, keyedIdSpan, keyedTokenSpans, keywordValueRegex, mergeSpans,
  plausibleIdToken, scanKeywordValues,
} from './context';
import { hasDigits, memoizeByKey } from './util';
import type { Detector, DetectorFactory } from './types';
import { wordStartSet } from './features';

const LICENSE = 'licen[csCS]e';
/** What may follow "license" without it being a licence number. */
const NOT_A_LICENSE_NUMBER = `(?!${WORD_GAP}(?:plates?|keys?|tags?|types?|class|state|status|expir|agreement|server|file|text|terms))`;

/**
 * Keywords that announce a licence or certificate number. "DEA" alone is also the agency's name,
 * so a bare "DEA" needs a value that passes the DEA check digit (see `acceptToken`); "DL" alone
 * is Google Analytics' document-location parameter, so it needs "#", ":" or "no".
 */
const LICENSE_KEYWORDS = [
  `(?:drivers?['\u2019]?s?|driving)${WORD_GAP}${LICENSE}(?:${WORD_GAP}${QUALIFIER})?`,
  `${LICENSE}${NOT_A_LICENSE_NUMBER}(?:${WORD_GAP}${QUALIFIER})?`,
  `dl(?:${WORD_GAP}(?:numbers?|num|nbr|no)|(?=[ \\t]?[:#]))`,
  `npi(?:${WORD_GAP}${QUALIFIER})?`,
  `national${WORD_GAP}provider${WORD_GAP}(?:identifier|id|number)`,
  `dea(?:${WORD_GAP}(?:registration(?:${WORD_GAP}${QUALIFIER})?|${QUALIFIER}))?`,
  `(?:board${WORD_GAP})?certification${WORD_GAP}${QUALIFIER}`,
  `(?:certificate|cert\\.?)${WORD_GAP}${QUALIFIER}`,
  `lic\\.?${WORD_GAP}(?:numbers?|num|nbr|no|#)`,
  `passport(?:${WORD_GAP}${QUALIFIER})?`,
  `(?:state|national)${WORD_GAP}id${WORD_GAP}(?:card${WORD_GAP})?(?:numbers?|num|no|#)`,
  `permit${WORD_GAP}(?:numbers?|num|no|#)`,
].join('|');

/** First two characters of the keywords above, for the engine's gate. */
const KEYWORD_STARTS = wordStartSet(['drivers', 'driving', 'license', 'licence', 'dl', 'npi', 'national', 'dea', 'board', 'certification', 'certificate', 'cert', 'lic', 'passport', 'state', 'permit']);

/** Keys that name a licence or certificate number, matched as a suffix of the normalised key. */
const LICENSE_KEY = new RegExp(
  '(?:^|_)(?:(?:drivers?|driving)_licen[cs]e(?:_(?:numbers?|num|no|ids?))?|dl_(?:numbers?|num|no|ids?)' +
    '|(?:professional_|medical_|nursing_|state_)?licen[cs]e_(?:numbers?|num|nbr|no)|licen[cs]es?' +
    '|npi(?:_(?:numbers?|ids?))?|dea(?:_(?:numbers?|num|no|registration))?' +
    '|passport(?:_(?:numbers?|num|no|ids?))?|(?:certificate|certification)_(?:numbers?|num|no|ids?)' +
    '|state_id_(?:numbers?|no)|permit_(?:numbers?|no))' +
    '(?:_(?:value|raw|str|string|text|hash|hashed))?$',
);

/**
 * A key that is just "license" may hold a software licence (`license: "MIT"`, `"Apache-2.0"`):
 * its value needs three digits.
 */
const BARE_LICENSE_KEY = /(?:^|_)licen[cs]es?$/;

/** True when a normalised key names a licence or certificate number. */
export const isLicenseKey: (key: string) => boolean = memoizeByKey(function isLicenseKey(key: string): boolean {
  return key.length > 0 && LICENSE_KEY.test(key);
});

const DEA_SHAPE = /^[A-Za-z][A-Za-z9]\d{7}$/;

/**
 * DEA registration number check: two letters then seven digits d1…d7 where
 * (d1 + d3 + d5 + 2 × (d2 + d4 + d6)) mod 10 = d7 (`AB1234563`).
 */
export function deaCheckDigitValid(value: string): boolean {
  if (!DEA_SHAPE.test(value)) return false;
  const d = (i: number): number => value.charCodeAt(2 + i) - 48;
  return (d(0) + d(2) + d(4) + 2 * (d(1) + d(3) + d(5))) % 10 === d(6);
}

/**
 * Built once per process, not per plan: V8 keeps a regex's compiled code on the RegExp object,
 * and a new RegExp built for each compiled plan recompiles (milliseconds for the keyword
 * alternations) once a GC has aged its source out of V8's cache. Shared safely: every scan sets
 * `lastIndex` first and runs to completion.
 */
const KEYWORD_RE = keywordValueRegex(`(${LICENSE_KEYWORDS})`);

export const licenseDetector: DetectorFactory = () => {
  const keywordRe = KEYWORD_RE;
  const acceptToken = (token: string, match: RegExpExecArray): boolean => {
    if (match[1]?.toLowerCase() === 'dea') return deaCheckDigitValid(token);
    return plausibleIdToken(token, 3, 24);
  };
  return {
    id: 'license',
    letter: 'K',
    kind: 'license',
    marker: '[LICENSE]',
    prefilter(value, ctx) {
      return hasDigits(value, 3) || (value.length >= 3 && isLicenseKey(ctx.key));
    },
    gate(value, ctx, f) {
      if (value.length >= 3 && isLicenseKey(ctx.key)) return true;
      return f.digits >= 3 && f.hasWordStart(KEYWORD_STARTS);
    },
    find(value, ctx) {
      const byKeyword = scanKeywordValues(keywordRe, value, 'license', acceptToken);
      if (!isLicenseKey(ctx.key)) return byKeyword;
      const whole = keyedIdSpan(value, 'license');
      if (whole !== null && (!BARE_LICENSE_KEY.test(ctx.key) || hasDigits(value, 3))) return [whole];
      return mergeSpans(byKeyword, keyedTokenSpans(value, 'license'));
    },
  } satisfies Detector;
};
