/**
 * One pass over a string that every detector's gate reads, instead of each prefilter scanning
 * the string again: digit counts and runs, a few punctuation flags, and the longest runs the
 * number detectors need. The engine measures each scanned string once (no allocation: it reuses
 * one `StringFeatures`) and calls `detector.gate(value, ctx, features)` where a detector has one.
 *
 * Measured with `node bench/engine.js --events 1000 --rounds 3 --no-peers`: the 22 prefilters
 * had cost ~10% of the engine's time, mostly in rescanning the same characters.
 */

/** `A`–`Z`, or any code unit from U+00C0 up: a "capital" as the name and address gates define it. */
export const F_CAPITAL = 1 << 0;
/** `@`, or `%40` (an encoded at-sign). */
export const F_AT = 1 << 1;
export const F_COLON = 1 << 2;
export const F_DASH = 1 << 3;
export const F_EQUALS = 1 << 4;
/** `.` followed by an ASCII digit. */
export const F_DOT_DIGIT = 1 << 5;
/** `°`. */
export const F_DEGREE = 1 << 6;
/** `://`. */
export const F_SCHEME = 1 << 7;
/** `www.` or `WWW.` (exactly these two spellings). */
export const F_WWW = 1 << 8;
/** `.` or `:`. */
export const F_DOT_OR_COLON = 1 << 9;
/** ASCII `A`–`Z`. */
export const F_ASCII_UPPER = 1 << 10;
/** ASCII `a`–`z`. */
export const F_ASCII_LOWER = 1 << 11;
/** A code unit above U+007F. */
export const F_NON_ASCII = 1 << 12;
/** `/`. */
export const F_SLASH = 1 << 13;
/** `#`. */
export const F_HASH = 1 << 14;
/** `,`. */
export const F_COMMA = 1 << 15;
/** `~`. */
export const F_TILDE = 1 << 16;
/** An ASCII digit, one of `-` `/` `.`, and a digit again (`03/14`, `1985-03`, `14.03`). */
export const F_DIGIT_SEP_DIGIT = 1 << 17;
/** Three ASCII letters in a row. */
export const F_THREE_LETTERS = 1 << 18;
/**
 * A house number before white space: a digit, or a letter right after a digit (`221B`),
 * followed by ASCII white space or by any non-ASCII code unit (which may be a Unicode space).
 */
export const F_NUMBER_SPACE = 1 << 19;
/** Five or more digits, `-`, four digits (a ZIP+4 shape). */
export const F_ZIP4 = 1 << 20;

/** The bit of a letter (either case) in `wordStarts` / `letterStarts`. */
export function letterBit(letter: string): number {
  return 1 << ((letter.charCodeAt(0) | 32) - 97);
}

/** The bits of the first letters of `words` (`lettersMask(['mrn', 'chart'])`). */
export function lettersMask(words: readonly string[]): number {
  let mask = 0;
  for (const w of words) mask |= letterBit(w);
  return mask;
}

/** 26 first letters × (26 second letters + "anything else"). */
const BIGRAMS = 26 * 27;
const BIGRAM_WORDS = Math.ceil(BIGRAMS / 32);

/** `first` is an ASCII letter; `second` any code unit (0 past the end). */
function bigramIndex(first: number, second: number): number {
  const isLetter = (second >= 65 && second <= 90) || (second >= 97 && second <= 122);
  return ((first | 32) - 97) * 27 + (isLetter ? (second | 32) - 96 : 0);
}

/**
 * The keyword starts a detector needs, as a bigram set for `StringFeatures.hasWordStart`: the
 * first two characters of each keyword, either case (a non-letter second character, as in
 * `s/n` or `mr#`, counts as "anything but a letter").
 */
export function wordStartSet(keywords: readonly string[]): Uint32Array {
  const set = new Uint32Array(BIGRAM_WORDS);
  for (const k of keywords) {
    const b = bigramIndex(k.charCodeAt(0), k.length > 1 ? k.charCodeAt(1) : 0);
    set[b >> 5]! |= 1 << (b & 31);
  }
  return set;
}

/** What one pass learns about a string. Reused: read it before measuring the next string. */
export class StringFeatures {
  flags = 0;
  /** ASCII digits in the string. */
  digits = 0;
  /** Longest run of consecutive ASCII digits. */
  maxDigitRun = 0;
  /**
   * Most digits in one chain whose digits are at most three of ` .-/()` or U+00A0 apart: the
   * phone detector's candidate shape (`(617) 555-0123` is one chain of 10).
   */
  phoneChain = 0;
  /** Longest run of base64 characters (`A-Za-z0-9+/=_-`). */
  base64Run = 0;
  /** Most digits in one chain whose digits are at most one space or `-` apart (`4111 1111-1111`). */
  dashChain = 0;
  /** Longest run of ASCII letters and digits. */
  alnumRun = 0;
  /** `:` in the string (a MAC address has five, an IPv6 address two or more). */
  colons = 0;
  /** `-` in the string (a dashed MAC address has five). */
  dashes = 0;
  /** `.` in the string (an IPv4 address has three, a dotted MAC two). */
  dots = 0;
  /**
   * Words as the name detector's tokenizer cuts ASCII text: runs of letters, with `'` and `-`
   * between two letters joining them (`O'Brien`, `Anne-Marie`). A lower bound when the string
   * has non-ASCII characters (`F_NON_ASCII`).
   */
  asciiWords = 0;
  /**
   * First letters (bit 0 = a … bit 25 = z, either case) of ASCII letters that start a keyword
   * position as the keyword detectors define it (`KEYWORD_START` in context.ts): not after an
   * ASCII letter or digit, or an upper-case letter after a lower-case one (`primaryMemberId`).
   */
  wordStarts = 0;
  /** The same for letters not after an ASCII letter (a digit before is allowed: `9account`). */
  letterStarts = 0;
  /** First two characters at each `wordStarts` position, as a bigram set (see `wordStartSet`). */
  readonly wordBigrams = new Uint32Array(BIGRAM_WORDS);

  /** True when a keyword of `set` may start somewhere: one of its bigrams is at a word start. */
  hasWordStart(set: Uint32Array): boolean {
    const bits = this.wordBigrams;
    for (let i = 0; i < BIGRAM_WORDS; i++) if ((bits[i]! & set[i]!) !== 0) return true;
    return false;
  }

  has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }
}

function isDigitAt(value: string, i: number): boolean {
  const c = value.charCodeAt(i);
  return c >= 48 && c <= 57;
}

function isPhoneSeparator(c: number): boolean {
  // space . - / ( ) NBSP
  return c === 32 || c === 46 || c === 45 || c === 47 || c === 40 || c === 41 || c === 0xa0;
}

/** Fills `out` with the features of `value` and returns it. */
export function measure(value: string, out: StringFeatures): StringFeatures {
  let flags = 0;
  let digits = 0;
  let run = 0;
  let maxRun = 0;
  let chain = 0;
  let gap = 0;
  let maxChain = 0;
  let dchain = 0;
  let dgap = 0;
  let maxDchain = 0;
  let b64 = 0;
  let maxB64 = 0;
  let alnum = 0;
  let maxAlnum = 0;
  let colons = 0;
  let dashes = 0;
  let dots = 0;
  let letters = 0;
  let words = 0;
  let wordStarts = 0;
  let letterStarts = 0;
  /** 0 other, 1 digit, 2 lower-case letter, 3 upper-case letter: the class of the previous code unit. */
  let prev = 0;
  /** The code unit before the previous one was a letter (for `'`/`-` joins). */
  let letterBeforePrev = false;
  /** The code unit before the previous one was a digit (for `221B `). */
  let digitBeforePrev = false;
  let prevCode = 0;
  const bigrams = out.wordBigrams;
  bigrams.fill(0);
  const n = value.length;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits++;
      if (++run > maxRun) maxRun = run;
      chain = chain > 0 && gap <= 3 ? chain + 1 : 1;
      gap = 0;
      if (chain > maxChain) maxChain = chain;
      dchain = dchain > 0 && dgap <= 1 ? dchain + 1 : 1;
      dgap = 0;
      if (dchain > maxDchain) maxDchain = dchain;
      if (prev === 0 && i >= 2 && (prevCode === 45 || prevCode === 47 || prevCode === 46)) {
        const before = value.charCodeAt(i - 2);
        if (before >= 48 && before <= 57) flags |= F_DIGIT_SEP_DIGIT;
      }
      b64++;
      alnum++;
      letters = 0;
      letterBeforePrev = prev >= 2;
      digitBeforePrev = prev === 1;
      prev = 1;
      prevCode = c;
      continue;
    }
    const digitRun = run;
    run = 0;
    if (chain > 0) {
      if (isPhoneSeparator(c)) {
        if (++gap > 3) chain = 0;
      } else {
        chain = 0;
      }
    }
    if (dchain > 0) {
      if (c === 32 || c === 45) {
        if (++dgap > 1) dchain = 0;
      } else {
        dchain = 0;
      }
    }
    const lower = c >= 97 && c <= 122;
    if (lower || (c >= 65 && c <= 90)) {
      flags |= lower ? F_ASCII_LOWER : F_ASCII_UPPER | F_CAPITAL;
      const bit = 1 << ((c | 32) - 97);
      const hump = !lower && prev === 2;
      if (prev < 2 || hump) letterStarts |= bit;
      if (prev === 0 || hump) {
        wordStarts |= bit;
        const b = bigramIndex(c, i + 1 < n ? value.charCodeAt(i + 1) : 0);
        bigrams[b >> 5]! |= 1 << (b & 31);
      }
      // A new word unless a `'`/`-` joins it to the letter before.
      if (prev < 2 && !(prev === 0 && letterBeforePrev && (prevCode === 39 || prevCode === 45 || prevCode === 0x2019))) words++;
      if (++letters === 3) flags |= F_THREE_LETTERS;
      b64++;
      alnum++;
      letterBeforePrev = prev >= 2;
      digitBeforePrev = prev === 1;
      prev = lower ? 2 : 3;
      prevCode = c;
      continue;
    }
    letters = 0;
    if (alnum > maxAlnum) maxAlnum = alnum;
    alnum = 0;
    if ((c === 32 || (c >= 9 && c <= 13) || c >= 0x80) && (prev === 1 || (prev >= 2 && digitBeforePrev))) flags |= F_NUMBER_SPACE;
    if (c === 45 && digitRun >= 5 && isDigitAt(value, i + 1) && isDigitAt(value, i + 2) && isDigitAt(value, i + 3) && isDigitAt(value, i + 4)) flags |= F_ZIP4;
    letterBeforePrev = prev >= 2;
    digitBeforePrev = prev === 1;
    prev = 0;
    prevCode = c;
    if (c === 43 || c === 61 || c === 95 || c === 45 || c === 47) {
      // + = _ - /
      b64++;
      if (c === 45) {
        flags |= F_DASH;
        dashes++;
      }
      else if (c === 61) flags |= F_EQUALS;
      else if (c === 47) flags |= F_SLASH;
      continue;
    }
    if (b64 > maxB64) maxB64 = b64;
    b64 = 0;
    if (c >= 0x80) {
      flags |= F_NON_ASCII;
      if (c >= 0xc0) flags |= F_CAPITAL;
      else if (c === 0xb0) flags |= F_DEGREE;
      continue;
    }
    switch (c) {
      case 64: // @
        flags |= F_AT;
        break;
      case 37: // %40
        if (value.charCodeAt(i + 1) === 52 && value.charCodeAt(i + 2) === 48) flags |= F_AT;
        break;
      case 58: // :
        colons++;
        flags |= F_COLON | F_DOT_OR_COLON;
        if (value.charCodeAt(i + 1) === 47 && value.charCodeAt(i + 2) === 47) flags |= F_SCHEME;
        break;
      case 46: { // .
        dots++;
        flags |= F_DOT_OR_COLON;
        const next = value.charCodeAt(i + 1);
        if (next >= 48 && next <= 57) flags |= F_DOT_DIGIT;
        if (i >= 3) {
          const a = value.charCodeAt(i - 3);
          if ((a === 119 || a === 87) && value.charCodeAt(i - 2) === a && value.charCodeAt(i - 1) === a) flags |= F_WWW;
        }
        break;
      }
      case 35: // #
        flags |= F_HASH;
        break;
      case 44: // ,
        flags |= F_COMMA;
        break;
      case 126: // ~
        flags |= F_TILDE;
        break;
      default:
        break;
    }
  }
  if (b64 > maxB64) maxB64 = b64;
  if (alnum > maxAlnum) maxAlnum = alnum;
  out.flags = flags;
  out.dashChain = maxDchain;
  out.colons = colons;
  out.dashes = dashes;
  out.dots = dots;
  out.alnumRun = maxAlnum;
  out.asciiWords = words;
  out.wordStarts = wordStarts;
  out.letterStarts = letterStarts;
  out.digits = digits;
  out.maxDigitRun = maxRun;
  out.phoneChain = maxChain;
  out.base64Run = maxB64;
  return out;
}

/** The features of `value` in a new object (tests, and callers outside the engine's hot path). */
export function featuresOf(value: string): StringFeatures {
  return measure(value, new StringFeatures());
}
