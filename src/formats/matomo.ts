/**
 * Matomo / Piwik (matomo.js / piwik.js, the community Node lib `matomo-tracker`, and any client
 * of the HTTP tracking API; shared/wire-formats.md §9). Every hit is one query string:
 *
 *  - `GET /matomo.php?…` (image pixel, `send_image=1`; server-side libraries);
 *  - `POST /matomo.php?…` with an empty body (matomo.js' default `sendBeacon`);
 *  - `POST /matomo.php` with the parameters as a form body (XHR, long requests);
 *  - `POST /matomo.php` with a bulk JSON body `{"requests":["?idsite=1&…", …], …}`.
 *
 * Each hit becomes one event: an object of its parameters in their order. The JSON carried in
 * parameter values (`_cvar`, `cvar`, `ec_items`, `uadata`) is decoded first, so the engine scrubs
 * inside it; custom variables `{"1":["email","jane@…"]}` are read as `{name, value}` pairs so a
 * value is judged by the variable's name (an `email` variable's value is an email field). After
 * scrubbing, the hit is written back in its own shape, parameter order kept. `/piwik.php` is
 * the same endpoint under its old name; `/matomo.js` and `/piwik.js` (the tracker script the
 * Matomo server hosts) are forwarded untouched.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../errors';
import { decodeUtf8, firstChar, isPlainObject, parseJsonText } from './codec';
import type { DecodeLimits, DecodedBatch, Handling, IncomingRequest, LocalResponse, OutgoingRequest, WireFormat } from './types';

const TRACKER_PATH = /^\/(?:matomo|piwik)\.php$/;
const SCRIPT_PATH = /^\/(?:matomo|piwik)\.js$/;

/** Parameters whose values are JSON; decoded into objects before scrubbing. */
const JSON_PARAMS: readonly string[] = ['_cvar', 'cvar', 'ec_items', 'uadata'];
const CUSTOM_VARIABLE_PARAMS: readonly string[] = ['_cvar', 'cvar'];
/** Visitor ids: 16 hex characters; Matomo refuses a `cid` of any other length. */
const VISITOR_ID_PARAMS: readonly string[] = ['_id', 'cid'];
const VISITOR_ID = /^[0-9a-f]{16}$/i;
/** Surrogates issued by the token vault or the HMAC pseudonymizer (see engine/scrub.ts). */
const ISSUED_PSEUDONYM = /^(?:tok|[A-Za-z0-9]{1,16})_[A-Za-z0-9_-]{20}$/;

/** 1×1 GIF, all ASCII bytes (see snowplow.ts): what matomo.php sends for `send_image=1`. */
const TRANSPARENT_GIF = 'GIF89a\x01\x00\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;';
const GIF_RESPONSE: LocalResponse = { status: 200, body: TRANSPARENT_GIF, contentType: 'image/gif' };
const NO_CONTENT: LocalResponse = { status: 204, body: '', contentType: 'text/plain' };
const BULK_RESPONSE: LocalResponse = { status: 200, body: '{"status":"success","tracked":0,"invalid":0,"invalid_indices":[]}', contentType: 'application/json' };

type Hit = Record<string, unknown>;

function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty: a parameter called `__proto__` stays a plain property.
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Query-string text (`?` optional) → ordered parameters. A repeated parameter keeps its first
 * position and its last value, as PHP reads it. `+` is a space, as in PHP.
 */
function parseParams(text: string, into: Hit = {}): Hit {
  const query = text.startsWith('?') ? text.slice(1) : text;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      throw new InputError('tracking parameters are not valid percent-encoding');
    }
    if (key === '') continue;
    setOwn(into, key, value);
  }
  return into;
}

/** JSON-valued parameters become objects (custom variables as `{name, value}` pairs). */
function decodeHit(params: Hit): Hit {
  for (const key of JSON_PARAMS) {
    const value = params[key];
    if (typeof value !== 'string' || value === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      continue; // not JSON: Matomo ignores it; the engine scans it as text
    }
    if (json === null || typeof json !== 'object') continue;
    if (CUSTOM_VARIABLE_PARAMS.includes(key) && isPlainObject(json)) {
      const pairs: Record<string, unknown> = {};
      for (const [slot, pair] of Object.entries(json)) {
        setOwn(pairs, slot, Array.isArray(pair) && pair.length === 2 ? { name: pair[0], value: pair[1] } : pair);
      }
      json = pairs;
    }
    params[key] = json;
  }
  return params;
}

/**
 * A visitor id must stay 16 hex characters. The token vault issues `tok_…` surrogates for it;
 * such a surrogate is mapped to 16 hex characters by hashing it (a function of the random
 * surrogate, never of the original id, so still not derived from the person's data). Anything
 * else that is not 16 hex characters any more (a redaction marker) is left out.
 */
function visitorIdFor(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (VISITOR_ID.test(value)) return value;
  if (ISSUED_PSEUDONYM.test(value)) return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 16);
  return undefined;
}

function paramText(key: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value !== 'object') return String(value);
  if (CUSTOM_VARIABLE_PARAMS.includes(key) && isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [slot, pair] of Object.entries(value)) {
      if (isPlainObject(pair) && Object.keys(pair).every((k) => k === 'name' || k === 'value')) {
        if (pair.name === undefined || pair.value === undefined) continue; // a part was removed: the variable goes
        setOwn(out, slot, [pair.name, pair.value]);
      } else {
        setOwn(out, slot, pair);
      }
    }
    return JSON.stringify(out);
  }
  return JSON.stringify(value);
}

/** The scrubbed hit as ordered `key=value` pairs (encodeURIComponent, as matomo.js writes them). */
function encodeHit(hit: unknown): string {
  if (!isPlainObject(hit)) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(hit)) {
    let text = paramText(key, value);
    if (VISITOR_ID_PARAMS.includes(key)) text = visitorIdFor(text);
    if (text === undefined) continue;
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(text)}`);
  }
  return parts.join('&');
}

function queryHit(req: IncomingRequest): Hit {
  const hit: Hit = {};
  for (const [key, value] of req.query) if (key !== '') setOwn(hit, key, value);
  return hit;
}

/** What matomo.php answers a single hit: a GIF unless the client asked for none. */
function singleHitResponse(hit: Hit): LocalResponse {
  return hit.send_image === '0' ? NO_CONTENT : GIF_RESPONSE;
}

/** GET pixel, or POST beacon with every parameter in the URL and an empty body. */
function queryBatch(req: IncomingRequest): DecodedBatch {
  const hit = queryHit(req);
  if (Object.keys(hit).length === 0) throw new InputError('tracking request without parameters');
  return {
    events: [decodeHit(hit)],
    allOrNothing: false,
    envelope: undefined,
    emptyResponse: singleHitResponse(hit),
    encode: (events): OutgoingRequest => {
      const query = encodeHit(events[0]);
      const path = query === '' ? req.path : `${req.path}?${query}`;
      // A beacon stays a POST with an empty body (Content-Length: 0).
      return { path, body: req.method === 'POST' ? Buffer.alloc(0) : undefined, headers: {} };
    },
  };
}

/**
 * Form POST (matomo.js XHR). Parameters in the URL too (`appendToTrackingUrl`) join the hit,
 * winning over body parameters of the same name as in Matomo (`$_GET + $_POST`); all of them go
 * back in the body, which Matomo reads the same way.
 */
function formBatch(req: IncomingRequest, text: string): DecodedBatch {
  const hit = queryHit(req);
  const body = parseParams(text.trim());
  for (const [key, value] of Object.entries(body)) if (!Object.prototype.hasOwnProperty.call(hit, key)) setOwn(hit, key, value);
  if (Object.keys(hit).length === 0) throw new InputError('tracking request without parameters');
  return {
    events: [decodeHit(hit)],
    allOrNothing: false,
    envelope: undefined,
    emptyResponse: singleHitResponse(hit),
    encode: (events): OutgoingRequest => ({ path: req.path, body: Buffer.from(encodeHit(events[0]), 'utf8'), headers: {} }),
  };
}

/** Bulk tracking: `{"requests":["?…" | {…}], "token_auth"?, "send_image"?}`. */
function bulkBatch(req: IncomingRequest, text: string): DecodedBatch {
  if ([...req.query.keys()].length > 0) throw new InputError('bulk tracking request with URL parameters');
  const json = parseJsonText(text);
  if (!isPlainObject(json) || !Array.isArray(json.requests)) throw new InputError('bulk body has no requests array');
  const { requests, ...envelope } = json;
  const shapes: ('string' | 'object')[] = [];
  const events = requests.map((entry): Hit => {
    if (typeof entry === 'string') {
      shapes.push('string');
      const q = entry.indexOf('?');
      // `?idsite=1&…`, or a whole tracker URL with its query.
      return decodeHit(parseParams(q >= 0 ? entry.slice(q + 1) : entry));
    }
    if (isPlainObject(entry)) {
      shapes.push('object');
      const hit: Hit = {};
      for (const [key, value] of Object.entries(entry)) {
        if (value !== null && typeof value === 'object') throw new InputError('bulk request parameter is not a scalar');
        setOwn(hit, key, value === null ? '' : String(value));
      }
      return decodeHit(hit);
    }
    throw new InputError('bulk request entry is neither a query string nor an object');
  });
  // Written back in the shape most entries came in (matomo.js and the Node lib: strings).
  const asObjects = shapes.length > 0 && shapes.every((s) => s === 'object');
  return {
    events,
    allOrNothing: false,
    envelope,
    emptyResponse: BULK_RESPONSE,
    encode: (scrubbed, env): OutgoingRequest => {
      const out = scrubbed.map((hit) => {
        const query = encodeHit(hit);
        return asObjects ? Object.fromEntries(new URLSearchParams(query)) : `?${query}`;
      });
      return { path: req.path, body: Buffer.from(JSON.stringify({ requests: out, ...env }), 'utf8'), headers: { 'content-encoding': undefined } };
    },
  };
}

function trackerRequest(req: IncomingRequest, limits: DecodeLimits): DecodedBatch {
  if (req.method === 'GET') return queryBatch(req);
  const contentEncoding = String(req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (contentEncoding !== '' && contentEncoding !== 'identity') throw new InputError('unsupported content-encoding (none accepted)', 415);
  if (req.body.length > limits.maxDecodedBytes) throw new InputError(`decoded body exceeds ${limits.maxDecodedBytes} bytes`, 413);
  const text = decodeUtf8(req.body);
  const first = firstChar(text);
  if (first === '') return queryBatch(req);
  if (first === '{') return bulkBatch(req, text);
  if (first === '[') throw new InputError('tracking body is a JSON array, not a bulk request');
  return formBatch(req, text);
}

export function matomoFormat(): WireFormat {
  return {
    name: 'matomo',
    handle(req: IncomingRequest, limits: DecodeLimits): Handling {
      if (TRACKER_PATH.test(req.path) && (req.method === 'GET' || req.method === 'POST')) return { kind: 'events', batch: trackerRequest(req, limits) };
      // The tracker script the Matomo server hosts: no person data in the request; no query goes.
      if (SCRIPT_PATH.test(req.path) && (req.method === 'GET' || req.method === 'HEAD')) return { kind: 'passthrough', path: req.path };
      return { kind: 'unknown' };
    },
  };
}
