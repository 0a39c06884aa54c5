/**
 * IP addresses (Safe Harbor O): IPv4, IPv6 full and compressed, IPv4-mapped (`::ffff:192.0.2.1`),
 * zone ids (`fe80::1%eth0`) and bracketed hosts (`[2001:db8::1]:443`, span without brackets and
 * port). Candidates come from one regex; ipaddr.js decides.
 *
 * Version numbers are the main false positive: `Chrome/120.0.0.0` in a user agent, `1.2.3.4.5`.
 * A quad right after `word/`, inside a longer dotted run or before a pre-release tag (`7.0.0.1-beta`)
 * is not an address, nor is a network address ending in `.0.0` (`120.0.0.0`): no person sits at one.
 */
import ipaddr from 'ipaddr.js';
import type { DetectContext, DetectorFactory, Span } from './types';
import { F_DOT_DIGIT } from './features';

// Zero-padded octets (`192.168.001.010`) appear in logs and are still addresses.
const OCTET = '(?:25[0-5]|2[0-4]\\d|[01]?\\d?\\d)';
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;
// Groups of 0–4 hex digits each closed by a colon: every repetition consumes its colon, so the
// regex cannot backtrack beyond the 8 groups it may hold.
const IPV6 = `(?:[0-9A-Fa-f]{0,4}:){2,7}(?:${IPV4}|[0-9A-Fa-f]{1,4})?(?:%[0-9A-Za-z._~-]{1,32})?`;
// Alternation order matters: at `::ffff:192.0.2.1` the IPv6 branch must win over the bare quad.
// An IPv6 candidate may follow a label (`ip:2001:db8::1`) but not a hex group (`10:30:00`).
const CANDIDATE = new RegExp(`(?<![0-9A-Za-z_.]|[0-9A-Fa-f:]:)(${IPV6})(?![0-9A-Za-z_:])|(?<![0-9A-Za-z_.])(${IPV4})(?![0-9A-Za-z_]|\\.\\d|-[A-Za-z])`, 'g');

const IP_KEY = /(?:^|_)(?:ip|ips|ip_address|ipv4|ipv6|ip_addr|remote_addr|client_ip|x_forwarded_for|x_real_ip|forwarded_for)$/;
// `version 4.2.1.3`, `build: 1.0.3.7`.
const VERSION_WORD_BEFORE = /(?<![A-Za-z])(?:version|ver|build|release|firmware)[\s:=#]{0,3}$/i;
const VERSION_LOOKBACK = 16;
const HAS_DIGIT = /\d/;
const VERSION_KEY = /(?:^|_)(?:version|ver|build|release)(?:_|$)/;

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** `Chrome/120.0.0.0`, `Version/17.1.2.3`: a product token, not a URL host (`http://10.0.0.1`). */
function followsProductToken(value: string, start: number): boolean {
  return start >= 2 && value.charCodeAt(start - 1) === 47 && isWordChar(value.charCodeAt(start - 2));
}

/** `10.0.0.0`, `120.0.0.0`: network addresses that version strings also look like. */
function followsVersionWord(value: string, start: number): boolean {
  return VERSION_WORD_BEFORE.test(value.slice(Math.max(0, start - VERSION_LOOKBACK), start));
}

function isNetworkLikeQuad(text: string): boolean {
  return text.endsWith('.0.0');
}

/**
 * A necessary condition for an IPv6 text form (RFC 4291 2.2): without `::`, eight groups (seven
 * colons) or six and a dotted quad (six colons). ipaddr.js rejects anything else by throwing and
 * catching an error (~10 µs), and MAC addresses and times (`A5:41:B0:FB:CA:C0`, `10:30:00`) are
 * the usual candidates that fail.
 */
export function mayBeIpv6(address: string): boolean {
  if (address.includes('::')) return true;
  let colons = 0;
  for (let i = 0; i < address.length; i++) if (address.charCodeAt(i) === 58) colons++;
  return colons === 7 || (colons === 6 && address.includes('.'));
}

function isAcceptedIpv6(text: string): boolean {
  const zone = text.indexOf('%');
  const address = zone < 0 ? text : text.slice(0, zone);
  if (!mayBeIpv6(address) || !ipaddr.IPv6.isValid(address)) return false;
  // `dead::beef`, `cafe::babe` are words in code; a real address in analytics has a digit.
  if (!HAS_DIGIT.test(address)) return false;
  return ipaddr.IPv6.parse(address).range() !== 'unspecified';
}

function findIpAddresses(value: string, ctx: DetectContext): Span[] {
  const spans: Span[] = [];
  const ipKey = ctx.key !== '' && IP_KEY.test(ctx.key);
  const versionKey = !ipKey && ctx.key !== '' && VERSION_KEY.test(ctx.key);
  CANDIDATE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = CANDIDATE.exec(value)) !== null) {
    const v6 = m[1];
    if (v6 !== undefined) {
      if (isAcceptedIpv6(v6)) spans.push({ start: m.index, end: m.index + v6.length, kind: 'ip' });
      continue;
    }
    const v4 = m[2];
    if (v4 === undefined || versionKey) continue;
    if (!ipKey && (followsProductToken(value, m.index) || isNetworkLikeQuad(v4) || followsVersionWord(value, m.index))) continue;
    spans.push({ start: m.index, end: m.index + v4.length, kind: 'ip' });
  }
  return spans;
}

/**
 * The network address of `text` with `v4Prefix` / `v6Prefix` bits kept, or undefined when `text`
 * is not an IP address. An IPv4-mapped IPv6 address is treated as the IPv4 address it carries;
 * zone ids and brackets are dropped.
 *
 * @example truncateIp('203.0.113.77', 24, 48) // '203.0.113.0'
 * @example truncateIp('2001:db8:85a3:1:2:3:4:5', 24, 48) // '2001:db8:85a3::'
 */
export function truncateIp(text: string, v4Prefix: number, v6Prefix: number): string | undefined {
  let candidate = text.trim();
  if (candidate.startsWith('[') && candidate.endsWith(']')) candidate = candidate.slice(1, -1);
  const zone = candidate.indexOf('%');
  if (zone >= 0) candidate = candidate.slice(0, zone);
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  if (ipaddr.IPv4.isValidFourPartDecimal(candidate)) {
    address = ipaddr.IPv4.parse(candidate);
  } else if (ipaddr.IPv6.isValid(candidate)) {
    const v6 = ipaddr.IPv6.parse(candidate);
    address = v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
  } else {
    return undefined;
  }
  const bytes = address.toByteArray();
  const prefix = clampPrefix(address.kind() === 'ipv4' ? v4Prefix : v6Prefix, bytes.length * 8);
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.min(8, Math.max(0, prefix - i * 8));
    bytes[i] = (bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return ipaddr.fromByteArray(bytes).toString();
}

function clampPrefix(prefix: number, bits: number): number {
  if (!Number.isFinite(prefix)) return 0;
  return Math.min(bits, Math.max(0, Math.floor(prefix)));
}

/** True when `value` has a digit and a `.` or `:`: every address needs both. */
function mayHoldAddress(value: string): boolean {
  let digit = false;
  let separator = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) digit = true;
    else if (c === 46 || c === 58) separator = true;
    if (digit && separator) return true;
  }
  return false;
}

export const ipDetector: DetectorFactory = () => ({
  id: 'ip',
  letter: 'O',
  kind: 'ip',
  marker: '[IP]',
  prefilter: function ipPrefilter(value) {
    return mayHoldAddress(value);
  },
  gate: function ipGate(_value, _ctx, f) {
    // IPv4 has three `.` (one before a digit); IPv6 two or more `:`.
    return f.digits > 0 && (f.colons >= 2 || (f.dots >= 3 && f.has(F_DOT_DIGIT)));
  },
  find: function findIp(value, ctx) {
    return findIpAddresses(value, ctx);
  },
});
