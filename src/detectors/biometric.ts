/**
 * Biometric identifiers (Safe Harbor P): the whole value under a key that names a biometric
 * template (`fingerprint_template`, `voiceprint`, `face_embedding`, `iris_template`, `biometric`,
 * …), and in free text the encoded blob after "fingerprint template", "voiceprint", "face
 * template" and similar (the span is the blob, not the keyword).
 *
 * A key named just `fingerprint` is usually a *browser* or certificate fingerprint (a short hash,
 * an "other unique id" under R, handled elsewhere); it counts as biometric only when its value is
 * a long encoded blob (64+ base64 characters that are not simply a SHA-256/512 hex digest).
 * Technical fingerprints (`device_fingerprint`, `tls_fingerprint`, …) never do.
 *
 * @example
 * biometricDetector(DEFAULT_DETECTOR_OPTIONS).find('voiceprint: UklGRiQAAABXQVZFZm10IBAAAAAB', { key: '' })
 * // → [{ start: 12, end: 40, kind: 'biometric' }]
 */
import { WORD_GAP, keywordValueRegex, mergeSpans, scanKeywordValues, trimmedBounds } from './context';
import type { Detector, DetectorFactory, Span } from './types';
import { wordStartSet } from './features';
import { memoizeByKey } from './util';

const KEY_TAIL = '(?:_(?:data|value|raw|b64|base64|blob|bytes|hash|template|vector|encoded))?$';

/** Keys whose value is a biometric whatever it looks like. */
const BIOMETRIC_KEY = new RegExp(
  '(?:^|_)(?:(?:fingerprint|finger_print)_(?:template|image|minutiae|scan|sample)|voice_?prints?|face_?prints?' +
    '|face_(?:template|embedding|encoding|vector|descriptor|geometry|scan|signature)' +
    '|iris_(?:template|scan|code|image)|retinal?_(?:scan|template|image)|palm_?prints?|palm_vein(?:_template)?' +
    '|hand_geometry|biometrics?|biometric_(?:template|data|sample|vector|record|hash|blob|signature))' + KEY_TAIL,
);
/** `fingerprint` alone: biometric only when the value is a long blob (see `isLongEncodedBlob`). */
const FINGERPRINT_KEY = /(?:^|_)finger_?print$/;
/** Fingerprints of browsers, certificates, keys and files: never biometric. */
const TECHNICAL_FINGERPRINT = new RegExp(
  '(?:^|_)(?:device|browser|canvas|visitor|ssl|tls|ja3|ja4|cert|certificate|key|ssh|gpg|pgp|audio' +
    '|webgl|font|client|http|tcp|file|content|commit|build|session|request|js|asset|hardware|network)_finger_?print$',
);

/** Values that fill a biometric field without being a biometric (`biometric: "true"`). */
const PLACEHOLDERS = new Set([
  'true', 'false', 'null', 'none', 'nil', 'undefined', 'yes', 'no', 'enabled', 'disabled', 'n/a', 'na',
  'unknown', 'pending', '0', '1', '[biometric]', '[redacted]',
]);

/** True when a normalised key names a biometric (strongly, or as a bare `fingerprint`). */
export const isBiometricKey: (key: string) => boolean = memoizeByKey(function isBiometricKey(key: string): boolean {
  return key.length > 0 && (BIOMETRIC_KEY.test(key) || (FINGERPRINT_KEY.test(key) && !TECHNICAL_FINGERPRINT.test(key)));
});

function isBase64Char(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) ||
    c === 43 || c === 47 || c === 61 || c === 95 || c === 45; // + / = _ -
}

function isHexChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/**
 * 64+ characters of base64 (or hex), excluding hex digests up to 128 characters (SHA-256,
 * SHA-512): a browser or certificate fingerprint is such a digest, a template is much longer.
 */
export function isLongEncodedBlob(value: string, start = 0, end = value.length): boolean {
  if (end - start < 64) return false;
  let allHex = true;
  for (let i = start; i < end; i++) {
    const c = value.charCodeAt(i);
    if (!isBase64Char(c)) return false;
    if (allHex && !isHexChar(c)) allHex = false;
  }
  return !(allHex && end - start <= 128);
}

/** Keywords that announce a biometric blob in free text. */
const BIOMETRIC_KEYWORDS = [
  `(?:finger${WORD_GAP}print|face|facial|iris|palm|voice|retina|biometric)${WORD_GAP}` +
    '(?:templates?|embeddings?|encodings?|vectors?|minutiae|samples?)',
  `(?:voice|face|palm)${WORD_GAP}prints?`,
  `iris${WORD_GAP}codes?`,
  `retinal?${WORD_GAP}scans?`,
].join('|');

/** First two characters of the keywords above, for the engine's gate. */
const KEYWORD_STARTS = wordStartSet(['finger', 'face', 'facial', 'iris', 'palm', 'voice', 'retina', 'biometric']);

/** An encoded blob: base64 (standard or URL-safe) with its padding. Unbounded but never backtracks. */
const BLOB_TOKEN = '([A-Za-z0-9+/_-]+=*)';

/**
 * A blob after a biometric keyword: 20+ characters with a digit, `+`, `/`, or both letter cases,
 * so that "voiceprint enrollmentcompletedtoday" (a word) is not one.
 */
function plausibleBlob(token: string): boolean {
  if (token.length < 20) return false;
  let upper = false;
  let lower = false;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if ((c >= 48 && c <= 57) || c === 43 || c === 47) return true;
    if (c >= 65 && c <= 90) upper = true;
    else if (c >= 97 && c <= 122) lower = true;
  }
  return upper && lower;
}

/** True when `value` has a run of at least `min` base64 characters (prefilter for the text scan). */
function hasBase64Run(value: string, min: number): boolean {
  let run = 0;
  for (let i = 0; i < value.length; i++) {
    run = isBase64Char(value.charCodeAt(i)) ? run + 1 : 0;
    if (run >= min) return true;
  }
  return false;
}

/**
 * Magic numbers of the ISO/IEC 19794 biometric data interchange records, base64- or hex-encoded:
 * finger minutiae "FMR\0" (also ANSI/INCITS 378), finger image "FIR\0", face "FAC\0", iris
 * "IIR\0". A blob that starts with one is a biometric template whatever surrounds it.
 */
const BIOMETRIC_MAGIC_RE = /^(?:Rk1SA|RklSA|RkFDA|SUlSA|464[dD]5200|46495200|46414300|49495200)/;

/** A biometric word anywhere in the text (also inside camelCase keys: `userFaceTemplate=`). */
const BIOMETRIC_WORD_RE =
  /biometric|BIOMETRIC|[fF]inger[ _-]?[pP]rint|FINGER[ _-]?PRINT|[mM]inutiae|MINUTIAE|[tT]emplate|TEMPLATE|[vV]oice[ _-]?[pP]rint|VOICE[ _-]?PRINT|[fF]ace[ _-]?(?:[pP]rint|[tT]emplate|[eE]mbedding|[eE]ncoding)|FACE[ _-]?(?:PRINT|TEMPLATE|EMBEDDING|ENCODING)|[rR]etina|RETINA|(?<![A-Za-z])(?:[iI]ris|IRIS|[pP]alm|PALM)(?![a-z])|[pP]alm[ _-]?(?:[pP]rint|[vV]ein)/;

/**
 * "browser fingerprint", "tls-fingerprint", "deviceFingerprint": a fingerprint of software, not
 * of a finger. Its "fingerprint" is no biometric word.
 */
const TECHNICAL_FINGERPRINT_TEXT_RE = new RegExp(
  '(?:device|browser|canvas|visitor|ssl|tls|ja3|ja4|cert|certificate|key|ssh|gpg|pgp|audio|webgl|font|client|http|tcp' +
    '|file|content|commit|build|session|request|js|asset|hardware|network)[ _-]?finger[ _-]?prints?',
  'i',
);

const TECHNICAL_FINGERPRINT_TEXT_ALL_RE = new RegExp(TECHNICAL_FINGERPRINT_TEXT_RE.source, 'gi');

/** A free-standing base64 (or hex) run of 40+ characters, with its padding. Never backtracks. */
const FREE_BLOB_RE = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{40,}={0,2}/g;

/**
 * A blob that looks like encoded binary, not a word, a path or a digest: upper and lower case
 * and a digit (or a long hex string), one base64 alphabet (not `+`/`/` mixed with `-`/`_`), not a
 * path (leading, doubled or dense slashes), the character class changing often (random data
 * does; CamelCaseWords do not), and not a hex digest of up to 128 characters (SHA-1 … SHA-512).
 */
export function looksLikeEncodedBinary(blob: string): boolean {
  let end = blob.length;
  while (end > 0 && blob.charCodeAt(end - 1) === 61) end--;
  if (end < 40) return false;
  let upper = 0;
  let lower = 0;
  let digits = 0;
  let standard = false;
  let urlSafe = false;
  let allHex = true;
  let changes = 0;
  let prevClass = -1;
  for (let i = 0; i < end; i++) {
    const c = blob.charCodeAt(i);
    let cls: number;
    if (c >= 65 && c <= 90) { upper++; cls = 0; } else if (c >= 97 && c <= 122) { lower++; cls = 1; } else if (c >= 48 && c <= 57) { digits++; cls = 2; } else {
      cls = 3;
      if (c === 43 || c === 47) standard = true; else urlSafe = true;
    }
    if (allHex && !isHexChar(c)) allHex = false;
    if (prevClass !== -1 && cls !== prevClass) changes++;
    prevClass = cls;
  }
  if (standard && urlSafe) return false;
  // A path ("/templates/Welcome2024/Header"): leading or doubled slashes, or many slashes and no `+`.
  if (blob.charCodeAt(0) === 47 || blob.includes('//')) return false;
  let slashes = 0;
  for (let i = 0; i < end; i++) if (blob.charCodeAt(i) === 47) slashes++;
  if (slashes >= 3 && slashes * 20 > end && !blob.includes('+')) return false;
  if (allHex) return end > 128;
  if (upper === 0 || lower === 0 || digits === 0) return false;
  return changes * 4 >= end;
}

/**
 * Encoded blobs in free text without a keyword right before them: one that starts with a
 * biometric record's magic number, or any encoded-binary blob when the text speaks of biometrics
 * ("biometric enroll failed, template=Rk1SACAy…", "fingerprint sample uploaded: …").
 */
function findFreeBlobs(value: string): Span[] {
  let keyword = BIOMETRIC_WORD_RE.test(value);
  if (keyword && TECHNICAL_FINGERPRINT_TEXT_RE.test(value)) {
    // "browser fingerprint <blob>": only another biometric word counts.
    keyword = BIOMETRIC_WORD_RE.test(value.replace(TECHNICAL_FINGERPRINT_TEXT_ALL_RE, ' '));
    if (!keyword) return [];
  }
  const spans: Span[] = [];
  FREE_BLOB_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = FREE_BLOB_RE.exec(value)) !== null) {
    const blob = m[0];
    const start = m.index;
    const end = start + blob.length;
    const magic = BIOMETRIC_MAGIC_RE.test(blob);
    // A bare value that is only a blob carries no evidence of what it encodes beyond its magic;
    // the key decides that case (see `find`).
    const alone = magic && !keyword && value.slice(0, start).trim() === '' && value.slice(end).trim() === '';
    if ((magic && !alone) || (keyword && looksLikeEncodedBinary(blob))) spans.push({ start, end, kind: 'biometric' });
  }
  return spans;
}

/**
 * Built once per process, not per plan: V8 keeps a regex's compiled code on the RegExp object,
 * and a new RegExp built for each compiled plan recompiles (milliseconds for the keyword
 * alternations) once a GC has aged its source out of V8's cache. Shared safely: every scan sets
 * `lastIndex` first and runs to completion.
 */
const KEYWORD_RE = keywordValueRegex(BIOMETRIC_KEYWORDS, BLOB_TOKEN);

export const biometricDetector: DetectorFactory = () => {
  const keywordRe = KEYWORD_RE;
  return {
    id: 'biometric',
    letter: 'P',
    kind: 'biometric',
    marker: '[BIOMETRIC]',
    claimsBlobs: true,
    prefilter(value, ctx) {
      return hasBase64Run(value, 20) || (value.length > 0 && isBiometricKey(ctx.key));
    },
    gate(value, ctx, f) {
      if (value.length > 0 && isBiometricKey(ctx.key)) return true;
      // A keyword (see BIOMETRIC_KEYWORDS) before a blob of 20+, or a free blob of 40+.
      return f.base64Run >= 40 || (f.base64Run >= 20 && f.hasWordStart(KEYWORD_STARTS));
    },
    find(value, ctx, f) {
      if (ctx.key.length > 0) {
        const [start, end] = trimmedBounds(value);
        if (BIOMETRIC_KEY.test(ctx.key)) {
          const placeholder = end - start <= 12 && PLACEHOLDERS.has(value.slice(start, end).toLowerCase());
          if (end > start && !placeholder) {
            return [{ start, end, kind: 'biometric' }];
          }
        } else if (isBiometricKey(ctx.key) && isLongEncodedBlob(value, start, end)) {
          return [{ start, end, kind: 'biometric' }];
        }
      }
      const keyworded = f === undefined || f.hasWordStart(KEYWORD_STARTS) ? scanKeywordValues(keywordRe, value, 'biometric', plausibleBlob) : [];
      if (!hasBase64Run(value, 40)) return keyworded;
      return mergeSpans(keyworded, findFreeBlobs(value));
    },
  } satisfies Detector;
};
