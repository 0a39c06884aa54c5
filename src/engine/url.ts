/**
 * The `url` action. Keeps what analytics needs from a URL — scheme, host, port, the path with
 * identifier-looking segments templated to `:id`, allow-listed query keys (UTM by default) —
 * and drops the rest: user info, other query parameters, the fragment. A URL with nothing to
 * remove comes back byte-identical (so unchanged URLs keep their exact encoding).
 */
import { compileGlobs, type Matcher } from './glob';
import { looksLikeNameSlug } from '../detectors/name';

export const PATH_ID = ':id';
/** UTM parameters and a few navigation keys; their values are still scanned by the detectors. */
export const DEFAULT_ALLOW_QUERY: readonly string[] = Object.freeze(['utm_*', 'step', 'tab', 'page', 'lang', 'locale', 'view', 'sort']);

export interface UrlScrubOptions {
  /** Which query keys survive; compiled from `allow_query`. */
  readonly allowQuery: Matcher;
  /** Runs the value detectors on decoded text; returns the input itself when nothing was found. */
  readonly scanText: (text: string) => string;
  /**
   * Results by input URL. Scrubbing a URL is a pure function of it (detectors are pure, and the
   * vault gives a value the same surrogate every time), and pages and referrers repeat, so a
   * bounded memo saves the repeat work.
   */
  readonly memo?: Map<string, string>;
}

const URL_MEMO_MAX_LENGTH = 512;
const URL_MEMO_ENTRIES = 10_000;

/** `['utm_*', 'ref']` → a case-insensitive whole-key matcher, linear in the key's length. */
export function compileAllowQuery(globs: readonly string[]): Matcher {
  return compileGlobs(globs, true);
}

/** Percent-decodes until stable (senders double-encode), at most a few rounds; bad escapes stop it. */
export function decodeRepeatedly(text: string): string {
  let current = text;
  for (let round = 0; round < 4 && current.includes('%'); round++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      return current;
    }
    if (next === current) break;
    current = next;
  }
  return current;
}

function decodeFormComponent(text: string): string {
  return decodeRepeatedly(text.includes('+') ? text.replace(/\+/g, ' ') : text);
}

/**
 * Hosts where a path names a person: the full URL of a personal page is itself an identifier
 * (Safe Harbor N), so every path segment there except structural words is templated.
 */
const PERSONAL_PAGE_HOST = /(?:^|\.)(?:facebook|fb|instagram|twitter|tiktok|linkedin|github|gitlab|youtube|gofundme|pinterest|reddit|medium|threads|snapchat|tumblr|flickr|vimeo|soundcloud|patreon|venmo|cash|paypal|t|wa|linktr|calendly|about|bsky|mastodon|substack|onlyfans|caringbridge)\.(?:com|me|ee|net|app|co|social|org)$|(?:^|\.)x\.com$/i;
const STRUCTURAL_SEGMENTS: ReadonlySet<string> = new Set(['in', 'pub', 'f', 'u', 'user', 'users', 'profile', 'profiles', 'channel', 'c', 'people', 'p', 'r', 'status', 'posts', 'photos', 'videos', 'about', 'paypalme', 'visit', 'site']);
/**
 * Collections of people: the segment after one names a person, whatever it looks like. Plurals
 * only: a singular (`/account/billing`, `/patient/dashboard`) is usually a section, not a record.
 */
const PERSON_COLLECTIONS: ReadonlySet<string> = new Set([
  'patients', 'users', 'members', 'people', 'persons', 'profiles', 'accounts', 'customers', 'clients', 'residents',
  'employees', 'providers', 'doctors', 'physicians', 'caregivers', 'dependents', 'u',
]);
/** Words that follow a collection without naming anyone (`/patients/new`). */
const COLLECTION_ACTIONS: ReadonlySet<string> = new Set(['new', 'search', 'list', 'all', 'me', 'index', 'create', 'edit', 'settings', 'login', 'signup', 'register']);
/** Static assets: a hashed bundle name (`main.8f3c1a.js`) is a build id, not a person's. */
const ASSET_FILE = /\.(?:js|mjs|cjs|css|map|png|jpe?g|gif|svg|webp|avif|ico|woff2?|ttf|eot)$/i;
/** Years inside slugs (`flu-season-2026`) are not ids. */
const YEAR_IN_SLUG = /(^|[-_.])(?:19|20)\d\d(?=$|[-_.])/g;
/** A user name with a number tail: `jdoe1985`, `shandiinyazzie30`. */
const USERNAME_WITH_NUMBER = /^[a-z]{6,}\d{2,4}$/i;

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const VERSION = /^v\d+(?:\.\d+)*$/i;
const HEX_ID = /^[0-9a-f]{8,}$/i;
const DIGIT = /\d/;
const DIGITS_ONLY = /^\d+$/;

/**
 * An id in a path segment: numbers, UUIDs, long hex, mixed letter/digit codes, opaque tokens,
 * e-mail addresses, name slugs (`jane-doe`) and anything a detector recognises.
 */
export function isIdentifierSegment(segment: string, scanText: (text: string) => string): boolean {
  if (segment === '' || segment === '.' || segment === '..') return false;
  const decoded = decodeRepeatedly(segment);
  if (DIGITS_ONLY.test(decoded)) return true;
  if (VERSION.test(decoded)) return false;
  if (UUID.test(decoded)) return true;
  if (HEX_ID.test(decoded) && DIGIT.test(decoded)) return true;
  if (decoded.includes('@')) return true;
  if (ASSET_FILE.test(decoded)) return scanText(decoded) !== decoded;
  const stem = decoded.replace(/\.(?:html?|php|aspx?|jsp|json|xml|pdf|js|css|png|jpe?g|gif|svg|webp)$/i, '');
  const counted = stem.replace(YEAR_IN_SLUG, '$1');
  let digits = 0;
  for (let i = 0; i < counted.length; i++) {
    const c = counted.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
  }
  // `abc123`, `MRN-00123`, `p_4821`: codes with several digits; `page2`, `step-1` stay.
  if (digits >= 2 && digits * 3 >= counted.replace(/[^A-Za-z0-9]/g, '').length) return true;
  // All-capitals codes with a digit (`5T4ALXQSNX`, `AB12CD`): record locators, not words.
  if (digits >= 1 && stem.length >= 6 && /^[A-Z0-9]+$/.test(stem)) return true;
  if (digits >= 3) return true;
  // Opaque tokens (session ids, invite codes): long, no separators, mixed case or digits.
  if (stem.length >= 16 && /^[A-Za-z0-9_-]+$/.test(stem) && /[A-Z]/.test(stem) && /[a-z]/.test(stem)) return true;
  if (looksLikeNameSlug(stem)) return true;
  if (stem.split(/[-_.]/).some((part) => USERNAME_WITH_NUMBER.test(part))) return true;
  return scanText(decoded) !== decoded;
}

function scrubPath(path: string, options: UrlScrubOptions, host: string): string {
  if (path === '' || path === '/') return path;
  const personalPage = host !== '' && PERSONAL_PAGE_HOST.test(host);
  const segments = path.split('/');
  let changed = false;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    // `;jsessionid=…` matrix params are session identifiers.
    const semicolon = segment.indexOf(';');
    const bare = semicolon >= 0 ? segment.slice(0, semicolon) : segment;
    if (semicolon >= 0) changed = true;
    const previous = i > 0 ? segments[i - 1]!.toLowerCase() : '';
    const afterCollection = PERSON_COLLECTIONS.has(previous) && bare !== '' && !COLLECTION_ACTIONS.has(bare.toLowerCase());
    const isPersonal = afterCollection || (personalPage && bare !== '' && !STRUCTURAL_SEGMENTS.has(bare.toLowerCase()));
    if (isPersonal || isIdentifierSegment(bare, options.scanText)) {
      segments[i] = PATH_ID;
      changed = true;
    } else if (semicolon >= 0) {
      segments[i] = bare;
    }
  }
  return changed ? segments.join('/') : path;
}

function scrubQuery(query: string, options: UrlScrubOptions): string {
  const kept: string[] = [];
  let changed = false;
  for (const part of query.split('&')) {
    if (part === '') { changed = true; continue; }
    const eq = part.indexOf('=');
    const rawKey = eq >= 0 ? part.slice(0, eq) : part;
    const key = decodeFormComponent(rawKey);
    if (!options.allowQuery.test(key)) { changed = true; continue; }
    if (eq < 0) { kept.push(part); continue; }
    const rawValue = part.slice(eq + 1);
    const value = decodeFormComponent(rawValue);
    const scanned = options.scanText(value);
    if (scanned === value) {
      kept.push(part);
    } else {
      kept.push(`${rawKey}=${encodeURIComponent(scanned)}`);
      changed = true;
    }
  }
  return changed ? kept.join('&') : query;
}

const ABSOLUTE = /^([a-z][a-z0-9+.-]*:)?\/\/([^/?#]*)/i;
/** `www.example.com/path` written without a scheme (as found in free text). */
const WWW_HOST = /^()(www\.[^/?#]*)/i;

/** Scrubs an absolute URL, a protocol-relative one, a path (`/a/b?c`) or a query string (`?a=b`). */
export function scrubUrl(url: string, options: UrlScrubOptions): string {
  const memo = url.length <= URL_MEMO_MAX_LENGTH ? options.memo : undefined;
  const known = memo?.get(url);
  if (known !== undefined) return known;
  const result = scrubUrlUncached(url, options);
  if (memo !== undefined) {
    if (memo.size >= URL_MEMO_ENTRIES) memo.clear();
    memo.set(url, result);
  }
  return result;
}

function scrubUrlUncached(url: string, options: UrlScrubOptions): string {
  let rest = url;
  let prefix = '';
  let host = '';
  const absolute = ABSOLUTE.exec(url) ?? WWW_HOST.exec(url);
  if (absolute) {
    const authority = absolute[2]!;
    host = authority.slice(authority.lastIndexOf('@') + 1).replace(/:\d+$/, '');
    const at = authority.lastIndexOf('@');
    // user:password@host — credentials and often an e-mail address.
    prefix = absolute[0].slice(0, absolute[0].length - authority.length) + authority.slice(at + 1);
    rest = url.slice(absolute[0].length);
  }
  const hash = rest.indexOf('#');
  const withoutFragment = hash >= 0 ? rest.slice(0, hash) : rest;
  const q = withoutFragment.indexOf('?');
  const path = q >= 0 ? withoutFragment.slice(0, q) : withoutFragment;
  const query = q >= 0 ? withoutFragment.slice(q + 1) : undefined;

  const newPath = scrubPath(path, options, host);
  const newQuery = query === undefined ? undefined : scrubQuery(query, options);
  const result = prefix + newPath + (newQuery ? `?${newQuery}` : '');
  return result === url ? url : result;
}

/** Strings the `url` action treats as URLs rather than free text. */
export function isUrlLike(text: string): boolean {
  return ABSOLUTE.test(text) || text.startsWith('/') || text.startsWith('?') || /^www\.[^\s]+$/i.test(text);
}
