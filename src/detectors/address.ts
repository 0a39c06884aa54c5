/**
 * Street addresses (Safe Harbor B): a house number, one to four street-name words and a street
 * suffix ("123 Main St", "1600 Pennsylvania Ave NW", "456 Oak Avenue, Apt 5B"), PO boxes, and the
 * whole value under an address key.
 *
 * The span runs from the house number through the unit and the city when a state follows
 * ("77 Massachusetts Ave., Cambridge" in "..., Cambridge, MA 02139"): the state may stay under
 * Safe Harbor and the ZIP is the `zip` detector's, so the result reads "[ADDRESS], MA [ZIP]".
 */
import { mergeSpans } from './context';
import { AMBIGUOUS_CITIES, US_CITIES, WORLD_CITIES } from './data/cities';
import type { DetectContext, DetectorFactory, Span } from './types';
import { F_CAPITAL, F_COMMA, F_NON_ASCII, F_NUMBER_SPACE, wordStartSet, type StringFeatures } from './features';

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

/** `P.O. Box`, `PO Box`, `P O Box`, `POB`, `Post Office Box`: the starts PO_BOX_RE needs (engine gate). */
const PO_BOX_STARTS = wordStartSet(['p.', 'po']);

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

const STATE_ABBREVIATIONS: ReadonlySet<string> = new Set([
  'AL', 'AK', 'AZ', 'AR', 'CA', 'CO', 'CT', 'DE', 'DC', 'FL', 'GA', 'HI', 'ID', 'IL', 'IN', 'IA', 'KS',
  'KY', 'LA', 'ME', 'MD', 'MA', 'MI', 'MN', 'MS', 'MO', 'MT', 'NE', 'NV', 'NH', 'NJ', 'NM', 'NY', 'NC',
  'ND', 'OH', 'OK', 'OR', 'PA', 'RI', 'SC', 'SD', 'TN', 'TX', 'UT', 'VT', 'VA', 'WA', 'WV', 'WI', 'WY', 'PR',
]);
const STATE_NAMES: ReadonlySet<string> = new Set([
  'alabama', 'alaska', 'arizona', 'arkansas', 'california', 'colorado', 'connecticut', 'delaware',
  'florida', 'georgia', 'hawaii', 'idaho', 'illinois', 'indiana', 'iowa', 'kansas', 'kentucky',
  'louisiana', 'maine', 'maryland', 'massachusetts', 'michigan', 'minnesota', 'mississippi',
  'missouri', 'montana', 'nebraska', 'nevada', 'new hampshire', 'new jersey', 'new mexico',
  'new york', 'north carolina', 'north dakota', 'ohio', 'oklahoma', 'oregon', 'pennsylvania',
  'rhode island', 'south carolina', 'south dakota', 'tennessee', 'texas', 'utah', 'vermont',
  'virginia', 'washington', 'west virginia', 'wisconsin', 'wyoming', 'puerto rico',
  'calif', 'ariz', 'fla', 'tex', 'mass', 'penn', 'ill', 'mich', 'wash', 'colo', 'conn', 'ore',
]);
/** Words right before a city that place someone there: "in Phoenix", "from Tucson", "moved to Mesa". */
const CITY_CUES: ReadonlySet<string> = new Set(['in', 'from', 'to', 'near', 'at', 'outside', 'around', 'visiting', 'into']);
/** Words before the cue that make it a residence ("lives in", "moved to"): enough for ambiguous names too. */
const RESIDENCE_WORDS: ReadonlySet<string> = new Set([
  'live', 'lives', 'lived', 'living', 'move', 'moved', 'moves', 'moving', 'relocate', 'relocated',
  'relocating', 'based', 'reside', 'resides', 'resided', 'residing', 'resident', 'located', 'born',
  'raised', 'up', 'home', 'house', 'apartment', 'stay', 'stays', 'stayed', 'staying', 'work',
  'works', 'worked', 'working', 'hometown', 'originally', 'hospitalized', 'admitted', 'transferred',
]);
/**
 * A run of capitalised words (Title or upper case), at most six: the candidates for a city. Each
 * word is delimited by a single space and starts with a capital, so matching never backtracks.
 */
const CAPITALISED_RUN_RE = /(?<![\p{L}\p{N}'’.-])\p{Lu}[\p{L}\p{M}'’.-]{0,24}(?: \p{Lu}[\p{L}\p{M}'’.-]{0,24}){0,5}/gu;
const STATE_AFTER_RE = /^,[ \t]{0,2}(?:([A-Z]{2})(?![\p{L}\p{N}])|(\p{Lu}[\p{L}.]{2,13}(?: \p{Lu}\p{Ll}{3,11})?))/u;
const COMBINING_MARKS_RE = /\p{M}/gu;
const NON_ASCII_RE = /[^\x00-\x7f]/;

/** Case, curly apostrophes and diacritics folded, character by character. */
function foldCharacters(text: string): string {
  const s = text.toLowerCase().replace(/’/g, "'");
  return NON_ASCII_RE.test(s) ? s.normalize('NFD').replace(COMBINING_MARKS_RE, '') : s;
}

function foldCity(text: string): string {
  let s = foldCharacters(text);
  if (s.endsWith('.') && !s.endsWith(' st.') && s !== 'st.') s = s.slice(0, -1);
  return s
    .replace(/^(?:saint|st) /, 'st. ')
    .replace(/ (?:saint|st) /, ' st. ')
    .replace(/^(?:ft\.?|ft) /, 'fort ')
    .replace(/^mt\.? /, 'mount ');
}

function isKnownCity(folded: string): boolean {
  return US_CITIES.has(folded) || WORLD_CITIES.has(folded);
}

/** The folded first word of every known city. */
const CITY_FIRST_WORDS: ReadonlySet<string> = new Set([...US_CITIES, ...WORLD_CITIES].map((city) => city.split(' ')[0]!));
/** First words that foldCity rewrites (`Saint Paul` → `st. paul`, `Ft Worth` → `fort worth`). */
const REWRITTEN_FIRST_WORDS: ReadonlySet<string> = new Set(['saint', 'st', 'ft', 'ft.', 'mt', 'mt.']);

/**
 * False when no known city starts with `word`, so no run starting with it can fold to one.
 * Folding works character by character up to the first space (case, marks, ’) except the rewrites
 * above and a trailing dot, so testing the word alone, with and without its dot, is enough.
 * Most capitalised runs (`MAC`, `Example Clinic`, `Patient Summary`) stop here, before the state
 * checks and the folds of the whole run.
 */
function mayStartCity(word: string): boolean {
  const w = foldCharacters(word);
  if (CITY_FIRST_WORDS.has(w) || REWRITTEN_FIRST_WORDS.has(w)) return true;
  return w.endsWith('.') && CITY_FIRST_WORDS.has(w.slice(0, -1));
}

/** The word that ends right before `pos` (after 1–3 spaces/tabs), lower-cased, with its start. */
function wordBefore(value: string, pos: number): [string, number] | undefined {
  let i = pos;
  let spaces = 0;
  while (i > 0 && (value.charCodeAt(i - 1) === 32 || value.charCodeAt(i - 1) === 9)) { i--; spaces++; }
  if (spaces < 1 || spaces > 3) return undefined;
  const end = i;
  while (i > 0 && end - i < 20 && /[\p{L}']/u.test(value.charAt(i - 1))) i--;
  if (i === end) return undefined;
  return [value.slice(i, end).toLowerCase(), i];
}

/**
 * Cities in free text (kind `city`): a known city name that is a whole run of capitalised words,
 * with a location cue before it ("in Phoenix", "moved to San Antonio", "Lives In Boston") or a
 * state after it ("Phoenix, AZ", "Mobile, Alabama", "Salt Lake City UT"). A city inside a longer
 * proper noun ("Boston Scientific", "Phoenix Suns", "Mobile Safari", "Orlando Bloom") is not one;
 * names that are also words or brands (`AMBIGUOUS_CITIES`) need a residence cue or a state.
 */
export function findCities(value: string): Span[] {
  const spans: Span[] = [];
  CAPITALISED_RUN_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = CAPITALISED_RUN_RE.exec(value)) !== null) {
    const words = m[0].split(' ');
    const starts: number[] = [];
    let at = m.index;
    for (const w of words) { starts.push(at); at += w.length + 1; }
    // Leading cue words inside the run: "Lives In Phoenix", "MOVED TO TUCSON".
    let first = 0;
    let cue = false;
    let strong = false;
    while (first < words.length - 1) {
      const w = (words[first] ?? '').toLowerCase();
      if (CITY_CUES.has(w)) { cue = true; first++; } else if (RESIDENCE_WORDS.has(w) && first === 0) { strong = true; first++; } else break;
    }
    if (!cue) strong = false;
    if (!mayStartCity(words[first] ?? '')) continue;
    if (first === 0) {
      const before = wordBefore(value, m.index);
      if (before !== undefined && CITY_CUES.has(before[0])) {
        cue = true;
        const prior = wordBefore(value, before[1]);
        strong = prior !== undefined && RESIDENCE_WORDS.has(prior[0]);
      }
    }
    // A trailing state: "Phoenix AZ", "Salt Lake City Utah", "Las Cruces New Mexico".
    let last = words.length - 1;
    let state = false;
    const lastWord = words[last] ?? '';
    if (last > first && STATE_ABBREVIATIONS.has(lastWord.replace(/\.$/, ''))) { last--; state = true; } else if (last > first) {
      if (last - 1 > first && STATE_NAMES.has(foldCity(`${words[last - 1] ?? ''} ${lastWord}`))) { last -= 2; state = true; } else if (STATE_NAMES.has(foldCity(lastWord))) { last--; state = true; }
    }
    const runEnd = m.index + m[0].length;
    if (!state) {
      const after = STATE_AFTER_RE.exec(value.slice(runEnd, runEnd + 32));
      if (after !== null) {
        if (after[1] !== undefined) state = STATE_ABBREVIATIONS.has(after[1]);
        else state = STATE_NAMES.has(foldCity(after[2] ?? ''));
      }
    }
    if (!cue && !state) continue;
    const start = starts[first] ?? m.index;
    let end = (starts[last] ?? m.index) + (words[last] ?? '').length;
    const text = value.slice(start, end);
    const folded = foldCity(text);
    if (!isKnownCity(folded)) continue;
    if (AMBIGUOUS_CITIES.has(folded) && !strong && !state) continue;
    // A sentence-final dot is not part of the name ("in Phoenix."), an abbreviation's is ("St.").
    if (text.endsWith('.') && isKnownCity(foldCity(text.slice(0, -1))) && !folded.endsWith('st.')) end--;
    spans.push({ start, end, kind: 'city' });
  }
  return spans;
}

/** True when `value` has a capital letter (ASCII, or Latin-1 and beyond): a city can be there. */
function hasCapital(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c >= 0xc0) return true;
  }
  return false;
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
      return ADDRESS_KEYS.has(ctx.key) || ctx.key === GENERIC_ADDRESS_KEY || hasDigitChar(value) || hasCapital(value);
    },
    gate: function addressGate(_value: string, ctx: DetectContext, f: StringFeatures): boolean {
      if (ADDRESS_KEYS.has(ctx.key) || ctx.key === GENERIC_ADDRESS_KEY) return true;
      // A street needs its house number before white space; a PO box its "P.O."/"POB"/"Post".
      if (f.digits > 0 && (f.has(F_NUMBER_SPACE) || f.hasWordStart(PO_BOX_STARTS))) return true;
      // A city needs a capital, and a cue word before it or a state after it: two words or a comma.
      return f.has(F_CAPITAL) && (f.asciiWords >= 2 || f.has(F_NON_ASCII | F_COMMA));
    },
    find: function findAddresses(value: string, ctx: DetectContext, f?: StringFeatures): Span[] {
      if (ADDRESS_KEYS.has(ctx.key)) return wholeValueSpan(value);
      if (ctx.key === GENERIC_ADDRESS_KEY && LOOKS_LIKE_STREET_VALUE_RE.test(value)) return wholeValueSpan(value);
      const spans: Span[] = [];
      const digits = f === undefined ? hasDigitChar(value) : f.digits > 0;
      // Each scan only where it can match (with features from the engine), as in the gate.
      const streets = digits && (f === undefined || f.has(F_NUMBER_SPACE));
      const boxes = digits && (f === undefined || f.hasWordStart(PO_BOX_STARTS));
      const cities = f === undefined ? hasCapital(value) : f.has(F_CAPITAL) && (f.asciiWords >= 2 || f.has(F_NON_ASCII | F_COMMA));
      STREET_RE.lastIndex = streets ? 0 : value.length;
      let m: RegExpExecArray | null;
      while (streets && (m = STREET_RE.exec(value)) !== null) {
        if (acceptStreet(m)) {
          spans.push({ start: m.index, end: m.index + m[0].length, kind: 'address' });
        } else {
          // Retry from the next word: "3 kids in 42 Elm St" must still find "42 Elm St".
          STREET_RE.lastIndex = m.index + 1;
        }
      }
      PO_BOX_RE.lastIndex = 0;
      while (boxes && (m = PO_BOX_RE.exec(value)) !== null) {
        const start = m.index;
        const end = start + m[0].length;
        if (!spans.some((s) => s.start < end && start < s.end)) spans.push({ start, end, kind: 'address' });
      }
      return mergeSpans(spans, cities ? findCities(value) : []);
    },
  };
};
