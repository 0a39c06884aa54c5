/**
 * US ZIP codes (Safe Harbor B), and any postcode under a postal-code key. A bare five-digit number
 * in free text is more often a count, an id or a price, so free text needs evidence: the ZIP+4
 * shape (`02139-4307`), a label ("zip", "postal code") or a US state right before it
 * ("Cambridge, MA 02139", "Boston MA 02115", "Massachusetts 02139").
 *
 * `zip3` gives the generalisation Safe Harbor allows: the first three digits, or `000` for the
 * sparsely populated three-digit areas HHS lists.
 */
import type { DetectContext, DetectorFactory, Span } from './types';
import { memoizeByKey } from './util';
import { F_ASCII_UPPER, F_ZIP4, wordStartSet, type StringFeatures } from './features';

// 2000 Census three-digit ZIP areas with 20,000 people or fewer (HHS de-identification guidance).
const RESTRICTED_ZIP3: ReadonlySet<string> = new Set([
  '036', '059', '063', '102', '203', '556', '692', '790', '821', '823', '830', '831', '878', '879',
  '884', '890', '893',
]);

// Two-letter codes that are also everyday tokens ("ID 12345", "PR 12345", "OR", "IN", "OK",
// "ME", "HI", "DE", "AS"): these need the city comma before them ("Boise, ID 83702").
const AMBIGUOUS_STATE_CODES = 'ID|IN|OR|OK|ME|HI|DE|AS|PR';
const STATE_CODES =
  'AL|AK|AZ|AR|CA|CO|CT|DC|FL|GA|IA|IL|KS|KY|LA|MA|MD|MI|MN|MO|MS|MT|NC|ND|NE|NH|NJ|NM|NV|NY|' +
  'OH|PA|RI|SC|SD|TN|TX|UT|VA|VT|WA|WI|WV|WY|GU|VI|MP';
const STATE_NAMES =
  'Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|' +
  'Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|' +
  'Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|' +
  'New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|' +
  'Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|' +
  'West Virginia|Wisconsin|Wyoming|District of Columbia|Puerto Rico|Guam';
// A ZIP or ZIP+4 not glued to other digits, letters or dashes (`SKU-12345-6789`, `12345678`).
const ZIP_TAIL = '(\\d{5}(?:-\\d{4})?)(?![\\w-])';

/**
 * `02139-4307`: the +4 shape is specific enough on its own, unless a label says it is another
 * kind of number ("Model No. 12345-6789", "Part number 55555-1234", "order #12345-6789").
 */
const ZIP_PLUS4_RE =
  /(?<![\w\-.$#])(?<!\b(?:no\.?|num|number|model|part|serial|sku|order|invoice|ticket|case|id|ref|item|claim|account|acct|policy|batch|lot)\s{0,2}[:#]?\s{0,2})(\d{5}-\d{4})(?![\w-]|\.\d)/gi;

/** "zip 02139", "ZIP code: 02139", "postal code is 02139", "zip=02139". */
const LABELLED_ZIP_RE = new RegExp(
  `\\b(?:zip[\\s_]?code|zip\\+4|zip|postal[\\s_]?code|postcode|post[\\s_]?code)\\b(?:\\s{0,3}(?:is|#|no\\.?))?\\s{0,3}[:=#]?\\s{0,3}${ZIP_TAIL}`,
  'gi',
);

/** "Cambridge, MA 02139", "Boston MA 02115", "Boise, ID 83702", "Massachusetts 02139". */
const STATE_ZIP_RE = new RegExp(
  `(?:\\b(?:${STATE_CODES})\\.?|,\\s{0,2}(?:${AMBIGUOUS_STATE_CODES})\\.?|\\b(?:${STATE_NAMES})),?\\s{1,3}${ZIP_TAIL}`,
  'g',
);

/** Starts of LABELLED_ZIP_RE's labels (`zip…`, `postal…`, `postcode`, `post code`), for the engine's gate. */
const LABEL_STARTS = wordStartSet(['zip', 'postal', 'postcode', 'post']);

/** Under a postal key: US (3–5 digits, ZIP+4), UK, Canadian and other alphanumeric postcodes. */
const KEYED_US_RE = /^\d{3,5}(?:-?\d{4})?$/;
const KEYED_UK_RE = /^[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}$/i;
const KEYED_CA_RE = /^[A-Z]\d[A-Z][\s-]?\d[A-Z]\d$/i;
// Dutch `1012 AB`, Japanese `100-0001`, Brazilian `01310-100`, Indian `110001`, Polish `00-950`.
const KEYED_OTHER_RE = /^(?=[A-Z\d -]*\d)[A-Z\d]{2,6}(?:[\s-][A-Z\d]{2,4})?$/i;
const KEYED_RES: readonly RegExp[] = [KEYED_US_RE, KEYED_UK_RE, KEYED_CA_RE, KEYED_OTHER_RE];

const ZIP_KEYS: ReadonlySet<string> = new Set([
  'zip', 'zipcode', 'zip_code', 'zip5', 'zip4', 'zip_plus4', 'postal_code', 'postcode', 'post_code',
  'postal', 'postalcode', 'geoip_postal_code', 'billing_zip', 'shipping_zip', 'address_zip',
]);
const ZIP_KEY_SUFFIXES: readonly string[] = ['_zip', '_zipcode', '_zip_code', '_postal_code', '_postcode', '_post_code'];

const FIRST_US_ZIP_RE = /(?<![\w-])(\d{5})(?:-?\d{4})?(?![\w-])/;
const DIGITS_ONLY_RE = /^\d{3,9}$/;
// Longest postcode we accept under a postal key (`02139-4307`, `SW1A 1AA`) plus slack.
const MAX_KEYED_POSTCODE_LENGTH = 12;

/** True when `key` (normalised) names a postal code: `zip`, `postal_code`, `billing_zip`, ... */
export const isZipKey: (key: string) => boolean = memoizeByKey(function isZipKey(key: string): boolean {
  if (key.length === 0) return false;
  if (ZIP_KEYS.has(key)) return true;
  for (const suffix of ZIP_KEY_SUFFIXES) if (key.endsWith(suffix)) return true;
  return false;
});

/**
 * The three-digit ZIP area Safe Harbor allows to keep, `000` for restricted areas, `undefined`
 * for a value that is not a US ZIP (UK, Canadian postcodes).
 *
 * @example zip3('02139-4307') // '021'
 * @example zip3('82190') // '000' (821 is a restricted area)
 */
export function zip3(text: string): string | undefined {
  let prefix: string | undefined;
  const trimmed = text.trim();
  const digitsOnly = DIGITS_ONLY_RE.test(trimmed) ? trimmed : undefined;
  if (digitsOnly !== undefined) {
    // A leading zero lost to a numeric column (`2139` for 02139) is restored before cutting.
    if (digitsOnly.length === 3) prefix = digitsOnly;
    else if (digitsOnly.length === 4 || digitsOnly.length === 8) prefix = `0${digitsOnly}`.slice(0, 3);
    else if (digitsOnly.length === 5 || digitsOnly.length === 9) prefix = digitsOnly.slice(0, 3);
  } else {
    prefix = FIRST_US_ZIP_RE.exec(text)?.[1]?.slice(0, 3);
  }
  if (prefix === undefined) return undefined;
  return RESTRICTED_ZIP3.has(prefix) ? '000' : prefix;
}

function collectGroup(re: RegExp, value: string, out: Span[]): void {
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) {
    const zip = m[1];
    if (zip === undefined) continue;
    const start = m.index + m[0].length - zip.length;
    out.push({ start, end: m.index + m[0].length, kind: 'zip' });
  }
}

/** Sorts by start (longest first on ties) and drops spans overlapping one already kept. */
function dropOverlaps(spans: Span[]): Span[] {
  if (spans.length < 2) return spans;
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Span[] = [];
  let lastEnd = -1;
  for (const s of spans) {
    if (s.start >= lastEnd) { kept.push(s); lastEnd = s.end; }
  }
  return kept;
}

function keyedSpan(value: string): Span | undefined {
  // Trim first: `^\s*…\s*$` patterns backtrack quadratically over long runs of spaces.
  const text = value.trim();
  if (text.length === 0 || text.length > MAX_KEYED_POSTCODE_LENGTH) return undefined;
  for (const re of KEYED_RES) {
    if (!re.test(text)) continue;
    const start = value.indexOf(text);
    return { start, end: start + text.length, kind: 'zip' };
  }
  return undefined;
}

export const zipDetector: DetectorFactory = () => {
  return {
    id: 'zip',
    letter: 'B',
    kind: 'zip',
    marker: '[ZIP]',
    prefilter: function zipPrefilter(value: string, ctx: DetectContext): boolean {
      const needed = isZipKey(ctx.key) ? 1 : 5;
      let digits = 0;
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i);
        if (c >= 48 && c <= 57 && ++digits >= needed) return true;
      }
      return false;
    },
    gate: function zipGate(_value: string, ctx: DetectContext, f: StringFeatures): boolean {
      if (isZipKey(ctx.key)) return f.digits > 0;
      // Five digits in a row, and a ZIP+4, a "zip"/"postal" label, or a state (capitalised).
      return f.maxDigitRun >= 5 && (f.has(F_ZIP4 | F_ASCII_UPPER) || f.hasWordStart(LABEL_STARTS));
    },
    find: function findZips(value: string, ctx: DetectContext, f?: StringFeatures): Span[] {
      if (isZipKey(ctx.key)) {
        const span = keyedSpan(value);
        if (span !== undefined) return [span];
      }
      const spans: Span[] = [];
      // Each pattern only where it can match (with features from the engine), as in the gate.
      const five = f === undefined || f.maxDigitRun >= 5;
      if (five && (f === undefined || f.has(F_ZIP4))) collectGroup(ZIP_PLUS4_RE, value, spans);
      if (five && (f === undefined || f.hasWordStart(LABEL_STARTS))) collectGroup(LABELLED_ZIP_RE, value, spans);
      if (five && (f === undefined || f.has(F_ASCII_UPPER))) collectGroup(STATE_ZIP_RE, value, spans);
      return dropOverlaps(spans);
    },
  };
};
