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
  KEYWORD_START, QUALIFIER, WORD_GAP, keyedIdSpan, keyedTokenSpans, keywordValueRegex, mergeSpans, plausibleIdToken, scanKeywordValues,
} from './context';
import type { Detector, DetectorFactory, Span } from './types';
import { countDigits, hasDigits, memoizeByKey } from './util';
import { wordStartSet, type StringFeatures } from './features';

/** "2024 01 05", "2024-01-05 10": a date read as digit groups. */
const YEAR_OR_DATE_SPACED = /^(?:(?:19|20)\d\d[ -]\d\d?(?:[ -]\d\d?)?|\d\d?[ -]\d\d?[ -](?:19|20)\d\d)$/;

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

/** First two characters of the keywords above and of PATIENT_NUMBER_RE's, for the engine's gate. */
const KEYWORD_STARTS = wordStartSet(['mrn', 'mr#', 'medical', 'health', 'med', 'chart', 'patient', 'pt', 'emr', 'ehr', 'hospital']);
const SITE_STARTS = wordStartSet(['mrn', 'mr#', 'medical']);
const PATIENT_STARTS = wordStartSet(['patient', 'pt']);

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
export const isMrnKey: (key: string) => boolean = memoizeByKey(function isMrnKey(key: string): boolean {
  return key.length > 0 && MRN_KEY.test(key);
});

/**
 * "MRN BWH 338-12-09", "MRN: MGH 1234 567": a site code (2–6 capitals, not a keyword word) between
 * the keyword and the number, and digit groups split by single spaces or dashes. The site code is
 * kept with the id.
 */
const SITE_KEYWORDS = ['mrn', 'mr#', `medical${WORD_GAP}records?${RECORD_QUALIFIER}?`].join('|');
const SITE_TOKEN =
  '((?:(?!(?:MRN|MR|ID|NO|NOS|NUM|NR|NBR|EMR|EHR|IS|OF)[^A-Za-z])[A-Z]{2,6}[ :#-]{1,2})?(?:\\d{2,4}(?:[ -]\\d{2,4}){1,4}|\\d{2,12}(?:-\\d{2,12}){0,4}))(?![A-Za-z0-9]|[ -]\\d)';

/**
 * "for patient 92275057", "pt 92275057", "patient #92275057": the word patient/pt right before a
 * number of 6+ digits (or after `#`) is that patient's id; "patient 1 of 3" and "patients 2024" are not.
 */
const PATIENT_NUMBER_RE = new RegExp(
  `${KEYWORD_START}(?:[Pp]atient|PATIENT|[Pp]t|PT)\\.?(?:[ \\t]{1,3}#?|[ \\t]{0,3}[#:][ \\t]{0,3})(\\d{6,20}|(?<=#[ \\t]{0,3})[A-Za-z0-9]{1,20}(?:-[A-Za-z0-9]{1,20}){0,4})(?!-?[A-Za-z0-9])`,
  'g',
);

/**
 * Built once per process, not per plan: V8 keeps a regex's compiled code on the RegExp object,
 * and a new RegExp built for each compiled plan recompiles (milliseconds for the keyword
 * alternations) once a GC has aged its source out of V8's cache. Shared safely: every scan sets
 * `lastIndex` first and runs to completion.
 */
const KEYWORD_RE = keywordValueRegex(MRN_KEYWORDS);
const SITE_RE = keywordValueRegex(SITE_KEYWORDS, SITE_TOKEN);

export const mrnDetector: DetectorFactory = () => {
  const keywordRe = KEYWORD_RE;
  const siteRe = SITE_RE;
  const acceptToken = (token: string): boolean => plausibleIdToken(token, 3, 32);
  const acceptSite = (token: string): boolean => countDigits(token) >= 5 && !YEAR_OR_DATE_SPACED.test(token);
  // Each scan only where its keywords can start (with features from the engine).
  const scanText = (value: string, f: StringFeatures | undefined): Span[] => mergeSpans(
    f === undefined || f.hasWordStart(KEYWORD_STARTS) ? scanKeywordValues(keywordRe, value, 'mrn', acceptToken) : [],
    f === undefined || f.hasWordStart(SITE_STARTS) ? scanKeywordValues(siteRe, value, 'mrn', acceptSite) : [],
    f === undefined || f.hasWordStart(PATIENT_STARTS) ? scanKeywordValues(PATIENT_NUMBER_RE, value, 'mrn', acceptToken) : [],
  );
  return {
    id: 'mrn',
    letter: 'H',
    kind: 'mrn',
    marker: '[MRN]',
    prefilter(value, ctx) {
      return hasDigits(value, 3) || (value.length >= 3 && isMrnKey(ctx.key));
    },
    gate(value, ctx, f) {
      if (value.length >= 3 && isMrnKey(ctx.key)) return true;
      return f.digits >= 3 && f.hasWordStart(KEYWORD_STARTS);
    },
    find(value, ctx, f) {
      if (!isMrnKey(ctx.key)) return scanText(value, f);
      const whole = keyedIdSpan(value, 'mrn');
      if (whole !== null) return [whole];
      return mergeSpans(scanText(value, f), keyedTokenSpans(value, 'mrn'));
    },
  } satisfies Detector;
};
