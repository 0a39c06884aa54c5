/**
 * Medical record numbers (Safe Harbor H): the number after a keyword such as "MRN", "medical
 * record number", "Med Rec No.", "chart #" or "patient id", and the whole value under a key that
 * names one (`mrn`, `patient_mrn`, `medical_record_number`, `chart_number`, `patient_id`, …).
 *
 * MRNs have no national format or checksum, so context is the only evidence: a bare number in
 * text is never an MRN here.
 *
 * @example
 * mrnDetector(DEFAULT_DETECTOR_OPTIONS).find('MRN: 00123456', { key: '' })
 * // → [{ start: 5, end: 13, kind: 'mrn' }]
 */
import {
  QUALIFIER, WORD_GAP, keyedIdSpan, keyedTokenSpans, keywordValueRegex, mergeSpans, plausibleIdToken, scanKeywordValues,
} from './context';
import type { Detector, DetectorFactory } from './types';
import { hasDigits } from './util';

// ---------------------------------------------------------------------------------------------
// The MRN detector.
// ---------------------------------------------------------------------------------------------

const RECORD_QUALIFIER = `(?:${WORD_GAP}${QUALIFIER})`;

/**
 * Keywords that announce an MRN. "MRN" and "medical record" are enough on their own; "chart",
 * "patient", "EMR", "hospital" need a qualifier ("chart #", "patient id") since "patient 12"
 * or "chart 3" are ordinary analytics text.
 */
const MRN_KEYWORDS = [
  'mrn',
  'mr#',
  `medical${WORD_GAP}records?${RECORD_QUALIFIER}?`,
  `health${WORD_GAP}records?${RECORD_QUALIFIER}`,
  `med\\.?${WORD_GAP}rec(?:ord)?\\.?${RECORD_QUALIFIER}`,
  `chart${RECORD_QUALIFIER}`,
  `(?:patient|pt)${WORD_GAP}(?:id|identifier|numbers?|num|nbr|no|#)`,
  `(?:emr|ehr)${RECORD_QUALIFIER}`,
  `hospital${WORD_GAP}(?:numbers?|num|nbr|no|#)`,
].join('|');

/**
 * Keys naming an MRN, matched as a suffix of the normalised key (`patient_mrn`,
 * `primary_medical_record_number`), with an optional tail such as `_hash` (a plain hash of an
 * MRN is still derived from it).
 */
const MRN_KEY = new RegExp(
  '(?:^|_)(?:mrns?|medical_records?(?:_(?:numbers?|num|nbr|no|ids?))?|med_rec(?:_(?:numbers?|num|no|ids?))?' +
    '|chart_(?:numbers?|num|nbr|no|ids?)|patient_(?:ids?|identifier|numbers?|num|nbr|no)' +
    '|(?:emr|ehr)_(?:ids?|numbers?|no)|hospital_number)(?:_(?:value|raw|str|string|text|hash|hashed))?$',
);

/** True when a normalised key names a medical record number. */
export function isMrnKey(key: string): boolean {
  return key.length > 0 && MRN_KEY.test(key);
}

export const mrnDetector: DetectorFactory = () => {
  const keywordRe = keywordValueRegex(MRN_KEYWORDS);
  const acceptToken = (token: string): boolean => plausibleIdToken(token, 3, 32);
  return {
    id: 'mrn',
    letter: 'H',
    kind: 'mrn',
    marker: '[MRN]',
    prefilter(value, ctx) {
      return hasDigits(value, 3) || (value.length >= 3 && isMrnKey(ctx.key));
    },
    find(value, ctx) {
      if (!isMrnKey(ctx.key)) return scanKeywordValues(keywordRe, value, 'mrn', acceptToken);
      const whole = keyedIdSpan(value, 'mrn');
      if (whole !== null) return [whole];
      return mergeSpans(scanKeywordValues(keywordRe, value, 'mrn', acceptToken), keyedTokenSpans(value, 'mrn'));
    },
  } satisfies Detector;
};
