/**
 * Person names (Safe Harbor A).
 *
 * Three kinds of evidence, strongest first:
 * 1. The key names the field (`first_name`, `patient_name`, ...): the whole value, when it looks
 *    like a name. The generic `name` key also holds event, button and plan names, so there a
 *    dictionary first name or surname is required.
 * 2. A cue in the text: a title ("Dr. Gregory House", "Mrs. O'Brien"), a label ("Patient Jane
 *    Doe", "Name: John Q. Public", "my name is maria garcia", "signed by J. Smith") or a
 *    credential after the name ("Jane Doe, MD").
 * 3. No cue: a capitalised dictionary first name followed by a capitalised dictionary surname
 *    ("Robert Johnson", "Maria Garcia-Lopez"), or "Doe, Jane". First names and surnames that are
 *    also ordinary words ("Will", "Grace", "Brown", "Hill") only count next to an unambiguous part.
 *
 * The text is tokenised once into words; every rule then works on token indices and set lookups.
 */
import {
  COMMON_WORD_FIRST_NAMES,
  COMMON_WORD_SURNAMES,
  FIRST_NAMES,
  SURNAMES,
} from './data/names';
import type { DetectContext, DetectorFactory, Span } from './types';

/** A word: letters with inner apostrophes/hyphens (`O'Brien`, `Anne-Marie`), optional final dot. */
const WORD_RE = /[\p{L}\p{M}]+(?:['’][\p{L}\p{M}]+)*(?:-[\p{L}\p{M}]+(?:['’][\p{L}\p{M}]+)*)*\.?/gu;
const APOSTROPHES_RE = /['’]/g;
const COMBINING_MARKS_RE = /\p{M}/gu;
const UPPER_START_RE = /^\p{Lu}/u;
const HAS_LOWER_RE = /\p{Ll}/u;
const NON_ASCII_RE = /[^\x00-\x7f]/;
/** Credentials written after a name: "Jane Doe, MD", "John Smith RN", "A. Ng, Ph.D.". */
const CREDENTIAL_AFTER_RE =
  /,?[ \t]{1,2}(?:M\.D\.|MD|Ph\.?D\.?|PhD|D\.O\.|R\.N\.|RN|NP|FNP|APRN|CRNA|DNP|DDS|DMD|DPM|PharmD|PsyD|LPN|LCSW|LMFT|MBBS|FACS|MSN|BSN|MPH|PA-C)(?![\p{L}\d])/uy;
/** "DO", "PA", "OD" are also words: only with the comma. */
const SHORT_CREDENTIAL_AFTER_RE = /,[ \t]{1,2}(?:DO|PA|OD)(?![\p{L}\d])/uy;
const GENERATIONAL_SUFFIXES: ReadonlySet<string> = new Set(['jr', 'sr', 'ii', 'iii', 'iv']);

/** Abbreviated titles: any capitalised words after them are taken as the name. */
const STRONG_TITLES: ReadonlySet<string> = new Set(['dr', 'mr', 'mrs', 'ms', 'mx', 'prof', 'messrs', 'mme', 'mlle']);
/** Spelled-out titles and roles are also ordinary words ("Miss Out", "Doctor Who"): dictionary hit needed. */
const WEAK_TITLES: ReadonlySet<string> = new Set([
  'doctor', 'professor', 'nurse', 'miss', 'mister', 'madam', 'sir', 'dame', 'judge', 'rev',
  'reverend', 'capt', 'captain', 'sgt', 'sergeant', 'officer', 'det', 'detective', 'lt', 'col',
]);
/** Labels before a name: "Patient Jane Doe", "patient: jane doe", "Name: John Q. Public". */
const LABEL_CUES: ReadonlySet<string> = new Set([
  'patient', 'pt', 'name', 'client', 'resident', 'member', 'caregiver', 'guardian', 'spouse',
  'contact', 'physician', 'provider', 'attending', 'mother', 'father', 'son', 'daughter', 'wife',
  'husband', 'mom', 'dad', 'brother', 'sister', 'parent', 'child', 'customer', 'recipient',
  'insured', 'subscriber', 'beneficiary', 'dear', 'hi', 'hello', 'hey', 'thanks', 'surname',
  'firstname', 'lastname', 'fullname', 'nok', 'i\'m', 'im',
]);
/** Verbs whose "by" introduces a person: "signed by J. Smith", "seen by Dr. ...". */
const BY_VERBS: ReadonlySet<string> = new Set([
  'signed', 'seen', 'referred', 'treated', 'prescribed', 'reviewed', 'approved', 'ordered',
  'authored', 'written', 'submitted', 'examined', 'evaluated', 'attended', 'dictated', 'verified',
  'accompanied', 'escorted', 'visited', 'cosigned', 'performed', 'interpreted', 'transcribed',
]);
/** Words that end a name: function words, verbs, and labels of other fields. */
const STOP_WORDS: ReadonlySet<string> = new Set([
  'the', 'a', 'an', 'and', 'or', 'but', 'of', 'in', 'on', 'at', 'to', 'for', 'with', 'from', 'by',
  'as', 'is', 'was', 'are', 'were', 'be', 'been', 'has', 'have', 'had', 'would', 'can', 'could',
  'should', 'might', 'must', 'not', 'no', 'yes', 'please', 'thanks', 'thank', 'who', 'whom',
  'which', 'that', 'this', 'these', 'those', 'there', 'here', 'he', 'she', 'they', 'we', 'you',
  'i', 'it', 'his', 'her', 'their', 'our', 'your', 'my', 'its', 'me', 'him', 'them', 'us', 'said',
  'says', 'reports', 'reported', 'presents', 'presented', 'states', 'stated', 'called', 'today',
  'yesterday', 'tomorrow', 'now', 'then', 'also', 'just', 'very', 'all', 'any', 'some', 'name',
  'patient', 'date', 'dob', 'age', 'id', 'mrn', 'phone', 'email', 'address', 'number', 'am', 'pm',
  'january', 'february', 'march', 'april', 'june', 'july', 'august', 'september', 'october',
  'november', 'december', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday',
  'sunday', 'is', 'if', 'so', 'do', 'does', 'did', 'will', 'may', 'shall', 'since', 'until',
  'there', 'everyone', 'team', 'all', 'again', 'back', 'there', 'yet', 'too', 'info', 'details',
  'known', 'unknown', 'none', 'null', 'undefined', 'redacted', 'here', 'below', 'above',
]);
/** Words that mark a product/UI string, never a person: "Signup Button", "Pro Plan". */
const UI_WORDS: ReadonlySet<string> = new Set([
  'button', 'page', 'plan', 'event', 'view', 'click', 'clicked', 'screen', 'form', 'tab', 'link',
  'menu', 'modal', 'banner', 'signup', 'sign', 'login', 'log', 'logout', 'checkout', 'cart',
  'home', 'settings', 'pricing', 'dashboard', 'feature', 'flag', 'test', 'experiment', 'variant',
  'group', 'app', 'application', 'product', 'order', 'account', 'profile', 'search', 'submit',
  'cancel', 'continue', 'next', 'close', 'open', 'save', 'delete', 'edit', 'update', 'upgrade',
  'download', 'upload', 'share', 'subscribe', 'learn', 'more', 'get', 'started', 'start', 'free',
  'trial', 'pro', 'premium', 'basic', 'enterprise', 'tier', 'subscription', 'campaign', 'source',
  'medium', 'session', 'user', 'users', 'visitor', 'portal', 'widget', 'component', 'section',
  'header', 'footer', 'sidebar', 'card', 'list', 'item', 'table', 'chart', 'report', 'analytics',
  'api', 'sdk', 'browser', 'chrome', 'firefox', 'safari', 'edge', 'opera', 'windows', 'linux',
  'android', 'ios', 'mac', 'os', 'iphone', 'ipad', 'pixel', 'apple', 'google', 'microsoft',
  'amazon', 'pay', 'wallet', 'appointment', 'book', 'schedule', 'calendar', 'inbox', 'message',
  'notification', 'help', 'support', 'faq', 'step', 'wizard', 'onboarding', 'toggle', 'dropdown',
  'input', 'field', 'error', 'success', 'loaded', 'viewed', 'pageview', 'autocapture', 'identify',
  'track', 'alias', 'screenview', 'purchase', 'purchased', 'added', 'removed', 'completed',
  'mobile', 'desktop', 'tablet', 'web', 'site', 'website', 'store', 'shop', 'sale', 'discount',
  'coupon', 'offer', 'bundle', 'package', 'monthly', 'annual', 'yearly', 'weekly', 'daily',
  'video', 'image', 'photo', 'file', 'document', 'doc', 'docs', 'blog', 'post', 'article', 'news',
  'clinic', 'hospital', 'center', 'centre', 'health', 'medical', 'care', 'pharmacy', 'insurance',
  'inc', 'llc', 'ltd', 'corp', 'company', 'bank', 'university', 'school', 'college', 'street',
  'avenue', 'road', 'city', 'county', 'state', 'us', 'usa',
]);

/** Keys whose whole value is a person's name. */
const PERSON_NAME_KEYS: ReadonlySet<string> = new Set([
  'first_name', 'last_name', 'full_name', 'patient_name', 'given_name', 'family_name',
  'middle_name', 'maiden_name', 'surname', 'display_name', 'contact_name', 'emergency_contact',
  'guardian_name', 'spouse_name', 'nickname', 'firstname', 'lastname', 'fullname', 'fname',
  'lname', 'middle_initial', 'preferred_name', 'legal_name', 'customer_name', 'member_name',
  'subscriber_name', 'cardholder_name', 'card_holder_name', 'account_holder_name', 'billing_name',
  'shipping_name', 'recipient_name', 'sender_name', 'parent_name', 'mother_name', 'father_name',
  'mothers_maiden_name', 'child_name', 'caregiver_name', 'physician_name', 'doctor_name',
  'provider_name', 'referring_physician', 'emergency_contact_name', 'next_of_kin', 'real_name',
  'person_name', 'owner_name', 'insured_name', 'beneficiary_name', 'primary_care_physician',
  'user_full_name', 'name_first', 'name_last', 'name_full', 'name_given', 'name_family',
  'patient_first_name', 'patient_last_name', 'patient_full_name',
]);
const PERSON_NAME_KEY_SUFFIXES: readonly string[] = [
  '_first_name', '_last_name', '_full_name', '_middle_name', '_given_name', '_family_name',
  '_surname', '_maiden_name', '_firstname', '_lastname', '_fullname',
];
/** The generic key: may hold a person, an event, a product or a plan. */
const GENERIC_NAME_KEY = 'name';

/** A name-like value: 1–5 words of letters, apostrophes, hyphens, dots; "Doe, Jane" allowed. */
const NAME_VALUE_RE = /^[\p{L}\p{M}][\p{L}\p{M}'’.-]*(?:,?\s{1,3}[\p{L}\p{M}][\p{L}\p{M}'’.-]*){0,4}$/u;
/** `analytics.js`, `page.view`: a dot inside a word longer than an initial. */
const DOTTED_WORD_RE = /\p{L}{2}\.\p{L}/u;
const VALUE_TOKEN_SPLIT_RE = /[\s,]+/;
const PLACEHOLDER_VALUES: ReadonlySet<string> = new Set([
  'null', 'undefined', 'none', 'na', 'nil', 'unknown', 'anonymous', 'anon', 'guest', 'test',
  'user', 'customer', 'nobody', 'redacted', 'hidden', 'private', 'empty', 'true', 'false', 'yes',
  'no', 'admin', 'default', 'name', 'first', 'last', 'n', 'x', 'tbd', 'pending',
]);
const DOTS_RE = /\./g;
const SLUG_SEPARATOR_RE = /[-_.]/;
const SLUG_WORD_RE = /^[a-z]+$/;
const SLUG_ID_RE = /^(?=[a-z]*\d)[a-z\d]{1,12}$/;

interface Token {
  /** Start and end of the word, without a trailing dot. */
  readonly start: number;
  readonly end: number;
  readonly text: string;
  /** A dot follows the word: an initial ("Q."), an abbreviation ("Dr.") or a sentence end. */
  readonly dotted: boolean;
  /** Glued to digits, underscores, `@`, `/` or a dot-word: part of an identifier, not prose. */
  readonly glued: boolean;
}

type Case = 'title' | 'upper' | 'lower' | 'mixed';

function isAsciiDigitOrJoiner(c: number): boolean {
  // 0-9 _ @ / \ # $ %
  return (c >= 48 && c <= 57) || c === 95 || c === 64 || c === 47 || c === 92 || c === 35 || c === 36 || c === 37;
}

function tokenize(value: string): Token[] {
  const tokens: Token[] = [];
  WORD_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = WORD_RE.exec(value)) !== null) {
    const raw = m[0];
    const dotted = raw.charCodeAt(raw.length - 1) === 46;
    const start = m.index;
    const end = start + raw.length - (dotted ? 1 : 0);
    const before = start > 0 ? value.charCodeAt(start - 1) : 32;
    const afterIndex = start + raw.length;
    const after = afterIndex < value.length ? value.charCodeAt(afterIndex) : 32;
    const glued =
      isAsciiDigitOrJoiner(before) || before === 46 ||
      isAsciiDigitOrJoiner(after) ||
      // `jane.doe`, `analytics.js`: a dot with a letter right after it.
      (dotted && ((after >= 65 && after <= 90) || (after >= 97 && after <= 122)));
    tokens.push({ start, end, text: dotted ? raw.slice(0, -1) : raw, dotted, glued });
  }
  return tokens;
}

/** Lower case, apostrophes and diacritics removed: the dictionaries' spelling. */
function fold(word: string): string {
  let lower = word.toLowerCase();
  if (lower.includes('\'') || lower.includes('’')) lower = lower.replace(APOSTROPHES_RE, '');
  if (NON_ASCII_RE.test(lower)) lower = lower.normalize('NFD').replace(COMBINING_MARKS_RE, '');
  return lower;
}

function caseOf(word: string): Case {
  if (!UPPER_START_RE.test(word)) return HAS_LOWER_RE.test(word) ? 'lower' : 'mixed';
  if (!HAS_LOWER_RE.test(word)) return word.length === 1 ? 'title' : 'upper';
  return 'title';
}

/** Looks a word up whole, then by its hyphenated parts (`Garcia-Lopez`, `Anne-Marie`). */
function inSet(folded: string, set: ReadonlySet<string>): boolean {
  if (set.has(folded)) return true;
  if (!folded.includes('-')) return false;
  for (const part of folded.split('-')) if (set.has(part)) return true;
  return false;
}

/** A dictionary word that is also an ordinary word: all of its parts are ambiguous. */
function onlyCommonWords(folded: string, common: ReadonlySet<string>): boolean {
  if (!folded.includes('-')) return common.has(folded);
  for (const part of folded.split('-')) if (!common.has(part)) return false;
  return true;
}

function isInitial(token: Token): boolean {
  return token.text.length === 1 && token.dotted && caseOf(token.text) === 'title';
}

/** Tokens are adjacent when only spaces/tabs (1–3) separate them, nothing else. */
function spaceBetween(value: string, from: number, to: number): boolean {
  const gap = to - from;
  if (gap < 1 || gap > 3) return false;
  for (let i = from; i < to; i++) {
    const c = value.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

/** "Doe, Jane": a comma then 1–2 spaces. */
function commaBetween(value: string, from: number, to: number): boolean {
  if (value.charCodeAt(from) !== 44) return false;
  return to - from >= 2 && spaceBetween(value, from + 1, to);
}

/** Gap after a label: spaces and at most one `:`, `=`, `-`, `#`; reports whether a colon-like mark was seen. */
function labelGap(value: string, from: number, to: number): 'none' | 'plain' | 'marked' {
  if (to - from < 1 || to - from > 6) return 'none';
  let marks = 0;
  for (let i = from; i < to; i++) {
    const c = value.charCodeAt(i);
    if (c === 32 || c === 9) continue;
    if (c === 58 || c === 61 || c === 45 || c === 35) { marks++; continue; }
    return 'none';
  }
  if (marks > 1) return 'none';
  return marks === 1 ? 'marked' : 'plain';
}

class NameScanner {
  private readonly folded: (string | undefined)[];
  private readonly cases: (Case | undefined)[];

  constructor(private readonly value: string, private readonly tokens: readonly Token[]) {
    this.folded = new Array<string | undefined>(tokens.length);
    this.cases = new Array<Case | undefined>(tokens.length);
  }

  private tok(i: number): Token {
    return this.tokens[i] as Token;
  }

  private lower(i: number): string {
    return (this.folded[i] ??= fold(this.tok(i).text));
  }

  private caseAt(i: number): Case {
    return (this.cases[i] ??= caseOf(this.tok(i).text));
  }

  private capitalised(i: number): boolean {
    const c = this.caseAt(i);
    return c === 'title' || c === 'upper';
  }

  private adjacent(i: number): boolean {
    const next = this.tokens[i + 1];
    if (next === undefined) return false;
    const current = this.tok(i);
    // A word that ends a sentence ("Smith.") is not followed by more of the name; initials are.
    if (current.dotted && !isInitial(current) && !this.isAbbreviatedTitle(i)) return false;
    return spaceBetween(this.value, current.end + (current.dotted ? 1 : 0), next.start);
  }

  private isAbbreviatedTitle(i: number): boolean {
    return STRONG_TITLES.has(this.lower(i));
  }

  private isFirst(i: number): boolean {
    return inSet(this.lower(i), FIRST_NAMES);
  }

  private isSurname(i: number): boolean {
    return inSet(this.lower(i), SURNAMES);
  }

  private isDictionaryName(i: number): boolean {
    return this.isFirst(i) || this.isSurname(i);
  }

  /** In a dictionary and not also an everyday word: strong evidence on its own. */
  private isUnambiguousName(i: number): boolean {
    const w = this.lower(i);
    return (inSet(w, FIRST_NAMES) && !onlyCommonWords(w, COMMON_WORD_FIRST_NAMES)) ||
      (inSet(w, SURNAMES) && !onlyCommonWords(w, COMMON_WORD_SURNAMES));
  }

  private isNameWord(i: number): boolean {
    const t = this.tok(i);
    if (t.glued) return false;
    const w = this.lower(i);
    return !STOP_WORDS.has(w) && !UI_WORDS.has(w);
  }

  /** End of a name ending at token `last`, extended over ", Jr." / "III". */
  private nameEnd(last: number): number {
    const t = this.tok(last);
    let end = isInitial(t) ? t.end + 1 : t.end;
    const next = this.tokens[last + 1];
    if (next !== undefined && GENERATIONAL_SUFFIXES.has(this.lower(last + 1)) && this.capitalised(last + 1)) {
      const from = t.end + (t.dotted ? 1 : 0);
      if (spaceBetween(this.value, from, next.start) || commaBetween(this.value, from, next.start)) {
        end = next.end + (next.dotted ? 1 : 0);
      }
    }
    return end;
  }

  /**
   * Collects the name after a cue ending at token `cue`. Returns the index of the last name
   * token, or -1. `strong`: capitalised words need no dictionary; lower-case words always do.
   */
  private nameAfterCue(cue: number, strong: boolean, gapChecked: boolean): number {
    const first = cue + 1;
    const firstToken = this.tokens[first];
    if (firstToken === undefined) return -1;
    if (!gapChecked && !this.adjacent(cue)) return -1;
    let last = -1;
    let words = 0;
    let unambiguous = 0;
    let lowerCase = false;
    for (let i = first; i < this.tokens.length && words < 3; i++) {
      if (i > first && !this.adjacent(i - 1)) break;
      const t = this.tok(i);
      // "seen by Dr. Chen": the title is the next cue, not part of this name.
      if (t.glued || STRONG_TITLES.has(this.lower(i)) || WEAK_TITLES.has(this.lower(i))) break;
      let endsName = false;
      if (!this.isNameWord(i)) {
        // A stop or UI word that is also a name ("Patient June Carter", "Jane Page", "Jane Do")
        // counts only capitalised, as the first name right after the cue or as the surname
        // right after a first name; either way it ends the name.
        if (lowerCase || !this.capitalised(i)) break;
        const asFirst = i === first && this.isFirst(i);
        const asSurname = i > first && this.isSurname(i) && this.isFirst(i - 1);
        if (!asFirst && !asSurname) break;
        endsName = asSurname;
      }
      const initial = isInitial(t);
      if (this.capitalised(i)) {
        if (lowerCase) break;
      } else if (this.caseAt(i) === 'lower' && this.isUnambiguousName(i) && (last === -1 || lowerCase)) {
        lowerCase = true;
      } else {
        break;
      }
      if (!initial) words++;
      if (this.isUnambiguousName(i)) unambiguous++;
      last = i;
      // "Smith." ends the sentence.
      if (endsName || (t.dotted && !initial)) break;
    }
    if (last === -1 || words === 0) return -1;
    if (!strong || lowerCase) {
      // Weak cues ("Patient", "Hi") and lower-case names need a dictionary word that is not
      // also an everyday word; trailing non-dictionary words are left out of the span.
      while (last > first && !this.isDictionaryName(last) && !isInitial(this.tok(last))) last--;
      // With a cue, a capitalised first name + surname pair counts even when both are also
      // words ("Patient Jade Day"); alone, one of them must be unambiguous.
      const pair = !lowerCase && last > first && this.isFirst(first) && this.isSurname(last);
      if (unambiguous === 0 && !pair) return -1;
    }
    return last;
  }

  /** The cue ending at token `i`, if any, and whether it is strong (a title, a `Label:`, "name is", "signed by"). */
  private cueAt(i: number): { strong: boolean; gapChecked: boolean } | undefined {
    const t = this.tok(i);
    const w = this.lower(i);
    const next = this.tokens[i + 1];
    if (next === undefined) return undefined;
    if (STRONG_TITLES.has(w)) {
      // "Dr" / "Dr." / "DR.", not "dr" in running lower-case text.
      if (!this.capitalised(i) && !t.dotted) return undefined;
      return { strong: true, gapChecked: false };
    }
    if (WEAK_TITLES.has(w) && this.capitalised(i)) return { strong: false, gapChecked: false };
    let label = LABEL_CUES.has(w);
    let strongLabel = false;
    if (w === 'by' && i > 0 && BY_VERBS.has(this.lower(i - 1))) { label = true; strongLabel = true; }
    // "my name is", "name is", "I am".
    if (w === 'is' && i > 0 && this.lower(i - 1) === 'name') { label = true; strongLabel = true; }
    if (w === 'am' && i > 0 && this.lower(i - 1) === 'i') label = true;
    if (!label) return undefined;
    const gap = labelGap(this.value, t.end + (t.dotted ? 1 : 0), next.start);
    if (gap === 'none') return undefined;
    return { strong: strongLabel || gap === 'marked', gapChecked: true };
  }

  /** "Jane Doe", "John Q. Public", "Mary Ann Smith": returns the last token index or -1. */
  private firstLastAt(i: number): number {
    // Stop and UI words are not checked here: both parts must be dictionary names anyway, and
    // the everyday-word rule in plausibleFirstLast decides "Will Smith" vs "Will Call".
    const t = this.tok(i);
    if (t.glued || !this.capitalised(i) || !this.isFirst(i) || !this.adjacent(i)) return -1;
    const style = this.caseAt(i);
    const j = i + 1;
    const mid = this.tokens[j];
    if (mid === undefined || mid.glued) return -1;
    if (isInitial(mid)) {
      // "John Q. Public": the initial is evidence enough for any capitalised last word.
      const k = j + 1;
      const lastToken = this.tokens[k];
      if (lastToken === undefined || !this.adjacent(j) || lastToken.glued || isInitial(lastToken)) return -1;
      if (this.caseAt(k) !== style || !this.isNameWord(k)) return -1;
      return k;
    }
    if (this.caseAt(j) !== style) return -1;
    // "Mary Ann Smith": a second first name, then a surname.
    if (this.isFirst(j) && this.adjacent(j)) {
      const k = j + 1;
      const lastToken = this.tokens[k];
      if (lastToken !== undefined && !lastToken.glued && this.caseAt(k) === style && this.plausibleFirstLast(i, k)) return k;
    }
    return this.plausibleFirstLast(i, j) ? j : -1;
  }

  private plausibleFirstLast(first: number, last: number): boolean {
    if (!this.isSurname(last)) return false;
    const f = this.lower(first);
    const l = this.lower(last);
    const firstIsWord = onlyCommonWords(f, COMMON_WORD_FIRST_NAMES);
    const lastIsWord = onlyCommonWords(l, COMMON_WORD_SURNAMES);
    if (firstIsWord && lastIsWord) return false;
    // ALL-CAPS text is headings and buttons: only unambiguous pairs.
    if (this.caseAt(first) === 'upper' && (firstIsWord || lastIsWord)) return false;
    return true;
  }

  /** "Doe, Jane" (optionally "Doe, Jane Q."): returns the last token index or -1. */
  private lastCommaFirstAt(i: number): number {
    const j = i + 1;
    const next = this.tokens[j];
    const t = this.tok(i);
    if (next === undefined || t.dotted || next.glued || !this.isNameWord(i) || !this.isNameWord(j)) return -1;
    if (this.caseAt(i) !== 'title' || this.caseAt(j) !== 'title') return -1;
    if (!commaBetween(this.value, t.end, next.start)) return -1;
    const l = this.lower(i);
    const f = this.lower(j);
    if (!inSet(l, SURNAMES) || onlyCommonWords(l, COMMON_WORD_SURNAMES)) return -1;
    if (!inSet(f, FIRST_NAMES) || onlyCommonWords(f, COMMON_WORD_FIRST_NAMES)) return -1;
    const k = j + 1;
    const after = this.tokens[k];
    if (after !== undefined && isInitial(after) && this.adjacent(j)) return k;
    return j;
  }

  /** "Jane Doe, MD", "Gregory House MD": 2–3 capitalised words then a credential. */
  private beforeCredentialAt(i: number): number {
    for (let words = 3; words >= 2; words--) {
      let ok = true;
      for (let k = i; k < i + words; k++) {
        const t = this.tokens[k];
        if (t === undefined || t.glued || this.caseAt(k) !== 'title' || !this.isNameWord(k)) { ok = false; break; }
        if (k > i && !this.adjacent(k - 1)) { ok = false; break; }
      }
      if (!ok) continue;
      const last = this.tok(i + words - 1);
      const at = last.end + (last.dotted && isInitial(last) ? 1 : 0);
      CREDENTIAL_AFTER_RE.lastIndex = at;
      SHORT_CREDENTIAL_AFTER_RE.lastIndex = at;
      if (CREDENTIAL_AFTER_RE.test(this.value) || SHORT_CREDENTIAL_AFTER_RE.test(this.value)) return i + words - 1;
    }
    return -1;
  }

  scan(): Span[] {
    const spans: Span[] = [];
    const n = this.tokens.length;
    for (let i = 0; i < n; i++) {
      const cue = this.cueAt(i);
      if (cue !== undefined) {
        const last = this.nameAfterCue(i, cue.strong, cue.gapChecked);
        if (last !== -1) {
          spans.push({ start: this.tok(i + 1).start, end: this.nameEnd(last), kind: 'name' });
          i = last;
          continue;
        }
      }
      let last = this.firstLastAt(i);
      if (last === -1) last = this.lastCommaFirstAt(i);
      if (last === -1) last = this.beforeCredentialAt(i);
      if (last !== -1) {
        spans.push({ start: this.tok(i).start, end: this.nameEnd(last), kind: 'name' });
        i = last;
      }
    }
    return spans;
  }
}

function isPersonNameKey(key: string): boolean {
  if (key.length === 0) return false;
  if (PERSON_NAME_KEYS.has(key)) return true;
  for (const suffix of PERSON_NAME_KEY_SUFFIXES) if (key.endsWith(suffix)) return true;
  return false;
}

/**
 * Whole-value match under a name key. `requireDictionary` (the generic `name` key): at least one
 * dictionary word that is not an everyday word, or a dictionary first name + surname pair, and no
 * UI word ("Signup Button", "Pro Plan").
 */
function keyedNameSpan(value: string, requireDictionary: boolean): Span | undefined {
  const inner = value.trim();
  if (inner.length === 0 || inner.length > 100) return undefined;
  if (!NAME_VALUE_RE.test(inner) || DOTTED_WORD_RE.test(inner)) return undefined;
  const words = inner.split(VALUE_TOKEN_SPLIT_RE).filter((w) => w.length > 0).map(fold);
  if (words.length === 1 && PLACEHOLDER_VALUES.has((words[0] ?? '').replace(DOTS_RE, ''))) return undefined;
  if (requireDictionary) {
    let evidence = false;
    for (const w of words) {
      if (UI_WORDS.has(w)) return undefined;
      if ((inSet(w, FIRST_NAMES) && !onlyCommonWords(w, COMMON_WORD_FIRST_NAMES)) ||
        (inSet(w, SURNAMES) && !onlyCommonWords(w, COMMON_WORD_SURNAMES))) evidence = true;
    }
    const first = words[0] ?? '';
    const last = words[words.length - 1] ?? '';
    if (words.length >= 2 && inSet(first, FIRST_NAMES) && inSet(last, SURNAMES) &&
      !(onlyCommonWords(first, COMMON_WORD_FIRST_NAMES) && onlyCommonWords(last, COMMON_WORD_SURNAMES))) {
      evidence = true;
    }
    if (!evidence) return undefined;
  }
  const start = value.indexOf(inner);
  return { start, end: start + inner.length, kind: 'name' };
}

/**
 * Free text can only hold a name we find if it has a capital letter (ASCII or Latin-1 and
 * beyond) or one of the lower-case cues that accept a lower-case name ("patient", "name",
 * "signed by"). A char scan plus three substring searches, no allocation.
 */
function mayHoldFreeTextName(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c >= 0xc0) return true;
  }
  return value.includes('name') || value.includes('patient') || value.includes(' by ');
}

/**
 * True for a URL path segment that spells a person's name: `jane-doe`, `john_smith`,
 * `maria.garcia`, `mary-ann-smith`, `john-smith-4a5b6c` (a trailing id part is allowed).
 */
export function looksLikeNameSlug(segment: string): boolean {
  if (segment.length < 4 || segment.length > 60) return false;
  const parts = segment.toLowerCase().split(SLUG_SEPARATOR_RE);
  if (parts.length > 2 && SLUG_ID_RE.test(parts[parts.length - 1] ?? '')) parts.pop();
  if (parts.length < 2 || parts.length > 3) return false;
  for (const p of parts) if (!SLUG_WORD_RE.test(p)) return false;
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  if (!FIRST_NAMES.has(first) || !inSet(last, SURNAMES)) return false;
  if (parts.length === 3) {
    const middle = parts[1] ?? '';
    if (middle.length > 1 && !FIRST_NAMES.has(middle) && !SURNAMES.has(middle)) return false;
  }
  return !(COMMON_WORD_FIRST_NAMES.has(first) && COMMON_WORD_SURNAMES.has(last));
}

export const nameDetector: DetectorFactory = () => {
  return {
    id: 'name',
    letter: 'A',
    kind: 'name',
    marker: '[NAME]',
    prefilter: function namePrefilter(value: string, ctx: DetectContext): boolean {
      if (isPersonNameKey(ctx.key) || ctx.key === GENERIC_NAME_KEY) return true;
      return mayHoldFreeTextName(value);
    },
    find: function findNames(value: string, ctx: DetectContext): Span[] {
      if (isPersonNameKey(ctx.key) || ctx.key === GENERIC_NAME_KEY) {
        const span = keyedNameSpan(value, ctx.key === GENERIC_NAME_KEY);
        if (span !== undefined) return [span];
      }
      // Same gate as the prefilter, so find never reports what the prefilter would have skipped.
      if (!mayHoldFreeTextName(value)) return [];
      const tokens = tokenize(value);
      if (tokens.length === 0) return [];
      return new NameScanner(value, tokens).scan();
    },
  };
};
