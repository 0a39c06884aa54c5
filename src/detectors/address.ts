/**
 * Street addresses (Safe Harbor B): a house number, one to four street-name words and a street
 * suffix ("123 Main St", "1600 Pennsylvania Ave NW", "456 Oak Avenue, Apt 5B"), PO boxes, and the
 * whole value under an address key.
 *
 * The span runs from the house number through the unit and the city when a state follows
 * ("77 Massachusetts Ave., Cambridge" in "..., Cambridge, MA 02139"): the state may stay under
 * Safe Harbor and the ZIP is the `zip` detector's, so the result reads "[ADDRESS], MA [ZIP]".
 */
import type { DetectContext, DetectorFactory, Span } from './types';

const SUFFIXES = [
  'Street', 'St', 'Avenue', 'Ave', 'Av', 'Road', 'Rd', 'Boulevard', 'Blvd', 'Drive', 'Dr', 'Lane',
  'Ln', 'Court', 'Ct', 'Way', 'Place', 'Pl', 'Parkway', 'Pkwy', 'Highway', 'Hwy', 'Terrace', 'Ter',
  'Terr', 'Circle', 'Cir', 'Square', 'Sq', 'Trail', 'Trl', 'Crescent', 'Cres', 'Alley', 'Aly',
  'Pike', 'Plaza', 'Plz', 'Expressway', 'Expy', 'Freeway', 'Fwy', 'Turnpike', 'Tpke', 'Crossing',
  'Xing', 'Ridge', 'Heights', 'Hts', 'Cove', 'Mews', 'Glen', 'Manor',
];
const UNIT_WORDS = ['Apt', 'Apartment', 'Suite', 'Ste', 'Unit', 'Fl', 'Floor', 'Rm', 'Room', 'Bldg', 'Building', 'Dept'];

/** `Street|street|STREET`: the regex stays case-sensitive so city and state checks can be. */
function anyCase(words: readonly string[]): string {
  const variants = new Set<string>();
  for (const w of words) {
    variants.add(w);
    variants.add(w.toLowerCase());
    variants.add(w.toUpperCase());
  }
  // Longest first so `Street` is tried before `St`.
  return [...variants].sort((a, b) => b.length - a.length).join('|');
}

// Suffixes that are not ordinary lower-case words: "123 main st" is an address, "3 kids in the
// court" is not, so a lower-case suffix must be one of these.
const DISTINCTIVE_SUFFIXES: ReadonlySet<string> = new Set([
  'street', 'st', 'avenue', 'ave', 'av', 'road', 'rd', 'boulevard', 'blvd', 'ln', 'ct', 'pl',
  'parkway', 'pkwy', 'highway', 'hwy', 'ter', 'terr', 'cir', 'sq', 'trl', 'cres', 'aly', 'plz',
  'expy', 'fwy', 'tpke', 'xing', 'hts', 'rte',
]);
// Words that never sit inside a street name: they mean the regex spanned a sentence.
const NOT_STREET_WORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'the', 'and', 'or', 'of', 'in', 'on', 'at', 'to', 'for', 'with', 'from', 'by', 'is',
  'are', 'was', 'were', 'be', 'my', 'our', 'your', 'his', 'her', 'their', 'its', 'this', 'that',
  'it', 'we', 'i', 'you', 'he', 'she', 'they', 'all', 'more', 'than', 'per', 'out', 'step', 'steps',
  'items', 'item', 'users', 'times', 'days', 'hours', 'minutes', 'years', 'pages', 'page', 'new',
  // Listicle adjectives and units of time: "Top 10 Best Way", "a 4 Day Trail".
  'best', 'easy', 'simple', 'quick', 'fast', 'better', 'great', 'good', 'top', 'only', 'free',
  'smart', 'right', 'wrong', 'other', 'same', 'different', 'most', 'less', 'each', 'every',
  'minute', 'hour', 'day', 'week', 'weeks', 'month', 'months', 'year', 'mile', 'miles', 'x',
]);
const WHITESPACE_RE = /\s+/;

const UNIT =
  `(?:,?\\s{1,3}(?:${anyCase(UNIT_WORDS)}|#)\\.?\\s{0,3}#?\\s{0,2}[A-Za-z0-9][\\w-]{0,5}\\b)`;
const DIRECTIONAL = '(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)';
const STATE_AHEAD =
  '(?=,?\\s{1,3}(?:A[LKZR]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|PA|RI|S[CD]|T[NX]|UT|V[AT]|W[AIVY]|PR)\\b)';
const CITY = `(?:,\\s{0,3}[A-Z][A-Za-z.'-]{1,24}(?:\\s[A-Z][A-Za-z.'-]{1,24}){0,2}${STATE_AHEAD})`;

/**
 * House number (optionally `221B`, `12-14`), optional pre-directional, 1–4 street-name words,
 * suffix, optional post-directional, unit, city. Every repeat is bounded and every word is
 * delimited by whitespace, so a failed attempt costs a few steps, not a backtracking explosion.
 */
const STREET_RE = new RegExp(
  '(?<![\\w.,$#/:-])(\\d{1,6}[A-Za-z]?(?:-\\d{1,5})?)\\s{1,3}' +
    `(?:${DIRECTIONAL}\\.?\\s{1,3})?` +
    "((?:[A-Za-z0-9][A-Za-z0-9'.-]{0,24}\\s{1,3}){1,4}?)" +
    `(${anyCase(SUFFIXES)})\\b\\.?` +
    `(?:\\s{1,3}${DIRECTIONAL}\\b\\.?)?` +
    `${UNIT}?${CITY}?`,
  'g',
);

/** "PO Box 1234", "P.O. Box 12", "Post Office Box 99", "POB 7". */
const PO_BOX_RE = /\b(?:P\.?\s?O\.?\s{0,2}Box|Post\s+Office\s+Box|POB)\s{0,3}#?\s{0,2}\d{1,8}\b/gi;

const ADDRESS_KEYS: ReadonlySet<string> = new Set([
  'street', 'street1', 'street2', 'street_1', 'street_2', 'address1', 'address2', 'address_1',
  'address_2', 'address_line1', 'address_line2', 'address_line_1', 'address_line_2', 'line1',
  'line2', 'street_address', 'home_address', 'mailing_address', 'billing_address',
  'shipping_address', 'residential_address', 'postal_address', 'street_line', 'addr', 'addr1',
  'addr2', 'address_street', 'full_address',
]);
// Under the generic `address` key the value may be an email, IP, URL or wallet address: require
// what a street address has, a space between a letter and a digit group or several words.
const GENERIC_ADDRESS_KEY = 'address';
const LOOKS_LIKE_STREET_VALUE_RE = /^(?=.*[A-Za-z])(?=.*\s)(?!.*@)(?!\s*[a-z][\w+.-]*:\/\/)(?!\s*0x[0-9a-f]+\s*$)[^\n]{3,300}$/i;
const HAS_WORD_CHAR_RE = /[\p{L}\p{N}]/u;

function acceptStreet(m: RegExpExecArray): boolean {
  const nameWords = (m[2] ?? '').trim().split(WHITESPACE_RE);
  for (const word of nameWords) {
    if (NOT_STREET_WORDS.has(word.toLowerCase())) return false;
  }
  const suffix = m[3] ?? '';
  const c = suffix.charCodeAt(0);
  const capitalised = c >= 65 && c <= 90;
  return capitalised || DISTINCTIVE_SUFFIXES.has(suffix.toLowerCase());
}

function wholeValueSpan(value: string): Span[] {
  const inner = value.trim();
  if (inner.length === 0 || !HAS_WORD_CHAR_RE.test(inner)) return [];
  const start = value.indexOf(inner);
  return [{ start, end: start + inner.length, kind: 'address' }];
}

/** Cheap gate: every free-text address has a digit; address keys always run. */
function hasDigitChar(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

export const addressDetector: DetectorFactory = () => {
  return {
    id: 'address',
    letter: 'B',
    kind: 'address',
    marker: '[ADDRESS]',
    prefilter: function addressPrefilter(value: string, ctx: DetectContext): boolean {
      return ADDRESS_KEYS.has(ctx.key) || ctx.key === GENERIC_ADDRESS_KEY || hasDigitChar(value);
    },
    find: function findAddresses(value: string, ctx: DetectContext): Span[] {
      if (ADDRESS_KEYS.has(ctx.key)) return wholeValueSpan(value);
      if (ctx.key === GENERIC_ADDRESS_KEY && LOOKS_LIKE_STREET_VALUE_RE.test(value)) return wholeValueSpan(value);
      const spans: Span[] = [];
      STREET_RE.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = STREET_RE.exec(value)) !== null) {
        if (acceptStreet(m)) {
          spans.push({ start: m.index, end: m.index + m[0].length, kind: 'address' });
        } else {
          // Retry from the next word: "3 kids in 42 Elm St" must still find "42 Elm St".
          STREET_RE.lastIndex = m.index + 1;
        }
      }
      PO_BOX_RE.lastIndex = 0;
      while ((m = PO_BOX_RE.exec(value)) !== null) {
        const start = m.index;
        const end = start + m[0].length;
        if (!spans.some((s) => s.start < end && start < s.end)) spans.push({ start, end, kind: 'address' });
      }
      return spans.sort((a, b) => a.start - b.start);
    },
  };
};
