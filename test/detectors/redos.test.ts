/**
 * Liveness of every built-in detector, and of the engine, on hostile strings. The detectors run
 * JavaScript regexes (a backtracking engine) on client-controlled strings of up to
 * `max_string_length` (262,144) characters, on the event loop: one super-linear pattern lets a
 * single event stall the proxy for minutes.
 *
 * For each detector, `find` (with and without the engine's features) and `scrubEvent` on a
 * one-field event run on inputs of 100–262 KB built against that detector's own patterns: long
 * runs of its separators and digits, its keywords followed by long blank runs, repeated near
 * misses of what it looks for. Each call must return within LIVENESS_MS. The bound is generous
 * on purpose (a shared CI machine, a cold JIT): a linear scan of 262 KB takes milliseconds, while
 * the catastrophic cases this guards against take minutes to years — "claim" + 1,600 spaces + "!"
 * took 1.5 s in the identifier detector before it was fixed (cubic), and "93" + 262,144 spaces
 * under an age key about a minute (quadratic); see the comments on KEYWORD_NUMBER (identifier.ts),
 * KEYED_AGE_RE and SPELLED_UNIT_RE (age.ts) and trailingPunctuationStart (url.ts).
 *
 * Also checked, on small inputs: the rewritten patterns find exactly what the old ones did.
 */
import { BUILTIN_DETECTORS } from '../../src/detectors/index';
import { ageOf, KEYED_AGE_RE } from '../../src/detectors/age';
import { KEYWORD_NUMBER } from '../../src/detectors/identifier';
import { trailingPunctuationStart } from '../../src/detectors/url';
import { featuresOf } from '../../src/detectors/features';
import { DEFAULT_DETECTOR_OPTIONS, type Detector } from '../../src/detectors/types';
import { normalizeKey } from '../../src/detectors/util';
import { scrubEvent } from '../../src/engine/scrub';
import { defaultPlan } from '../helpers';

/** Far above a linear scan of 262 KB (milliseconds), far below a super-linear one (minutes). */
const LIVENESS_MS = 2_000;
/** The engine's default `max_string_length`. */
const MAX = 262_144;
const LARGE = 131_072;
/** Sizes double from here up to an attack's largest. */
const MIN_SIZE = 2_048;

/** `unit` repeated to `length` characters, between `prefix` and `suffix`. */
function fill(unit: string, length = MAX, prefix = '', suffix = ''): string {
  const body = Math.max(0, length - prefix.length - suffix.length);
  return prefix + unit.repeat(Math.ceil(body / unit.length)).slice(0, body) + suffix;
}

/** One hostile input: what it attacks, the text at a given length, and the property name it sits under. */
interface Attack {
  readonly label: string;
  readonly make: (length: number) => string;
  readonly key: string;
}

/**
 * An attack builds its text at any length: it runs at doubling sizes up to its largest, so that
 * a regression fails within seconds at a small size instead of hanging at the largest one (a
 * catastrophic regex cannot be interrupted once started).
 */
function a(label: string, text: (length: number) => string, key = ''): Attack {
  return { label, make: text, key };
}

/** Runs of the characters every pattern is built from, for every detector. */
const COMMON: readonly Attack[] = [
  a('letters then "!"', (n) => fill('a', n, '', '!')),
  a('spaces', (n) => fill(' ', n)),
  a('tabs and newlines', (n) => fill('\t\n', n)),
  a('digits', (n) => fill('1', n)),
  a('digits and spaces', (n) => fill('1 ', n)),
  a('digits and dashes', (n) => fill('1-', n)),
  a('digits and dots', (n) => fill('1.', n)),
  a('at-signs', (n) => fill('@', n)),
  a('dots', (n) => fill('.', n)),
  a('dashes', (n) => fill('-', n)),
  a('capitalised words', (n) => fill('Aa ', n)),
  a('colons', (n) => fill(':', n)),
  a('mixed alphanumerics', (n) => fill('A1b2-', n)),
];

/** Attacks on each detector's own patterns. */
const ATTACKS: Readonly<Record<string, readonly Attack[]>> = {
  email: [
    a('"a@" repeated', (n) => fill('a@', n)),
    a('local part then many at-signs', (n) => fill('@', n, 'a'.repeat(n / 2))),
    a('dotted local part', (n) => fill('a.', n, '', '@')),
    a('encoded at-signs', (n) => fill('%40', n)),
    a('near-miss addresses', (n) => fill('jane.doe@example. ', n)),
    a('hyphenated domain', (n) => fill('a-', n, 'x@')),
    a('domain labels', (n) => fill('b.', n, 'x@')),
  ],
  phone: [
    a('digit groups', (n) => fill('617-555-012 ', n)),
    a('bracketed digits', (n) => fill('(1', n)),
    a('plus and digits', (n) => fill('+1 ', n)),
    a('phone word then blanks', (n) => fill(' ', n, 'call me at', '6175550123')),
    a('number then blanks before ext', (n) => fill(' ', n, '617-555-0123', 'ext 12')),
    a('number then commas and blanks', (n) => fill(', ', n, '617-555-0123', 'x')),
    a('phone key, long number-like value', (n) => fill('1 ', n), 'phone'),
    a('phone key, spaces then digits', (n) => fill(' ', n, '', '6175550123'), 'phone'),
  ],
  ssn: [
    a('near-miss SSNs', (n) => fill('123-45-678 ', n)),
    a('spaced triples', (n) => fill('123 45 ', n)),
    a('SSN word then blanks', (n) => fill(' ', n, 'social security', '123456789')),
    a('SSN key, blanks', (n) => fill(' ', n, '123', '456789'), 'ssn'),
  ],
  card: [
    a('card groups', (n) => fill('4111 ', n)),
    a('dashed digits', (n) => fill('4-', n)),
    a('long digit run after a group', (n) => fill('1', n, '4111 ')),
  ],
  date: [
    a('ISO prefixes', (n) => fill('2024-01-', n)),
    a('numeric prefixes', (n) => fill('1/1/', n)),
    a('month names', (n) => fill('Jan ', n)),
    a('month then blanks', (n) => fill(' ', n, 'March', '14')),
    a('weekday and month chains', (n) => fill('Monday, March ', n)),
    a('day of month chains', (n) => fill('14th of ', n)),
    a('date key, compact date then blanks', (n) => fill(' ', n, '19850314', 'x'), 'dob'),
  ],
  age: [
    a('age key, number then blanks', (n) => fill(' ', n, '93', '!'), 'user_age'),
    a('age key, number, unit, blanks', (n) => fill(' ', n, '93 years', '!'), 'user_age'),
    a('"hundred" then blanks', (n) => fill(' ', n, 'hundred', 'x')),
    a('age field (generalised), "hundred" then blanks', (n) => fill(' ', n, 'hundred', 'x'), 'age'),
    a('"one" then blanks', (n) => fill(' ', n, 'one', 'x')),
    a('"hundred and" then blanks', (n) => fill(' ', n, 'hundred and', 'x')),
    a('"ninety-" repeated', (n) => fill('ninety-', n)),
    a('labels', (n) => fill('aged ', n)),
    a('"turned" then blanks', (n) => fill(' ', n, 'turned', '95')),
    a('ages and units', (n) => fill('95 years ', n)),
  ],
  name: [
    a('first and last names', (n) => fill('John Smith ', Math.min(n, LARGE))),
    a('initials', (n) => fill('A. ', Math.min(n, LARGE))),
    a('titles', (n) => fill('Dr. ', Math.min(n, LARGE))),
    a('surname-first rows', (n) => fill('SMITH, ', Math.min(n, LARGE))),
    a('apostrophes', (n) => fill("O'", Math.min(n, LARGE))),
    a('hyphenated words', (n) => fill('Anne-', Math.min(n, LARGE))),
    a('sign-off then blanks', (n) => fill(' ', Math.min(n, LARGE), 'Regards,\n', 'Jane')),
    a('dash sign-offs', (n) => fill('- Ann ', Math.min(n, LARGE))),
    a('cue words', (n) => fill('my son ', Math.min(n, LARGE))),
    a('diacritics', (n) => fill('Éa ', Math.min(n, LARGE))),
    a('name key, long value', (n) => fill('Ann ', Math.min(n, LARGE)), 'first_name'),
  ],
  address: [
    a('house numbers and words', (n) => fill('1 Main ', n)),
    a('number then words, no suffix', (n) => fill('Aa ', n, '123 ', 'x')),
    a('PO boxes', (n) => fill('PO Box ', n)),
    a('"Post" then blanks', (n) => fill(' ', n, 'Post', 'Office Box 1')),
    a('city and comma chains', (n) => fill('Cambridge, ', n)),
    a('cue and city chains', (n) => fill('in Boston ', n)),
    a('street key, blanks then text', (n) => fill('a', n, ' '.repeat(n / 2)), 'street'),
    a('address key, blanks then @', (n) => fill(' ', n, 'a b', '@'), 'address'),
  ],
  zip: [
    a('ZIP+4 prefixes', (n) => fill('02139-', n)),
    a('label then blanks', (n) => fill(' ', n, 'zip', '02139')),
    a('states', (n) => fill('MA ', n, '', '0')),
    a('zip key, long value', (n) => fill('0', n), 'zip'),
  ],
  geo: [
    a('decimal pairs', (n) => fill('42.1234, ', n)),
    a('labels', (n) => fill('lat ', n)),
    a('degrees', (n) => fill('42°', n)),
    a('label then blanks', (n) => fill(' ', n, 'lat', '42.36')),
    a('coordinates key, long value', (n) => fill('1.123 ', n), 'coordinates'),
  ],
  mrn: [
    a('keywords', (n) => fill('MRN ', n)),
    a('dash-joined keywords', (n) => fill('mrn-', n)),
    a('keyword then dash groups', (n) => fill('1-', n, 'MRN ')),
    a('site codes', (n) => fill('MRN BWH ', n)),
    a('patient number tokens', (n) => fill('a-', n, 'patient #')),
    a('mrn key, long value', (n) => fill('A1-', n), 'mrn'),
  ],
  health_plan: [
    a('keywords', (n) => fill('member id ', n)),
    a('keyword then dash groups', (n) => fill('A1-', n, 'member id ')),
    a('MBI prefixes', (n) => fill('1EG4-', n)),
    a('member key, long value', (n) => fill('A1 ', n), 'member_id'),
  ],
  account: [
    a('keyword then digit groups', (n) => fill('1 ', n, 'account ')),
    a('keyword then digits then a letter', (n) => fill('1', n, 'account ', 'x')),
    a('keyword then blanks', (n) => fill(' ', n, 'acct', '#123456')),
    a('account key, long value', (n) => fill('1 ', n), 'account_number'),
  ],
  iban: [
    a('country codes', (n) => fill('DE89 ', n)),
    a('country code then digits', (n) => fill('1', n, 'DE89')),
  ],
  license: [
    a('keywords', (n) => fill('license ', n)),
    a('keyword then dash groups', (n) => fill('A-', n, "driver's license ")),
    a('DEA keywords', (n) => fill('dea ', n)),
    a('license key, long value', (n) => fill('A1-', n), 'license_number'),
  ],
  vehicle: [
    a('plate keywords', (n) => fill('plate A-', n)),
    a('plate keyword then groups', (n) => fill('A1 ', n, 'plate ')),
    a('VIN keywords', (n) => fill('VIN ', n)),
    a('VIN-alphabet runs', (n) => fill('A1', n)),
    a('vin key, long value', (n) => fill('A1', n), 'vin'),
  ],
  device: [
    a('keywords', (n) => fill('imei ', n)),
    a('hex pairs', (n) => fill('ab:', n)),
    a('MAC prefixes', (n) => fill('00:1A:', n)),
    a('keyword then colon groups', (n) => fill('A1:', n, 'serial ')),
    a('serial key, long value', (n) => fill('A1-', n), 'serial_number'),
  ],
  url: [
    a('URL then a dot run', (n) => fill('.', n, 'http://a', 'x')),
    a('URL then a bracket run', (n) => fill(')', n, 'http://a(', 'x')),
    a('"www." repeated', (n) => fill('www.', n)),
    a('schemes repeated', (n) => fill('http://', n)),
    a('query pairs', (n) => fill('a&', n, 'https://a.b/?x=')),
    // The `url` action on a URL field (engine): path segments, query pairs, escapes, slugs.
    a('URL field, path segments', (n) => fill('a/', n, 'https://a.com/'), '$current_url'),
    a('URL field, allowed query pairs', (n) => fill('utm_source=1&', n, 'https://a.com/?'), '$current_url'),
    a('URL field, escapes decoded four times', (n) => fill('%25', n, 'https://a.com/?utm_source='), '$current_url'),
    a('URL field, year-like slug', (n) => fill('-2024', n, 'https://a.com/x'), '$current_url'),
  ],
  ip: [
    a('dotted quads', (n) => fill('1.1.1.1.', n)),
    a('hex groups', (n) => fill('ff:', n)),
    a('double colons', (n) => fill('::', n)),
    a('zone ids', (n) => fill('fe80::1%', n)),
    a('version word then blanks', (n) => fill(' ', n, 'version', '1.2.3.4')),
  ],
  biometric: [
    a('keywords', (n) => fill('voiceprint ', n)),
    a('dash-joined keywords', (n) => fill('voiceprint-', n)),
    a('base64 runs', (n) => fill('Ab1+', n)),
    a('keyword then an unterminated blob', (n) => fill('A', n, 'fingerprint template ', '!')),
    a('magic-number blobs', (n) => fill(`Rk1SA${'A'.repeat(35)} `, n)),
    a('keyword text with many blobs', (n) => fill(`${'Ab1+'.repeat(10)} `, n, 'biometric ')),
    a('biometric key, long value', (n) => fill('Ab1+', n), 'fingerprint'),
  ],
  photo: [
    a('data URI parameters', (n) => fill(';a=b', n, 'data:image/png')),
    a('data URI heads', (n) => fill('data:image/', n)),
    a('unterminated payload', (n) => fill('A', n, 'data:image/png;base64,')),
    a('photo key, long value', (n) => fill('a', n, 'https://'), 'avatar_url'),
  ],
  identifier: [
    a('keyword then blanks', (n) => fill(' ', n, 'claim 1111 claim', '!')),
    a('keyword, "no." then blanks', (n) => fill(' ', n, 'HAR no.', '!')),
    a('keyword, "#" then blanks', (n) => fill(' ', n, 'case #', ':')),
    a('log key then blanks', (n) => fill(' ', n, 'user', '=')),
    a('log key, "=" then blanks', (n) => fill(' ', n, 'user=', ',')),
    a('keywords and marks', (n) => fill('HAR #', n)),
    a('identifier key, long value', (n) => fill('A1 ', n), 'claim_number'),
  ],
};

function elapsed(run: () => unknown): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const plan = defaultPlan();

describe('no super-linear backtracking on hostile input', () => {
  it('covers every built-in detector', () => {
    expect(Object.keys(ATTACKS).sort()).toEqual(Object.keys(BUILTIN_DETECTORS).sort());
  });

  for (const [id, factory] of Object.entries(BUILTIN_DETECTORS)) {
    const detector: Detector = factory(DEFAULT_DETECTOR_OPTIONS);
    it(`${id}: find() and the engine return within ${LIVENESS_MS} ms`, () => {
      const slow: string[] = [];
      for (const attack of [...(ATTACKS[id] ?? []), ...COMMON]) {
        const ctx = { key: normalizeKey(attack.key) };
        // Only the detector's own attacks go through the engine (the common ones would repeat 22 times).
        const viaEngine = ATTACKS[id]?.includes(attack) === true;
        let previous = -1;
        for (let size = MIN_SIZE; size <= MAX; size *= 2) {
          const text = attack.make(size);
          if (text.length === previous) continue;
          previous = text.length;
          const features = featuresOf(text);
          const times = [elapsed(() => detector.find(text, ctx)), elapsed(() => detector.find(text, ctx, features))];
          if (viaEngine) times.push(elapsed(() => scrubEvent(plan, { [attack.key || 'notes']: text })));
          const worst = Math.max(...times);
          if (worst > LIVENESS_MS) {
            slow.push(`${attack.label} (${text.length} chars): ${Math.round(worst)} ms`);
            break;
          }
        }
      }
      expect(slow).toEqual([]);
    }, 120_000);
  }
});

describe('patterns rewritten for linear time find what they found before', () => {
  /** The patterns as they were, run on small inputs only. */
  const OLD_KEYWORD_NUMBER = /\b(HAR|CSN|FIN|guarantor|claim|accession|rx|prescription|encounter|confirmation|case)\b\s*(?:#|no\.?|number|num\.?)?\s*[:#]?\s*([A-Za-z0-9][A-Za-z0-9-]{3,40})\b/gi;
  const OLD_KEYED_AGE = /^\s*(\d{2,3}(?:\.\d{1,2})?)\s*(?:y|yr|yrs|years?)?\s*$/i;
  const UNITS = 'one|two|three|four|five|six|seven|eight|nine|ten';
  const OLD_SPELLED_UNIT = new RegExp(`(?:ninety|hundred)(?:[\\s-]+(?:and\\s+)?)?(${UNITS})?\\s*$`, 'i');
  const OLD_TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/;

  /** Every string of up to `length` atoms, in a fixed pseudo-random sample of `count`. */
  function sample(atoms: readonly string[], length: number, count: number): string[] {
    let seed = 20261123;
    const next = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff);
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      let s = '';
      const n = 1 + Math.floor(next() * length);
      for (let k = 0; k < n; k++) s += atoms[Math.floor(next() * atoms.length)];
      out.push(s);
    }
    return out;
  }

  /** All matches of a global regex as [index, match, groups…]. */
  function matches(re: RegExp, text: string): string[][] {
    const out: string[][] = [];
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) out.push([String(m.index), ...m.map((g) => g ?? '')]);
    return out;
  }

  it('identifier: keyword numbers', () => {
    const atoms = ['claim', 'HAR', 'case', 'rx', 'CSN', ' ', '  ', '\t', '\n', '#', 'no', 'no.', 'number', 'numbers', 'num', 'num.', ':', '1234', '12', 'A', '-', 'x', '!', 'CLM-96', '_'];
    for (const text of sample(atoms, 10, 30_000)) {
      expect(matches(KEYWORD_NUMBER, text)).toEqual(matches(OLD_KEYWORD_NUMBER, text));
    }
  });

  it('age: values under an age key, and spelled units', () => {
    for (const text of sample(['9', '93', '1', '.', '.5', ' ', '  ', '\t', 'y', 'yr', 'yrs', 'year', 'years', 'YEARS', 'x', 's', '\n', '100', '\u00a0'], 7, 30_000)) {
      expect(KEYED_AGE_RE.exec(text)?.slice()).toEqual(OLD_KEYED_AGE.exec(text)?.slice());
    }
    const values: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10 };
    const atoms = ['ninety', 'hundred', 'and', ' and ', 'one', 'two', 'ten', 'seven', ' ', '  ', '-', '\t', '\n', 'x', 'Ninety', 'ONE', 'seventy', '1'];
    for (const text of sample(atoms, 8, 30_000)) {
      const lower = text.toLowerCase();
      const base = /\d{2,3}/.test(text) ? undefined : lower.includes('ninety') ? 90 : lower.includes('hundred') ? 100 : 0;
      if (base === undefined) continue; // digits: ageOf reads them, not the spelling
      const unit = OLD_SPELLED_UNIT.exec(lower)?.[1];
      expect(ageOf(text)).toBe(base === 0 ? undefined : base + (unit === undefined ? 0 : values[unit] ?? 0));
    }
  });

  it('url: trailing punctuation', () => {
    for (const text of sample(['a', '/p', '.', ',', ')', '(', ']', '}', '!', '?', ';', ':', 'x', '..'], 8, 30_000)) {
      const old = OLD_TRAILING_PUNCTUATION.exec(text);
      expect(trailingPunctuationStart(text)).toBe(old === null ? text.length : old.index);
    }
  });
});
