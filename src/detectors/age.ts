/**
 * Ages over 89 (Safe Harbor C). Younger ages may stay under Safe Harbor, so only 90–125 counts;
 * the span is the number alone ("93" in "93-year-old"), which lets the engine generalise it to
 * `90+` while keeping the sentence readable ("a 90+-year-old woman").
 *
 * In free text an age needs its unit or its label ("93 years old", "93 y/o", "aged 93",
 * "age: 93"): a bare 93 is a count. Under a key such as `age` the bare number is enough.
 */
import type { DetectContext, DetectorFactory, Span } from './types';
import { letterBit, wordStartSet, type StringFeatures } from './features';

const MIN_PROTECTED_AGE = 90;
// Oldest verified human lifespan is 122: larger "ages" are buildings, trees or typos.
const MAX_PLAUSIBLE_AGE = 125;

const UNITS = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
const SPELLED_UNIT = UNITS.join('|');
// "ninety", "ninety-three", "one hundred", "a hundred and two": ages 90–110 spelled out.
const SPELLED_AGE = `ninety(?:[\\s-]?(?:${UNITS.slice(0, 9).join('|')}))?|(?:one\\s+)?hundred(?:\\s+(?:and\\s+)?(?:${SPELLED_UNIT}))?`;
const AGE_NUMBER = `(\\d{2,3}(?:\\.\\d{1,2})?|${SPELLED_AGE})`;

/** Number then unit: "93 years old", "93-year-old", "93 years of age", "93 yrs", "93 y/o", "93yo". */
const NUMBER_THEN_UNIT_RE = new RegExp(
  `(?<![\\d.,$])\\b${AGE_NUMBER}[\\s-]{0,3}` +
    '(?:years?[\\s-]{1,3}(?:old|young)\\b|years?\\s{1,3}of\\s{1,3}age\\b|yrs?\\b(?:[\\s-]{1,3}(?:old|young)\\b)?|yr[\\s-]{1,3}old\\b|y\\/o\\b|y\\.o\\.?|yo\\b)',
  'gi',
);

/**
 * Birthdays that state an age: "turned 103", "turns 95", "will be turning 90". Not a rotation, a
 * reading or a count: "turned 90 degrees", "turns 95%", "turned 100 orders", "turn 95/60".
 */
const EVENT_THEN_NUMBER_RE = new RegExp(
  `\\b(?:turn(?:ed|s|ing)?)\\s{1,3}${AGE_NUMBER}` +
    '(?![\\d+%°/:,.]\\d|[\\d+%°/]|-\\d|st\\b|nd\\b|rd\\b|th\\b|\\s{0,3}(?:degrees?|deg|percent|pct|times|x|k|km|mi|miles|mph|rpm|' +
    'points?|pts|orders?|followers?|users?|visits?|items?|steps?|pages?|days?|weeks?|wks?|months?|mos?|hours?|hrs?|' +
    'minutes?|mins?|seconds?|secs?|ms|am|pm|a\\.m|p\\.m|o\\.?clock|dollars?|usd|mg|ml|kg|lbs?|cm|mm|bpm|mmhg|f|c)\\b)',
  'gi',
);

/** "her 100th birthday", "101st bday": an ordinal birthday is an age. */
const ORDINAL_BIRTHDAY_RE = /(?<![\d.,$])\b(\d{2,3})(?:st|nd|rd|th)[\s-]{1,3}(?:birthday|bday|b-day)\b/gi;

/** "died at 93 years", "at 101 yrs": "at" then the number then the unit, without "old". */
const AT_NUMBER_YEARS_RE = new RegExp(`\\bat\\s{1,3}${AGE_NUMBER}[\\s-]{1,3}(?:years?|yrs?)\\b`, 'gi');

/** Words that are themselves an age over 89: "a nonagenarian", "centenarians". */
const AGE_WORD_RE = /\b(?:nonagenarian|centenarian|supercentenarian)s?\b/gi;

/**
 * Label then number: "aged 93", "age: 93", "age=93", "at the age of 93", "age is 93". Not when
 * a smaller unit follows ("aged 95 days"), an ordinal or percentage ("age 95th percentile"), or
 * `+` (already the aggregated "90+" category).
 */
const LABEL_THEN_NUMBER_RE = new RegExp(
  `\\b(?:aged|age(?:\\s{1,3}(?:is|of|was))?)\\s{0,3}[:=]?\\s{0,3}(?:about\\s{1,3}|approx\\.?\\s{1,3}|approximately\\s{1,3}|~\\s?)?${AGE_NUMBER}` +
    '(?![\\d+%]|\\.\\d|st\\b|nd\\b|rd\\b|th\\b|\\s{0,3}(?:days?|weeks?|wks?|months?|mos?|hours?|hrs?|minutes?|mins?|seconds?|secs?|ms)\\b)',
  'gi',
);

/**
 * Value forms accepted under an age key: "93", "93.5", "93 years", "93y". The trailing blanks
 * belong to the unit when there is one: `\s*(?:years)?\s*$` let two blank runs share the spaces
 * of "93" + 32,000 spaces + "!" in O(n²) ways (0.9 s; a 262,144-character value about a minute).
 */
export const KEYED_AGE_RE = /^\s*(\d{2,3}(?:\.\d{1,2})?)\s*(?:(?:y|yr|yrs|years?)\s*)?$/i;

/**
 * The words each free-text pattern needs, for the engine's gate: a unit right after the number
 * (`93yo`, `93-year-old`: a `y` not after a letter), or a word at a word start.
 */
const UNIT_LETTER = letterBit('y');
/** Spelled numbers: "ninety-three years", "one hundred and two". */
const SPELLED_STARTS = wordStartSet(['ninety', 'one', 'hundred']);
const LABEL_STARTS = wordStartSet(['aged', 'age']);
const EVENT_STARTS = wordStartSet(['turned']);
const AT_STARTS = wordStartSet(['at']);
const BIRTHDAY_STARTS = wordStartSet(['birthday', 'bday', 'b-day']);
const AGE_NOUN_STARTS = wordStartSet(['nonagenarian', 'centenarian', 'supercentenarian']);
const AGE_WORD_STARTS = wordStartSet([
  'ninety', 'one', 'hundred', 'aged', 'age', 'turned', 'at', 'birthday', 'bday', 'b-day', 'nonagenarian', 'centenarian',
  'supercentenarian',
]);

const AGE_KEYS: ReadonlySet<string> = new Set([
  'age', 'patient_age', 'age_years', 'age_in_years', 'current_age', 'user_age', 'member_age',
  'person_age', 'subject_age', 'client_age', 'customer_age', 'age_at_visit', 'age_at_admission',
  'age_at_death', 'age_at_diagnosis', 'age_at_enrollment', 'age_value',
]);

const SPELLED_VALUES: Readonly<Record<string, number>> = Object.freeze({
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
});
const DIGITS_RE = /\d{2,3}(?:\.\d{1,2})?/;
/**
 * The unit after "ninety"/"hundred" at the end of the text (group 1 after separators, 2 glued
 * on). Written as `(?:[\s-]+(?:and\s+)?)?(unit)?\s*$`, the separator run and the final
 * `\s*` split trailing blanks in O(n²) ways: "hundred" + 32,000 spaces took 1 s under a
 * generalised `age` field. Same language, same unit.
 */
const SPELLED_UNIT_RE = new RegExp(`(?:ninety|hundred)(?:[\\s-]+(?:and\\s+)?(?:(${SPELLED_UNIT})\\s*)?|(${SPELLED_UNIT})\\s*)?$`, 'i');

/**
 * The age a span states: `ageOf('93')` → 93, `ageOf('93 years old')` → 93,
 * `ageOf('ninety-three')` → 93, `ageOf('one hundred and two')` → 102; `undefined` without one.
 */
export function ageOf(text: string): number | undefined {
  const digits = DIGITS_RE.exec(text);
  if (digits !== null) return Number(digits[0]);
  const lower = text.toLowerCase();
  const base = lower.includes('ninety') ? 90 : lower.includes('hundred') ? 100 : 0;
  if (base === 0) return undefined;
  const m = SPELLED_UNIT_RE.exec(lower);
  const unit = m === null ? undefined : m[1] ?? m[2];
  return base + (unit === undefined ? 0 : SPELLED_VALUES[unit] ?? 0);
}

function isProtectedAge(text: string): boolean {
  const age = ageOf(text);
  return age !== undefined && age >= MIN_PROTECTED_AGE && age <= MAX_PLAUSIBLE_AGE;
}

function collectNumberGroup(re: RegExp, value: string, out: Span[]): void {
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) {
    const number = m[1];
    if (number === undefined || !isProtectedAge(number)) continue;
    // The number is the only digits/spelled run in the match that can equal the group text.
    const start = m.index + m[0].lastIndexOf(number);
    out.push({ start, end: start + number.length, kind: 'age' });
  }
}

/** Cheap gate: two digits in a row, or a spelled-out "ninety"/"hundred". */
function mayHoldAge(value: string): boolean {
  let run = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++run === 2) return true;
    } else {
      run = 0;
    }
  }
  return maySpellAge(value);
}

/** "ninety", "hundred", "…genarian" in lower or upper case. */
function maySpellAge(value: string): boolean {
  return value.length >= 6 && (
    value.includes('inety') || value.includes('INETY') || value.includes('undred') || value.includes('UNDRED') ||
    value.includes('enarian') || value.includes('ENARIAN')
  );
}

export const ageDetector: DetectorFactory = () => {
  return {
    id: 'age',
    letter: 'C',
    kind: 'age',
    marker: '[AGE]',
    prefilter: function agePrefilter(value: string): boolean {
      return mayHoldAge(value);
    },
    gate: function ageGate(value: string, ctx: DetectContext, f: StringFeatures): boolean {
      // Outside an age key every pattern has a word: years/yrs/y.o., age(d), turn(ed), at, birthday, …genarian.
      // (Tested first: it needs no substring search.)
      if (!AGE_KEYS.has(ctx.key) && (f.letterStarts & UNIT_LETTER) === 0 && !f.hasWordStart(AGE_WORD_STARTS)) return false;
      return f.maxDigitRun >= 2 || maySpellAge(value);
    },
    find: function findAges(value: string, ctx: DetectContext, f?: StringFeatures): Span[] {
      if (AGE_KEYS.has(ctx.key)) {
        const keyed = KEYED_AGE_RE.exec(value);
        if (keyed !== null) {
          const number = keyed[1] ?? '';
          if (!isProtectedAge(number)) return [];
          const start = value.indexOf(number);
          return [{ start, end: start + number.length, kind: 'age' }];
        }
      }
      const spans: Span[] = [];
      // Each pattern only where its words can start (with features from the engine).
      const all = f === undefined;
      if (all || (f.letterStarts & UNIT_LETTER) !== 0 || f.hasWordStart(SPELLED_STARTS)) collectNumberGroup(NUMBER_THEN_UNIT_RE, value, spans);
      if (all || f.hasWordStart(LABEL_STARTS)) collectNumberGroup(LABEL_THEN_NUMBER_RE, value, spans);
      if (all || f.hasWordStart(EVENT_STARTS)) collectNumberGroup(EVENT_THEN_NUMBER_RE, value, spans);
      if (all || f.hasWordStart(AT_STARTS)) collectNumberGroup(AT_NUMBER_YEARS_RE, value, spans);
      if (all || f.hasWordStart(BIRTHDAY_STARTS)) collectNumberGroup(ORDINAL_BIRTHDAY_RE, value, spans);
      AGE_WORD_RE.lastIndex = all || f.hasWordStart(AGE_NOUN_STARTS) ? 0 : value.length;
      let m: RegExpExecArray | null;
      while ((m = AGE_WORD_RE.exec(value)) !== null) {
        spans.push({ start: m.index, end: m.index + m[0].length, kind: 'age' });
      }
      if (spans.length < 2) return spans;
      // "aged 93 years old" is caught by both patterns: keep one span per number.
      spans.sort((a, b) => a.start - b.start);
      const kept: Span[] = [];
      let lastEnd = -1;
      for (const s of spans) {
        if (s.start >= lastEnd) { kept.push(s); lastEnd = s.end; }
      }
      return kept;
    },
  };
};
