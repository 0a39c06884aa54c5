/**
 * Vehicle identifiers (Safe Harbor L): VINs anywhere when their North-American check digit holds
 * (any 11–17 character VIN after the keyword "VIN"), licence plates after a keyword ("plate
 * ABC-1234", "license plate 7ABC123", "tag number …"), and the whole value under a key that
 * names one (`license_plate`, `plate_number`, `vehicle_id`, `vin`, …).
 *
 * @example
 * vehicleDetector(DEFAULT_DETECTOR_OPTIONS).find('VIN 1M8GDM9AXKP042788', { key: '' })
 * // → [{ start: 4, end: 21, kind: 'vehicle' }]
 */
import {
  KEYWORD_END, KEYWORD_START, QUALIFIER, SEPARATOR, WORD_GAP, caseInsensitive, keyedIdSpan, keyedTokenSpans,
  keywordValueRegex, mergeSpans, scanKeywordValues,
} from './context';
import { hasDigits, memoizeByKey } from './util';
import type { Detector, DetectorFactory, Span } from './types';
import { wordStartSet, type StringFeatures } from './features';

/**
 * VIN transliteration (ISO 3779 / 49 CFR 565.15), indexed by upper-case char code: digits are
 * themselves, letters map to 1–9, and I, O, Q (never used) map to -1.
 */
const VIN_VALUE: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let d = 0; d <= 9; d++) table[48 + d] = d;
  const letters = 'ABCDEFGHJKLMNPRSTUVWXYZ';
  const values = [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9];
  for (let i = 0; i < letters.length; i++) table[letters.charCodeAt(i)] = values[i] ?? -1;
  return table;
})();
const VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2] as const;

/** Upper-cases an ASCII letter's char code; leaves anything else alone. */
function upperCode(c: number): number {
  return c >= 97 && c <= 122 ? c - 32 : c;
}

/**
 * True when the 17-character `vin` has a valid check digit at position 9: the weighted sum of
 * the transliterated characters mod 11, with 10 written as `X`. Case-insensitive.
 */
export function vinCheckDigitValid(vin: string): boolean {
  if (vin.length !== 17) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const c = upperCode(vin.charCodeAt(i));
    const v = c < 128 ? (VIN_VALUE[c] ?? -1) : -1;
    if (v < 0) return false;
    sum += v * (VIN_WEIGHTS[i] ?? 0);
  }
  const check = sum % 11;
  const actual = upperCode(vin.charCodeAt(8));
  return check === 10 ? actual === 88 /* X */ : actual === 48 + check;
}

/** A 17-character run of the VIN alphabet (no I, O, Q), not part of a longer token. */
const BARE_VIN = /(?<![A-Za-z0-9])[A-HJ-NPR-Za-hj-npr-z0-9]{17}(?![A-Za-z0-9])/g;

/**
 * A bare VIN needs more than a check digit (1 in 11 random tokens pass): letters and at least
 * three digits (never a 17-digit number or a word), in one case (mixed-case 17-character tokens
 * are random ids, e.g. Meteor's).
 */
function plausibleBareVin(token: string): boolean {
  let digits = 0;
  let upper = 0;
  let lower = 0;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c >= 97) lower++;
    else upper++;
  }
  return digits >= 3 && (upper === 0 || lower === 0) && upper + lower > 0 && vinCheckDigitValid(token);
}

const VIN_KEYWORDS = `vin(?:${WORD_GAP}${QUALIFIER})?|vehicle${WORD_GAP}identification${WORD_GAP}(?:numbers?|num|no|#)`;

/** After "VIN": 11–17 VIN characters (pre-1981 VINs are shorter; check digits are NA-only). */
const KEYWORD_VIN = /^[A-HJ-NPR-Z0-9]{11,17}$/i;
function acceptKeywordVin(token: string): boolean {
  return KEYWORD_VIN.test(token) && hasDigits(token, 2);
}

const PLATE_KEYWORDS = [
  `(?:licen[csCS]e|number|registration|reg|vehicle|car)${WORD_GAP}plates?(?:${WORD_GAP}${QUALIFIER})?`,
  `plates?(?:${WORD_GAP}${QUALIFIER})?`,
  `(?:licen[csCS]e|vehicle)${WORD_GAP}tags?(?:${WORD_GAP}${QUALIFIER})?`,
  `tag${WORD_GAP}(?:numbers?|num|nbr|no)`,
  `(?:vehicle|car)${WORD_GAP}registration(?:${WORD_GAP}${QUALIFIER})?`,
].join('|');

/**
 * A plate after its keyword: up to four alphanumeric groups joined by single dashes or spaces
 * (`ABC-1234`, `AB-123-CD`, `ABC 1234`, UK `AB12 CDE`, `W UK 0974`, German `B-MW 1234`).
 * `findPlates` decides how many of the groups belong to the plate; the rest is ordinary text
 * ("7ABC123 and ...").
 */
const PLATE_RE = new RegExp(
  caseInsensitive(`${KEYWORD_START}(?:${PLATE_KEYWORDS})${KEYWORD_END}${SEPARATOR}`) +
    '([A-Za-z0-9]{1,8}(?:[ -][A-Za-z0-9]{1,8}){0,3})(?![A-Za-z0-9])',
  'g',
);

/** Measurements that follow "plate" in shop and kitchen text: `plate 10mm`, `plate 300g`. */
const MEASUREMENT = /^\d+(?:mm|cm|m|in|ft|kg|g|lbs?|oz|px|ml|l)$/i;
const YEAR = /^(?:19|20)\d\d$/;

/** One dash-joined token (`ABC-1234`, `7ABC123`, `ab-123-cd`): the plate rules that always held. */
function plausiblePlate(plate: string): boolean {
  let alnum = 0;
  let digits = 0;
  for (let i = 0; i < plate.length; i++) {
    const c = plate.charCodeAt(i);
    if (c >= 48 && c <= 57) { digits++; alnum++; } else if (c !== 45 && c !== 32) alnum++;
  }
  if (alnum < 3 || alnum > 8 || digits === 0) return false;
  if (digits === alnum && digits < 4) return false;
  return !YEAR.test(plate) && !MEASUREMENT.test(plate);
}

function isUpperOrDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) return false;
  }
  return true;
}

/**
 * Several groups with a space among them (`W UK 0974`, `AB12 CDE`): every group in capitals or
 * digits, 4–8 characters in all, with a letter and a digit; not a group that is a year.
 */
function plausibleSpacedPlate(groups: readonly string[]): boolean {
  let alnum = 0;
  let digits = 0;
  for (const g of groups) {
    if (!isUpperOrDigits(g) || YEAR.test(g)) return false;
    alnum += g.length;
    for (let i = 0; i < g.length; i++) {
      const c = g.charCodeAt(i);
      if (c >= 48 && c <= 57) digits++;
    }
  }
  return alnum >= 4 && alnum <= 8 && digits > 0 && digits < alnum;
}

/**
 * The plate inside the groups after a keyword, as [first group, last group] (inclusive), or
 * undefined. The longest run that starts at the first group wins; a cut may only fall at a
 * space ("AB-123-CD" is one plate). A leading state or country code of 1–3 capitals may be
 * skipped ("plate CA 7ABC123", "plate: NY ABC 1234").
 */
function choosePlate(groups: readonly string[], seps: readonly string[]): [number, number] | undefined {
  for (let from = 0; from <= 1 && from < groups.length; from++) {
    if (from === 1) {
      const first = groups[0] ?? '';
      if (seps[0] !== ' ' || first.length > 3 || !/^[A-Z]+$/.test(first)) break;
    }
    for (let to = groups.length - 1; to >= from; to--) {
      // The plate cannot stop at a dash: "AB-123-CD" is not "AB-123".
      if (to < groups.length - 1 && seps[to] === '-') continue;
      const slice = groups.slice(from, to + 1);
      let spaced = false;
      for (let k = from; k < to; k++) if (seps[k] === ' ') spaced = true;
      const ok = spaced ? plausibleSpacedPlate(slice) : plausiblePlate(slice.join('-'));
      if (ok) return [from, to];
    }
  }
  return undefined;
}

const GROUP_RE = /[A-Za-z0-9]+/g;

function findPlates(re: RegExp, value: string): Span[] {
  const spans: Span[] = [];
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) {
    const text = m[1] ?? '';
    const end = m.index + m[0].length;
    const start = end - text.length;
    const groups: string[] = [];
    const starts: number[] = [];
    const seps: string[] = [];
    GROUP_RE.lastIndex = 0;
    let g: RegExpExecArray | null;
    while ((g = GROUP_RE.exec(text)) !== null) {
      if (groups.length > 0) seps.push(text.charAt(g.index - 1));
      groups.push(g[0]);
      starts.push(g.index);
    }
    const chosen = choosePlate(groups, seps);
    if (chosen !== undefined) {
      const [from, to] = chosen;
      const plateStart = start + (starts[from] ?? 0);
      const plateEnd = start + (starts[to] ?? 0) + (groups[to] ?? '').length;
      spans.push({ start: plateStart, end: plateEnd, kind: 'vehicle' });
      re.lastIndex = plateEnd;
    } else {
      re.lastIndex = Math.max(start, m.index + 1);
    }
  }
  return spans;
}

/** First two characters of the VIN and plate keywords, for the engine's gate. */
const VIN_STARTS = wordStartSet(['vin', 'vehicle']);
const PLATE_STARTS = wordStartSet(['license', 'licence', 'number', 'registration', 'reg', 'vehicle', 'car', 'plate', 'tag']);
const KEYWORD_STARTS = wordStartSet(['vin', 'vehicle', 'license', 'licence', 'number', 'registration', 'reg', 'car', 'plate', 'tag']);

const VEHICLE_KEY = new RegExp(
  '(?:^|_)(?:(?:licen[cs]e_|number_|registration_|vehicle_)?plates?(?:_(?:numbers?|num|no|ids?))?' +
    '|vehicle_(?:ids?|vin|identification_number|registration(?:_number)?)|vins?(?:_(?:numbers?|no))?' +
    '|(?:licen[cs]e_)?tag_number)(?:_(?:value|raw|str|string|text|hash|hashed))?$',
);

/** True when a normalised key names a vehicle identifier or plate. */
export const isVehicleKey: (key: string) => boolean = memoizeByKey(function isVehicleKey(key: string): boolean {
  return key.length > 0 && VEHICLE_KEY.test(key);
});

/**
 * Built once per process, not per plan: V8 keeps a regex's compiled code on the RegExp object,
 * and a new RegExp built for each compiled plan recompiles (milliseconds for the keyword
 * alternations) once a GC has aged its source out of V8's cache. Shared safely: every scan sets
 * `lastIndex` first and runs to completion.
 */
const VIN_KEYWORD_RE = keywordValueRegex(VIN_KEYWORDS);

export const vehicleDetector: DetectorFactory = () => {
  const vinKeywordRe = VIN_KEYWORD_RE;
  const bareVinRe = BARE_VIN;
  const plateRe = PLATE_RE;
  return {
    id: 'vehicle',
    letter: 'L',
    kind: 'vehicle',
    marker: '[VEHICLE]',
    prefilter(value, ctx) {
      return hasDigits(value, 1) || (value.length >= 3 && isVehicleKey(ctx.key));
    },
    gate(value, ctx, f) {
      if (value.length >= 3 && isVehicleKey(ctx.key)) return true;
      // A keyword (VIN or plate), or a bare 17-character VIN.
      return f.digits > 0 && (f.alnumRun >= 17 || f.hasWordStart(KEYWORD_STARTS));
    },
    find(value, ctx, f) {
      const keyed = isVehicleKey(ctx.key);
      if (keyed) {
        const whole = keyedIdSpan(value, 'vehicle');
        if (whole !== null) return [whole];
      }
      const bare: Span[] = [];
      bareVinRe.lastIndex = f === undefined || f.alnumRun >= 17 ? 0 : value.length;
      let m: RegExpExecArray | null;
      while ((m = bareVinRe.exec(value)) !== null) {
        if (plausibleBareVin(m[0])) bare.push({ start: m.index, end: m.index + 17, kind: 'vehicle' });
      }
      // Each keyword scan only where its keywords can start (with features from the engine).
      return mergeSpans(
        keyed ? keyedTokenSpans(value, 'vehicle') : [],
        f === undefined || f.hasWordStart(VIN_STARTS) ? scanKeywordValues(vinKeywordRe, value, 'vehicle', acceptKeywordVin) : [],
        bare,
        f === undefined || f.hasWordStart(PLATE_STARTS) ? findPlates(plateRe, value) : [],
      );
    },
  } satisfies Detector;
};
