/**
 * Calendar dates (Safe Harbor C: every element of a date except the year). Finds ISO dates and
 * date-times, numeric US/European dates, long forms with month names, and month + year.
 *
 * Each format is its own small regex (run one after the other, results merged) so each can carry
 * its own validator: month and day ranges, days per month, plausible years. Bare numbers never
 * match (years, epochs, versions), and dotted forms need a four-digit year so `10.15.7` and
 * `1.449.2` stay versions.
 */
import { memoizeByKey, mergeSpans } from './util';
import type { DetectContext, DetectorFactory, Span } from './types';
import { F_DIGIT_SEP_DIGIT, F_THREE_LETTERS, wordStartSet, type StringFeatures } from './features';

const MONTH_NAMES =
  'January|February|March|April|May|June|July|August|September|October|November|December|' +
  'Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec';
const WEEKDAY_NAMES =
  'Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tues|Tue|Wed|Thurs|Thur|Thu|Fri|Sat|Sun';
// Four-digit years we believe in: 1800–2199. Anything else next to a month is a count or an id.
const YEAR4 = '(?:18|19|20|21)\\d{2}';
const WEEKDAY_PREFIX = `(?:(?:${WEEKDAY_NAMES})\\.?,?\\s{1,3})?`;

/** `1985-03-14`, `1985/03/14`, `1985-03-14T09:30:00.123+02:00`, `1985-03-14 09:30`. */
const ISO_RE = new RegExp(
  '(?<![\\d./])(?<!\\d-)(\\d{4})([-/.])(\\d{1,2})\\2(\\d{1,2})' +
    '(?:[T ]\\d{2}:\\d{2}(?::\\d{2}(?:[.,]\\d{1,9})?)?(?:\\s?(?:Z|UTC|GMT|[+-]\\d{2}(?::?\\d{2})?))?)?' +
    '(?!\\d|[-/.:]\\d)',
  'g',
);

/** `03/14/1985`, `3/14/85`, `03-14-1985`, `14.03.1985`, `14/03/1985`. */
const NUMERIC_RE = /(?<![\d./])(?<!\w-)(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?!\d|[-/.:]\d)/g;

/** `03/1985`: month and year, slash only (`03-1985` reads like an id range). */
const MONTH_YEAR_NUMERIC_RE = /(?<![\d./])(?<!\w-)(\d{1,2})\/(\d{4})(?!\d|[-/.:]\d)/g;

/** `March 14, 1985`, `Mar. 14th 1985`, `Thursday, March 14, 1985`, `March 14`, `Mar 14 '85`. */
const MONTH_DAY_RE = new RegExp(
  `\\b${WEEKDAY_PREFIX}(${MONTH_NAMES})\\.?\\s{1,3}(\\d{1,2})(?:st|nd|rd|th)?\\b` +
    `(?:,?\\s{1,3}(${YEAR4})(?!\\d)|,?\\s{1,3}['’](\\d{2})\\b)?`,
  'gi',
);

/** `14 March 1985`, `14th of March, 1985`, `14-Mar-1985`, `14/Mar/85`, `14 March`. */
const DAY_MONTH_RE = new RegExp(
  `(?<![\\d.,])\\b${WEEKDAY_PREFIX}(\\d{1,2})(?:st|nd|rd|th)?((?:\\s{1,3}of)?\\s{1,3}|-|/)(${MONTH_NAMES})\\b\\.?` +
    `(?:,?\\s{1,3}(${YEAR4})(?!\\d)|[-/](${YEAR4}|\\d{2})(?!\\d))?`,
  'gi',
);

/** `March 1985`, `Mar. 1985`, `March, 1985`. */
const MONTH_YEAR_RE = new RegExp(`\\b(${MONTH_NAMES})\\.?,?\\s{1,3}(${YEAR4})(?!\\d)`, 'gi');

/** Keys whose value is a date, where the compact `19850314` form is also accepted. */
const DATE_KEY_RE = /(?:^|_)(?:dob|birth|birthday|birthdate|bday|dod|death|date|admitted|admission|discharge|discharged|deceased)(?:_|$)/;
/** Month and weekday names start at a word start in every month-name pattern (engine gate). */
const NAME_STARTS = wordStartSet(`${MONTH_NAMES}|${WEEKDAY_NAMES}`.split('|'));
const isDateKey = memoizeByKey((key: string): boolean => DATE_KEY_RE.test(key));
const COMPACT_DATE_RE = /^\s*(\d{8})\s*$/;
// Cheap gate for the month-name regexes: a purely numeric string cannot hold a month name.
const THREE_LETTERS_RE = /[A-Za-z]{3}/;
const FOUR_DIGIT_YEAR_RE = /(?<!\d)(\d{4})(?!\d)/;
const TWO_DIGIT_YEAR_RES: readonly RegExp[] = [
  /(?<!\d)\d{1,2}[/.-]\d{1,2}[/.-](\d{2})(?!\d)/, // 3/14/85
  /[A-Za-z][-/](\d{2})(?!\d)/, // 14-Mar-85
  /['’](\d{2})(?!\d)/, // Mar 14 '85
];

const DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const MONTH_BY_PREFIX: Readonly<Record<string, number>> = Object.freeze({
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
});

function validDay(month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= (DAYS_IN_MONTH[month] ?? 0);
}

function plausibleYear(year: number): boolean {
  return year >= 1800 && year <= 2199;
}

function monthNumber(name: string): number {
  return MONTH_BY_PREFIX[name.slice(0, 3).toLowerCase()] ?? 0;
}

/** Month names written in lower case ("may 5") are words too often to count without a year. */
function isCapitalised(text: string): boolean {
  const c = text.charCodeAt(0);
  return c >= 65 && c <= 90;
}

/** YYYYMMDD, else MMDDYYYY: only used where the key already says the value is a date. */
function compactDateValid(digits: string): boolean {
  const y1 = Number(digits.slice(0, 4));
  if (plausibleYear(y1) && validDay(Number(digits.slice(4, 6)), Number(digits.slice(6, 8)))) return true;
  const y2 = Number(digits.slice(4, 8));
  return plausibleYear(y2) && validDay(Number(digits.slice(0, 2)), Number(digits.slice(2, 4)));
}

type Accept = (m: RegExpExecArray) => boolean;

function collect(re: RegExp, value: string, accept: Accept, out: Span[]): void {
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) {
    if (m[0].length === 0) { re.lastIndex++; continue; }
    if (accept(m)) out.push({ start: m.index, end: m.index + m[0].length, kind: 'date' });
  }
}

const acceptIso: Accept = (m) => {
  const sep = m[2];
  const monthText = m[3] ?? '';
  const dayText = m[4] ?? '';
  // `2024.1.5` is a calendar version; dotted ISO dates are always zero-padded.
  if (sep === '.' && (monthText.length !== 2 || dayText.length !== 2)) return false;
  return plausibleYear(Number(m[1])) && validDay(Number(monthText), Number(dayText));
};

const acceptNumeric: Accept = (m) => {
  const a = Number(m[1]);
  const b = Number(m[3]);
  const yearText = m[4] ?? '';
  // Dotted with a two-digit year is a version (`3.12.24`); dotted dates are European and long.
  if (m[2] === '.' && yearText.length !== 4) return false;
  if (yearText.length === 4 && !plausibleYear(Number(yearText))) return false;
  // Month-first (US) or day-first (European): either reading may make it a date.
  return validDay(a, b) || validDay(b, a);
};

const acceptMonthYearNumeric: Accept = (m) => {
  const month = Number(m[1]);
  const year = Number(m[2]);
  return month >= 1 && month <= 12 && year >= 1900 && year <= 2099;
};

const acceptMonthDay: Accept = (m) => {
  const monthName = m[1] ?? '';
  const hasYear = m[3] !== undefined || m[4] !== undefined;
  if (!hasYear && !isCapitalised(monthName)) return false;
  return validDay(monthNumber(monthName), Number(m[2]));
};

const acceptDayMonth: Accept = (m) => {
  const separator = m[2] ?? '';
  const monthName = m[3] ?? '';
  const hasYear = m[4] !== undefined || m[5] !== undefined;
  if (!hasYear && (separator === '-' || separator === '/')) return false;
  if (!hasYear && !isCapitalised(monthName)) return false;
  return validDay(monthNumber(monthName), Number(m[1]));
};

const acceptMonthYear: Accept = (m) => isCapitalised(m[1] ?? '');

/**
 * The calendar year of a date span, for generalising a date to its year: `1985-03-14` → 1985,
 * `3/14/85` → 1985, `14.03.2001` → 2001. Two-digit years up to the current two-digit year are
 * read as 20xx, later ones as 19xx. `undefined` when the text carries no year (`March 14`).
 *
 * @example extractYear('Thursday, March 14, 1985') // 1985
 */
export function extractYear(dateText: string): number | undefined {
  const compact = COMPACT_DATE_RE.exec(dateText);
  if (compact !== null) {
    const digits = compact[1] ?? '';
    const y1 = Number(digits.slice(0, 4));
    return plausibleYear(y1) && validDay(Number(digits.slice(4, 6)), Number(digits.slice(6, 8)))
      ? y1
      : Number(digits.slice(4, 8));
  }
  const four = FOUR_DIGIT_YEAR_RE.exec(dateText);
  if (four !== null) return Number(four[1]);
  for (const re of TWO_DIGIT_YEAR_RES) {
    const two = re.exec(dateText);
    if (two === null) continue;
    const yy = Number(two[1]);
    const currentYY = new Date().getFullYear() % 100;
    return yy <= currentYY ? 2000 + yy : 1900 + yy;
  }
  return undefined;
}

export const dateDetector: DetectorFactory = () => {
  return {
    id: 'date',
    letter: 'C',
    kind: 'date',
    marker: '[DATE]',
    prefilter: function datePrefilter(value: string): boolean {
      // Every supported form has at least one digit (a day or a year).
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i);
        if (c >= 48 && c <= 57) return true;
      }
      return false;
    },
    gate: function dateGate(_value: string, ctx: DetectContext, f: StringFeatures): boolean {
      if (f.digits === 0) return false;
      // Numeric forms have digit-separator-digit, month names three letters, compact dates 8 digits.
      return f.has(F_DIGIT_SEP_DIGIT) || (f.has(F_THREE_LETTERS) && f.hasWordStart(NAME_STARTS)) ||
        (f.maxDigitRun >= 8 && isDateKey(ctx.key));
    },
    find: function findDates(value: string, ctx: DetectContext, f?: StringFeatures): Span[] {
      const spans: Span[] = [];
      if (isDateKey(ctx.key)) {
        const compact = COMPACT_DATE_RE.exec(value);
        if (compact !== null && compactDateValid(compact[1] ?? '')) {
          const start = value.indexOf(compact[1] ?? '');
          return [{ start, end: start + 8, kind: 'date' }];
        }
      }
      // Numeric forms need digit-separator-digit (known from the engine's features).
      if (f === undefined || f.has(F_DIGIT_SEP_DIGIT)) {
        collect(ISO_RE, value, acceptIso, spans);
        collect(NUMERIC_RE, value, acceptNumeric, spans);
        collect(MONTH_YEAR_NUMERIC_RE, value, acceptMonthYearNumeric, spans);
      }
      // Month names need a letter: skip three regexes on purely numeric strings.
      if (f === undefined ? THREE_LETTERS_RE.test(value) : f.has(F_THREE_LETTERS) && f.hasWordStart(NAME_STARTS)) {
        collect(MONTH_DAY_RE, value, acceptMonthDay, spans);
        collect(DAY_MONTH_RE, value, acceptDayMonth, spans);
        collect(MONTH_YEAR_RE, value, acceptMonthYear, spans);
      }
      return mergeSpans(spans);
    },
  };
};
