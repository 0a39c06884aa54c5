/**
 * Plausible (@plausible-analytics/tracker, the classic `script.js`; see shared/wire-formats.md §7):
 * one event per `POST /api/event`, a JSON object `{n, u, d, r, p, …}` sent as text/plain. The
 * whole object is the event the engine scrubs; props given as a JSON string (the legacy `m`/`meta`
 * form, which Plausible still accepts) are decoded first and written back as a string. Only the
 * fields Plausible reads are forwarded; any other top-level key is dropped.
 *
 * Visitors: Plausible counts unique visitors by hash(daily salt, domain, IP, User-Agent). The
 * proxy never forwards the client's IP, so without a stand-in every visitor with the same browser
 * would be one. This format sends a pseudonymous IP in `X-Forwarded-For` instead: an HMAC of the
 * client IP and the UTC date under a deployment key, mapped into the IPv6 unique-local range
 * fd00::/8. It is stable for a visitor during one UTC day (like Plausible's own salt), cannot be
 * reversed without the key, and geolocates nowhere (Plausible shows no country/region/city).
 *   PHI_PROXY_PLAUSIBLE_IP_KEY      the key (≥ 32 characters; 64+ hex digits are read as bytes).
 *                                   Unset: a random key per process, so a restart (or each of
 *                                   several replicas) counts returning visitors again.
 *   PHI_PROXY_PLAUSIBLE_VISITOR_IP  `pseudonymous` (default) or `none` (no X-Forwarded-For:
 *                                   Plausible sees the proxy's address for everyone).
 * The proxy strips every client-IP header of the original request before applying this one.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { InputError, KeyError } from '../errors';
import { decodeUtf8, isPlainObject, parseJsonText, decodeBodyBytes } from './codec';
import type { DecodeLimits, DecodedBatch, Handling, IncomingRequest, LocalResponse, OutgoingRequest, WireFormat } from './types';

const EVENT_PATH = /^\/api\/event\/?$/;
/** The tracker scripts (classic `script.js`, its variants and `pa-…js`): read-only assets. */
const SCRIPT_PATH = /^\/js\/[A-Za-z0-9._-]+\.js$/;

/** Top-level fields Plausible's ingestion reads (lib/plausible/ingestion/request.ex); others go. */
const FIELDS: ReadonlySet<string> = new Set([
  'n', 'name', 'u', 'url', 'd', 'domain', 'r', 'referrer', 'h', 'hashMode',
  'm', 'meta', 'p', 'props', 'i', 'interactive', '$', 'revenue', 'v', 'sd', 'e',
]);
const PROPS_FIELDS: readonly string[] = ['m', 'meta', 'p', 'props'];
/** The site's domain as configured in Plausible (a comma-separated list is allowed); kept by rules/plausible.yaml. */
const DOMAIN = /^[A-Za-z0-9.-]{1,253}(?:,[A-Za-z0-9.-]{1,253}){0,9}$/;

/** Kept by rules/plausible.yaml, so only numbers (or digit strings) and booleans may pass. */
const KEPT_NUMBERS: readonly string[] = ['v', 'sd', 'e', 'h', 'hashMode'];
const KEPT_BOOLEANS: readonly string[] = ['i', 'interactive'];

const ACCEPTED: LocalResponse = { status: 202, body: 'ok', contentType: 'text/plain' };

export type VisitorIpMode = 'pseudonymous' | 'none';

export interface PlausibleOptions {
  /** Default: PHI_PROXY_PLAUSIBLE_VISITOR_IP, else `pseudonymous`. */
  readonly visitorIp?: VisitorIpMode;
  /** Default: PHI_PROXY_PLAUSIBLE_IP_KEY, else a random key for the life of the process. */
  readonly ipKey?: Buffer;
  /** Clock for the daily rotation (tests). */
  readonly now?: () => Date;
  readonly env?: NodeJS.ProcessEnv;
}

let processKey: Buffer | undefined;

/** The key from the environment, or this process's random key. */
function ipKeyFrom(env: NodeJS.ProcessEnv): Buffer {
  const text = env.PHI_PROXY_PLAUSIBLE_IP_KEY;
  if (text === undefined || text === '') return (processKey ??= randomBytes(32));
  if (text.length < 32) throw new KeyError('PHI_PROXY_PLAUSIBLE_IP_KEY must have at least 32 characters (e.g. `openssl rand -hex 32`)');
  return /^(?:[0-9a-fA-F]{2}){32,}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'utf8');
}

function visitorIpFrom(env: NodeJS.ProcessEnv): VisitorIpMode {
  const mode = env.PHI_PROXY_PLAUSIBLE_VISITOR_IP;
  if (mode === undefined || mode === '' || mode === 'pseudonymous') return 'pseudonymous';
  if (mode === 'none') return 'none';
  throw new KeyError('PHI_PROXY_PLAUSIBLE_VISITOR_IP must be "pseudonymous" or "none"');
}

/** `::ffff:203.0.113.7` and `203.0.113.7` are one client. */
function canonicalIp(ip: string): string {
  const lower = ip.trim().toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower;
}

/**
 * The visitor's stand-in address for one UTC day: fd + 120 bits of HMAC-SHA256(key, date, IP),
 * written as eight full groups (`fd3c:09a1:…`). Undefined without a client IP.
 */
export function pseudonymousIp(key: Buffer, clientIp: string, now: Date): string | undefined {
  const ip = canonicalIp(clientIp);
  if (ip === '') return undefined;
  const day = now.toISOString().slice(0, 10);
  const mac = createHmac('sha256', key).update(`plausible-visitor\u0000${day}\u0000${ip}`).digest();
  const bytes = Buffer.concat([Buffer.from([0xfd]), mac.subarray(0, 15)]);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.subarray(i, i + 2).toString('hex'));
  return groups.join(':');
}

function decodeBody(req: IncomingRequest, limits: DecodeLimits): Record<string, unknown> {
  if (req.body.length === 0) throw new InputError('empty body');
  const { bytes } = decodeBodyBytes(req, limits, { magic: false });
  const json = parseJsonText(decodeUtf8(bytes));
  if (!isPlainObject(json)) throw new InputError('plausible event is not a JSON object');
  return json;
}

function eventBatch(req: IncomingRequest, limits: DecodeLimits, forwardedFor: string | undefined): DecodedBatch {
  const body = decodeBody(req, limits);
  const event: Record<string, unknown> = {};
  const stringProps = new Set<string>();
  for (const key of Object.keys(body)) {
    if (!FIELDS.has(key)) continue;
    let value = body[key];
    if (PROPS_FIELDS.includes(key) && typeof value === 'string') {
      // Legacy props: a JSON object in a string. Scrubbed as an object, written back as a string.
      const parsed = parseJsonText(value);
      if (!isPlainObject(parsed)) throw new InputError(`plausible ${key} is not a JSON object`);
      value = parsed;
      stringProps.add(key);
    }
    Object.defineProperty(event, key, { value, enumerable: true, writable: true, configurable: true });
  }
  for (const key of KEPT_NUMBERS) {
    const value = event[key];
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value)) && !(typeof value === 'string' && /^\d{1,12}$/.test(value))) delete event[key];
  }
  for (const key of KEPT_BOOLEANS) if (event[key] !== undefined && typeof event[key] !== 'boolean') delete event[key];
  for (const key of ['d', 'domain']) {
    const domain = event[key];
    if (domain !== undefined && !(typeof domain === 'string' && DOMAIN.test(domain.trim()))) throw new InputError(`plausible ${key} is not a domain`);
  }

  const headers: Record<string, string | undefined> = { 'content-encoding': undefined, 'content-type': 'text/plain' };
  if (forwardedFor !== undefined) headers['x-forwarded-for'] = forwardedFor;
  const encode = (kept: unknown[]): OutgoingRequest => {
    const scrubbed = kept[0];
    if (!isPlainObject(scrubbed)) throw new Error('plausible: scrubbed event is not an object');
    for (const key of stringProps) if (isPlainObject(scrubbed[key])) scrubbed[key] = JSON.stringify(scrubbed[key]);
    return { path: req.path, body: Buffer.from(JSON.stringify(scrubbed), 'utf8'), headers };
  };
  return { events: [event], allOrNothing: false, envelope: undefined, encode, emptyResponse: ACCEPTED };
}

export function plausibleFormat(options: PlausibleOptions = {}): WireFormat {
  const env = options.env ?? process.env;
  const mode = options.visitorIp ?? visitorIpFrom(env);
  const key = mode === 'pseudonymous' ? options.ipKey ?? ipKeyFrom(env) : undefined;
  const now = options.now ?? (() => new Date());
  return {
    name: 'plausible',
    handle(req: IncomingRequest, limits: DecodeLimits): Handling {
      const { path, method } = req;
      if (EVENT_PATH.test(path) && method === 'POST') {
        const forwardedFor = key === undefined ? undefined : pseudonymousIp(key, req.clientIp, now());
        return { kind: 'events', batch: eventBatch(req, limits, forwardedFor) };
      }
      // Scripts carry no person data in the request; a query string is not needed to fetch them.
      if ((method === 'GET' || method === 'HEAD') && SCRIPT_PATH.test(path)) return { kind: 'passthrough', path };
      return { kind: 'unknown' };
    },
  };
}
