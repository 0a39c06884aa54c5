/**
 * Email addresses (Safe Harbor F), including the `%40`-encoded form that survives in URLs when the
 * engine has not decoded them (`?email=jane.doe%40example.com`).
 *
 * Scanning is anchored on each `@` / `%40` and walks outwards by hand instead of running one big
 * regex: a regex that starts with a local-part class retries at every letter of a long run and
 * goes quadratic on 50 KB of text with no `@` in it; the walk touches each character at most twice.
 */
import type { DetectorFactory, Span } from './types';
import { F_AT } from './features';

const MAX_LOCAL_LENGTH = 64;
const MAX_DOMAIN_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;

// `icon@2x.png`, `logo@3x.webp`, `bundle@latest.js`: asset names that look like addresses but
// end in a file extension no top-level domain uses.
const FILE_EXTENSION_TLDS = new Set([
  'png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'avif', 'ico', 'bmp', 'tif', 'tiff', 'heic',
  'js', 'mjs', 'cjs', 'jsx', 'ts', 'tsx', 'css', 'scss', 'map', 'json', 'html', 'htm', 'xml',
  'txt', 'pdf', 'wasm', 'woff', 'woff2', 'ttf', 'otf', 'mp3', 'mp4', 'webm', 'ogg', 'wav',
]);

function isAsciiAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Latin letters with diacritics (U+00C0–U+024F minus × and ÷), for `josé@exemple.fr`. */
function isLatinExtendedLetter(c: number): boolean {
  return c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7;
}

function isLocalChar(c: number): boolean {
  // . _ + - ' : the characters real addresses use. `=`, `/`, `%`, `&`, `?` are legal in RFC 5322
  // but in analytics text they are query-string syntax (`?email=jane@x.com`), never the address.
  return isAsciiAlnum(c) || c === 46 || c === 95 || c === 43 || c === 45 || c === 39 || isLatinExtendedLetter(c);
}

function isLeadingPunctuation(c: number): boolean {
  return c === 46 || c === 39 || c === 43 || c === 45;
}

function isDomainChar(c: number): boolean {
  return isAsciiAlnum(c) || c === 45 || c === 46 || isLatinExtendedLetter(c);
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || isLatinExtendedLetter(c);
}

/** Length of the at-sign at `i`: 1 for `@`, 3 for `%40`, 0 when there is none. */
function atSignLength(value: string, i: number): number {
  const c = value.charCodeAt(i);
  if (c === 64) return 1;
  if (c === 37 && value.charCodeAt(i + 1) === 52 && value.charCodeAt(i + 2) === 48) return 3;
  return 0;
}

/**
 * Checks `value.slice(start, end)` as a domain: two or more labels of letters, digits and inner
 * hyphens, a letter-only (or `xn--`) top-level domain that is not a file extension.
 */
function isPlausibleDomain(value: string, start: number, end: number): boolean {
  if (end - start > MAX_DOMAIN_LENGTH) return false;
  let labels = 0;
  let labelStart = start;
  for (let i = start; i <= end; i++) {
    if (i < end && value.charCodeAt(i) !== 46) continue;
    const length = i - labelStart;
    if (length === 0 || length > MAX_LABEL_LENGTH) return false;
    if (value.charCodeAt(labelStart) === 45 || value.charCodeAt(i - 1) === 45) return false;
    labels++;
    if (i < end) labelStart = i + 1;
  }
  if (labels < 2) return false;
  const tld = value.slice(labelStart, end);
  if (tld.length < 2) return false;
  if (!tld.toLowerCase().startsWith('xn--')) {
    for (let i = 0; i < tld.length; i++) if (!isLetter(tld.charCodeAt(i))) return false;
  }
  return !FILE_EXTENSION_TLDS.has(tld.toLowerCase());
}

/**
 * Where the domain ends when text is glued to it after the top-level domain
 * (`jane@example.comFollow-up`, `jane@example.com2024`): the last label is cut at its first
 * character that is not a letter. A glued word of letters (`example.comFollow`) already reads as
 * part of the top-level domain and is removed with the address.
 */
function gluedDomainEnd(value: string, domainStart: number, domainEnd: number): number | undefined {
  // Bounded by the domain: an unbounded lastIndexOf would rescan the text before every `@`.
  let lastDot = domainEnd - 1;
  while (lastDot >= domainStart && value.charCodeAt(lastDot) !== 46) lastDot--;
  if (lastDot < domainStart) return undefined;
  let i = lastDot + 1;
  while (i < domainEnd && isLetter(value.charCodeAt(i))) i++;
  if (i === domainEnd || i - lastDot - 1 < 2) return undefined;
  return isPlausibleDomain(value, domainStart, i) ? i : undefined;
}

/**
 * Finds email addresses in `value`. Exported for reuse by other detectors that must not claim
 * the digits inside an address.
 *
 * @example findEmails('mailto:Jane.Doe+tag@Mail.Example.org') // [{ start: 7, end: 37, kind: 'email' }]
 */
export function findEmails(value: string): Span[] {
  const spans: Span[] = [];
  let searchFrom = 0;
  let lastEnd = 0;
  while (searchFrom < value.length) {
    const at = nextAtSign(value, searchFrom);
    if (at < 0) break;
    const atLength = atSignLength(value, at);
    searchFrom = at + atLength;

    let localStart = at;
    while (localStart > lastEnd && isLocalChar(value.charCodeAt(localStart - 1))) localStart--;
    // Quotes, dots, pluses and hyphens that open the run are punctuation around the address.
    while (localStart < at && isLeadingPunctuation(value.charCodeAt(localStart))) localStart++;
    const localLength = at - localStart;
    if (localLength === 0 || localLength > MAX_LOCAL_LENGTH) continue;
    if (value.charCodeAt(at - 1) === 46) continue; // `jane.@x.com` is not an address

    const domainStart = at + atLength;
    let domainEnd = domainStart;
    while (domainEnd < value.length && isDomainChar(value.charCodeAt(domainEnd))) domainEnd++;
    // A sentence may end right after the address: drop trailing dots and hyphens.
    while (domainEnd > domainStart && (value.charCodeAt(domainEnd - 1) === 46 || value.charCodeAt(domainEnd - 1) === 45)) domainEnd--;
    if (!isPlausibleDomain(value, domainStart, domainEnd)) {
      const glued = gluedDomainEnd(value, domainStart, domainEnd);
      if (glued === undefined) continue;
      domainEnd = glued;
    }

    spans.push({ start: localStart, end: domainEnd, kind: 'email' });
    lastEnd = domainEnd;
    searchFrom = domainEnd;
  }
  return spans;
}

function nextAtSign(value: string, from: number): number {
  for (let i = from; i < value.length; i++) {
    if (atSignLength(value, i) > 0) return i;
  }
  return -1;
}

/** True when `value` holds an `@` or a `%40`: every address needs one. */
function hasAtSign(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    if (atSignLength(value, i) > 0) return true;
  }
  return false;
}

export const emailDetector: DetectorFactory = () => ({
  id: 'email',
  letter: 'F',
  kind: 'email',
  marker: '[EMAIL]',
  prefilter: function emailPrefilter(value) {
    return hasAtSign(value);
  },
  gate: function emailGate(_value, _ctx, f) {
    return f.has(F_AT);
  },
  find: function findEmail(value) {
    return findEmails(value);
  },
});
