/**
 * Device identifiers and serial numbers (Safe Harbor M): MAC addresses (`00:1A:2B:3C:4D:5E`,
 * `00-1a-2b-3c-4d-5e`, `001a.2b3c.4d5e`), IMEIs (15 Luhn-valid digits, bare or `35-209900-176148-1`),
 * MEIDs, UDIDs, Android ids and serial numbers after a keyword ("S/N: C02XK0ABJGH5", "IMEI …"),
 * advertising ids (IDFA/GAID, UUID-shaped) only after an advertising keyword or under an
 * advertising key, and the whole value under a key that names a device id (`serial_number`,
 * `imei`, `mac_address`, `idfa`, …).
 *
 * Plain UUIDs are never matched on their own: event and session uuids are not identifiers of a
 * person. PostHog's `$device_id` is pseudonymised by a key rule in the rule pack, not here.
 *
 * @example
 * deviceDetector(DEFAULT_DETECTOR_OPTIONS).find('wifi 00:1A:2B:3C:4D:5E up', { key: '' })
 * // → [{ start: 5, end: 22, kind: 'device' }]
 */
import { luhnValid, hasDigits, memoizeByKey } from './util';
import {
  QUALIFIER, WORD_GAP, keyedIdSpan, keyedTokenSpans, keywordValueRegex, mergeSpans,
  plausibleIdToken,
  scanKeywordValues, trimmedBounds,
} from './context';
import type { Detector, DetectorFactory, Span } from './types';
import { F_COLON, F_DASH, wordStartSet, type StringFeatures } from './features';

/** Six hex pairs with one consistent separator; `ref` is the number of its `[:-]` group. */
function colonMac(ref: number): string {
  return `[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\\${ref}[0-9A-Fa-f]{2}){4}`;
}
/** Cisco's dotted form `001a.2b3c.4d5e`. */
const DOTTED_MAC = '[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]{4}';

/**
 * Bare device ids, one alternative per shape, each refusing to start or end inside a longer
 * token (IPv6 addresses, version strings, longer digit runs). Capture groups: 1 colon/dash MAC
 * (2 its separator), 3 dotted MAC, 4 grouped IMEI `35-209900-176148-1` / `35209900-176148-1`
 * (5, 6 separators), 7 a 15-digit IMEI.
 */
const BARE_DEVICE_RE = new RegExp(
  [
    `(?<![0-9A-Za-z:])(${colonMac(2)})(?![0-9A-Za-z]|[:-][0-9A-Fa-f])`,
    `(?<![0-9A-Za-z.])(${DOTTED_MAC})(?![0-9A-Za-z]|\\.[0-9A-Za-z])`,
    '(?<![0-9A-Za-z.+-])(\\d{2}([- ])\\d{6}\\5\\d{6}\\5\\d|\\d{8}([- ])\\d{6}\\6\\d)(?![0-9A-Za-z]|[- ]\\d)',
    '(?<![0-9A-Za-z.+-])(\\d{15})(?![0-9A-Za-z]|[.,]\\d)',
  ].join('|'),
  'g',
);

const UUID_OR_HEX32 = /^(?:[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|[0-9A-Fa-f]{32})$/;
const MAC_SHAPE = new RegExp(`^(?:${colonMac(1)}|${DOTTED_MAC}|[0-9A-Fa-f]{12})$`);
const HEX_LETTER = /[A-Fa-f]/;
const HEX_ID = /^[0-9A-Fa-f]{8,}(?:-[0-9A-Fa-f]{4,})*$/;
/** 2000-01-01 … 2040-01-01 in epoch milliseconds. */
const EPOCH_MS_MIN = 946_684_800_000;
const EPOCH_MS_MAX = 2_208_988_800_000;

/** True when every hex digit of `value` is 0 (the "limit ad tracking" IDFA) or all are F. */
function isNullId(value: string): boolean {
  let zeros = 0;
  let fs = 0;
  let hex = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i) | 32;
    if (c === 48) zeros++;
    else if (c === 102) fs++;
    if ((c >= 48 && c <= 57) || (c >= 97 && c <= 102)) hex++;
  }
  return hex > 0 && (zeros === hex || fs === hex);
}

/**
 * A bare 15-digit IMEI: Luhn-valid, and not a millisecond timestamp with two more digits
 * (`179533657459512`) nor an American Express card number (34/37, also Luhn-valid: the card
 * detector owns those).
 */
export function isBareImei(digits: string): boolean {
  if (digits.length !== 15 || !luhnValid(digits)) return false;
  const prefix = digits.charCodeAt(0) === 51 ? digits.charCodeAt(1) : 0; // "3x"
  if (prefix === 52 || prefix === 55) return false; // 34, 37
  const ms = Number(digits.slice(0, 13));
  return ms < EPOCH_MS_MIN || ms >= EPOCH_MS_MAX;
}

/** True for a MAC address in any of its three notations, or as 12 bare hex digits. */
export function isMacAddress(value: string): boolean {
  return MAC_SHAPE.test(value) && !isNullId(value);
}

/** True for an advertising id: UUID-shaped (IDFA, GAID) or 32 hex digits (Adjust adid). */
export function isAdvertisingId(value: string): boolean {
  return UUID_OR_HEX32.test(value) && !isNullId(value);
}

const DEVICE_KEYWORDS = [
  `(imei(?:${WORD_GAP}sv)?|meid)(?:${WORD_GAP}${QUALIFIER})?`,
  `(idfa|idfv|gaid|aaid|adid|advertising${WORD_GAP}(?:id|identifier)|ad${WORD_GAP}id)`,
  `(mac)${WORD_GAP}(?:address|addr)|(mac)(?=[ \\t]?[:#=])`,
  `(udid|android${WORD_GAP}id)`,
  `(?:serial|s/n)(?:${WORD_GAP}${QUALIFIER})?|sn(?=[ \\t]?[:#])`,
].join('|');

/** First two characters of the keywords above, for the engine's gate. */
const KEYWORD_STARTS = wordStartSet(['imei', 'meid', 'idfa', 'gaid', 'aaid', 'adid', 'advertising', 'mac', 'udid', 'android', 'serial', 's/n', 'sn']);

/**
 * What a token after each kind of keyword must look like: IMEI/MEID 14–18 digits (hex for
 * MEID), advertising ids UUID-shaped, MACs MAC-shaped, UDID/Android ids hex, serials any
 * 5+ character code with a digit.
 */
function acceptDeviceToken(token: string, m: RegExpExecArray): boolean {
  if (m[1] !== undefined) return plausibleIdToken(token, 8, 24) && !isNullId(token);
  if (m[2] !== undefined) return isAdvertisingId(token);
  if (m[3] !== undefined || m[4] !== undefined) return isMacAddress(token);
  if (m[5] !== undefined) return HEX_ID.test(token) && !isNullId(token);
  return token.length >= 5 && plausibleIdToken(token, 1, 40);
}

/**
 * What BARE_DEVICE_RE needs: a colon or dash MAC repeats one separator five times, a dotted MAC
 * has two dots, an IMEI (bare or grouped) 15 digits. UUIDs (four dashes), timestamps and versions
 * fail this, so the four-branch regex no longer runs over most of the strings the engine scans.
 */
function mayHoldBareId(f: StringFeatures): boolean {
  return f.colons >= 5 || f.dashes >= 5 || f.dots >= 2 || f.digits >= 15;
}

/** Token after a device keyword: like ID_TOKEN, but `:` may also join parts (MAC addresses). */
const DEVICE_TOKEN = '([A-Za-z0-9]{1,40}(?:[-:][A-Za-z0-9]{1,40}){0,7})(?![A-Za-z0-9]|[-:][A-Za-z0-9])';

const KEY_TAIL = '(?:_(?:value|raw|str|string|text|hash|hashed))?$';
const AD_KEY = new RegExp(
  '(?:^|_)(?:idfa|idfv|gaid|aaid|adid|ad_id|advertising_id|advertisingid|google_ad_id|google_advertising_id)' + KEY_TAIL,
);
const MAC_KEY = new RegExp(`(?:^|_)mac(?:_address|_addr)?${KEY_TAIL}`);
const DEVICE_ID_KEY = new RegExp(
  '(?:^|_)(?:serial(?:_(?:numbers?|num|no|ids?))?|imei(?:sv|_?\\d)?|meids?|udid|android_id)' + KEY_TAIL,
);

/** True when a normalised key names a device identifier this detector handles. */
export const isDeviceKey: (key: string) => boolean = memoizeByKey(function isDeviceKey(key: string): boolean {
  return key.length > 0 && (DEVICE_ID_KEY.test(key) || AD_KEY.test(key) || MAC_KEY.test(key));
});

/** The whole trimmed value when its key names a device id and the value has that id's shape. */
function keyedDeviceSpan(value: string, key: string): Span | null {
  if (DEVICE_ID_KEY.test(key)) return keyedIdSpan(value, 'device');
  const [start, end] = trimmedBounds(value);
  const trimmed = value.slice(start, end);
  const ok = AD_KEY.test(key) ? isAdvertisingId(trimmed) : MAC_KEY.test(key) && isMacAddress(trimmed);
  return ok ? { start, end, kind: 'device' } : null;
}

/**
 * Built once per process, not per plan: V8 keeps a regex's compiled code on the RegExp object,
 * and a new RegExp built for each compiled plan recompiles (milliseconds for the keyword
 * alternations) once a GC has aged its source out of V8's cache. Shared safely: every scan sets
 * `lastIndex` first and runs to completion.
 */
const KEYWORD_RE = keywordValueRegex(DEVICE_KEYWORDS, DEVICE_TOKEN);

export const deviceDetector: DetectorFactory = () => {
  const keywordRe = KEYWORD_RE;
  const bareRe = BARE_DEVICE_RE;
  return {
    id: 'device',
    letter: 'M',
    kind: 'device',
    marker: '[DEVICE_ID]',
    prefilter(value, ctx) {
      // A MAC may be all letters (`ab:cd:ef:ab:cd:ef`): hence the separators.
      return hasDigits(value, 1) || value.includes(':') || value.includes('-') ||
        (value.length >= 3 && isDeviceKey(ctx.key));
    },
    gate(value, ctx, f) {
      if (value.length >= 3 && isDeviceKey(ctx.key)) return true;
      if (f.digits === 0 && !f.has(F_COLON | F_DASH)) return false;
      // A keyword, a MAC (five `:` or five `-`, or two `.`) or an IMEI (15 digits).
      return f.hasWordStart(KEYWORD_STARTS) || mayHoldBareId(f);
    },
    find(value, ctx, f) {
      const keyed = isDeviceKey(ctx.key);
      if (keyed) {
        const whole = keyedDeviceSpan(value, ctx.key);
        if (whole !== null) return [whole];
      }
      const bare: Span[] = [];
      // MACs need five `:` or `-`, or two `.`; IMEIs 15 digits (with features from the engine).
      bareRe.lastIndex = f === undefined || mayHoldBareId(f) ? 0 : value.length;
      let m: RegExpExecArray | null;
      while ((m = bareRe.exec(value)) !== null) {
        const text = m[0];
        let ok: boolean;
        if (m[7] !== undefined) ok = isBareImei(text);
        else if (m[4] !== undefined) ok = luhnValid(text);
        // An all-digit dotted triple is more likely a version or a code than a Cisco MAC.
        else if (m[3] !== undefined) ok = HEX_LETTER.test(text) && !isNullId(text);
        else ok = !isNullId(text);
        if (ok) bare.push({ start: m.index, end: m.index + text.length, kind: 'device' });
      }
      const byKey = keyed && DEVICE_ID_KEY.test(ctx.key) ? keyedTokenSpans(value, 'device') : [];
      const byKeyword = f === undefined || f.hasWordStart(KEYWORD_STARTS) ? scanKeywordValues(keywordRe, value, 'device', acceptDeviceToken) : [];
      return mergeSpans(byKey, byKeyword, bare);
    },
  } satisfies Detector;
};
