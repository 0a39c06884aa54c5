/**
 * Google Analytics 4 (see shared/wire-formats.md §6): gtag.js hits on `/g/collect` and the
 * Measurement Protocol on `/mp/collect` (and its validation twin `/debug/mp/collect`).
 *
 * `/g/collect` puts the parameters shared by every event of a hit in the query string and, when
 * the hit carries several events, one line per event in the body (`\r\n`-separated, each line a
 * query string whose parameters override the query's). Each event handed to the engine is the
 * query merged with its line, so the engine sees the page URL, the ids and the custom parameters
 * together. Custom parameters are grouped (`ep.email` → `{ep: {email}}`, likewise `epn`, `up`,
 * `upn`) so property-name rules match them. The scrubbed events are split again into the same
 * shared query and per-event lines, parameters in their original order; a shared parameter whose
 * scrubbed value differs between events (or that an event lost) moves into those events' lines,
 * which GA reads the same way.
 *
 * Fail closed: IP overrides (`_uip`, `uip`, `ip_override`) and hashed user-provided data
 * (`user_data`: hashes of e-mails and phone numbers are derivable from the identifier) never
 * leave; parameters the rule pack keeps as metadata must have their documented shape or are
 * dropped; anything that does not decode is refused.
 *
 * gtag.js is not on npm and could not be run here: the shapes come from d8a's GA4 collector,
 * Google's Measurement Protocol reference and recorded hits (see the tests).
 */
import { createHash } from 'node:crypto';
import { InputError } from '../errors';
import { decodeUtf8, isPlainObject, parseJsonText, decodeBodyBytes } from './codec';
import type { DecodeLimits, DecodedBatch, Handling, IncomingRequest, LocalResponse, OutgoingRequest, WireFormat } from './types';

const COLLECT_PATH = /^\/g\/collect\/?$/;
const MP_PATH = /^\/(debug\/)?mp\/collect\/?$/;

/** Parameter prefixes of custom event and user parameters: `ep.<name>` becomes `{ep: {<name>: …}}`. */
const GROUPS: ReadonlySet<string> = new Set(['ep', 'epn', 'up', 'upn']);
/** IP overrides: the client's address must never reach Google, in any spelling. */
const IP_OVERRIDES: ReadonlySet<string> = new Set(['_uip', 'uip']);

/**
 * gtag metadata that rules/ga4.yaml keeps (exempts from detectors, so a timestamp is never read
 * as a phone number). `keep` would let anything through, so each value must have its shape here
 * or the parameter is dropped: keep this list and the `ga4-keep-hit-metadata` rule in step.
 */
export const GA4_KEPT_PARAMS: ReadonlyMap<string, RegExp> = new Map([
  ['v', /^\d{1,2}$/],
  ['tid', /^[A-Z]{1,3}-[A-Z0-9]{4,20}$/],
  ['gtm', /^[A-Za-z0-9]{1,64}$/],
  ['_p', /^\d{1,16}$/],
  ['_s', /^\d{1,6}$/],
  ['sid', /^\d{1,16}$/],
  ['sct', /^\d{1,6}$/],
  ['seg', /^[01]$/],
  ['_et', /^\d{1,10}$/],
  ['tfd', /^\d{1,10}$/],
  ['gcs', /^G[0-9-]{1,4}$/],
  ['gcd', /^[0-9A-Za-z]{1,40}$/],
  ['gcu', /^\d{1,3}$/],
  ['gcut', /^\d{1,3}$/],
  ['npa', /^[01]$/],
  ['dma', /^[01]$/],
  ['ul', /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}$/],
  ['sr', /^\d{1,5}x\d{1,5}$/],
  ['_fv', /^\d{1,2}$/],
  ['_ss', /^\d{1,2}$/],
  ['_nsi', /^\d{1,2}$/],
  ['_ee', /^\d{1,2}$/],
  ['_c', /^\d{1,2}$/],
  ['_dbg', /^\d{1,2}$/],
]);

/** Measurement Protocol query keys that may reach Google, each with its only allowed shape. */
const MP_QUERY: ReadonlyMap<string, RegExp> = new Map([
  ['measurement_id', /^G-[A-Z0-9]{4,20}$/],
  ['api_secret', /^[A-Za-z0-9_-]{8,64}$/],
  ['firebase_app_id', /^\d{1,3}:\d{1,20}:(?:android|ios|web):[0-9a-f]{1,40}$/],
]);
/** Envelope fields of an MP request that never leave (see the module comment). */
const MP_DROPPED: readonly string[] = ['user_data', 'ip_override'];
/** Kept by rules/ga4.yaml (operational times); any other shape is dropped. */
const MP_TIMESTAMP = /^\d{1,17}$/;
const MP_SESSION_ID = /^\d{1,20}$/;

const NO_CONTENT: LocalResponse = { status: 204, body: '', contentType: 'text/plain' };
const DEBUG_EMPTY: LocalResponse = { status: 200, body: '{"validationMessages":[]}', contentType: 'application/json' };

const hasOwn = Object.prototype.hasOwnProperty;

/** Sets an own property (never the `__proto__` setter, whatever the parameter is called). */
function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

// -------------------------------------------------------------------------------------------
// Client ids: GA expects `<random>.<first-visit seconds>`; surrogates keep that shape.

const CLIENT_ID = /^\d{1,20}\.\d{1,20}$/;

/**
 * A client id after scrubbing: unchanged if it still has GA's `digits.digits` shape (the rule
 * pack kept it), else the surrogate (or marker) the engine wrote, mapped to that shape by a hash.
 * The hash runs over the surrogate, never over the identifier, so the result is as random as the
 * surrogate itself, and the same surrogate always gives the same client id.
 */
export function clientIdShape(scrubbed: string): string {
  if (CLIENT_ID.test(scrubbed)) return scrubbed;
  const h = createHash('sha256').update('ga4-client-id\u0000').update(scrubbed).digest();
  const random = 100_000_000 + (h.readUInt32BE(0) % 900_000_000); // 9 digits, like gtag's
  const seconds = 1_000_000_000 + (h.readUInt32BE(4) % 900_000_000); // 10 digits, a past time
  return `${random}.${seconds}`;
}

// -------------------------------------------------------------------------------------------
// /g/collect

type Origin = 'query' | 'line';

interface HitEventMeta {
  /** Parameter names, in order, that came from this event's body line. */
  readonly lineNames: readonly string[];
  /** Parameters from the shared query that this event's line did not override. */
  readonly queryNames: ReadonlySet<string>;
  readonly hasLine: boolean;
}

/** The scrubbed events are the decoded objects themselves (the engine scrubs in place). */
const hitMeta = new WeakMap<object, HitEventMeta>();

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw new InputError('ga4 hit line is not valid URL encoding');
  }
}

/** A body line `en=scroll&ep.x=1`: strict percent-decoding (malformed escapes are refused). */
function parseLine(line: string): [string, string][] {
  const params: [string, string][] = [];
  for (const part of line.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    params.push(eq < 0 ? [decodeComponent(part), ''] : [decodeComponent(part.slice(0, eq)), decodeComponent(part.slice(eq + 1))]);
  }
  return params;
}

/** Drops IP overrides and kept parameters without their shape; refuses names that clash with a group. */
function admissible(name: string, value: string): boolean {
  if (GROUPS.has(name)) throw new InputError(`ga4 parameter name ${name} is reserved`);
  if (IP_OVERRIDES.has(name)) return false;
  const shape = GA4_KEPT_PARAMS.get(name);
  return shape === undefined || shape.test(value);
}

function groupOf(name: string): [string, string] | undefined {
  const dot = name.indexOf('.');
  if (dot < 0) return undefined;
  const prefix = name.slice(0, dot);
  return GROUPS.has(prefix) ? [prefix, name.slice(dot + 1)] : undefined;
}

/** `{ep.x: 1, dl: …}` → `{ep: {x: 1}, dl: …}`. */
function toEvent(params: ReadonlyMap<string, string>): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  for (const [name, value] of params) {
    const group = groupOf(name);
    if (group === undefined) {
      setOwn(event, name, value);
      continue;
    }
    let bag = event[group[0]] as Record<string, unknown> | undefined;
    if (bag === undefined) setOwn(event, group[0], (bag = {}));
    setOwn(bag, group[1], value);
  }
  return event;
}

/** A scrubbed parameter's value by its wire name, or undefined when the engine removed it. */
function valueOf(event: Record<string, unknown>, name: string): string | undefined {
  const group = groupOf(name);
  let holder: unknown = event;
  let key = name;
  if (group !== undefined) {
    holder = hasOwn.call(event, group[0]) ? event[group[0]] : undefined;
    key = group[1];
  }
  if (!isPlainObject(holder) || !hasOwn.call(holder, key)) return undefined;
  const value = holder[key];
  if (typeof value === 'string') return name === 'cid' ? clientIdShape(value) : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined; // anything else cannot be a query-string value
}

/** Every wire name present in a scrubbed event (names the engine rewrote included). */
function namesOf(event: Record<string, unknown>): string[] {
  const names: string[] = [];
  for (const key of Object.keys(event)) {
    const value = event[key];
    if (GROUPS.has(key)) {
      if (isPlainObject(value)) for (const inner of Object.keys(value)) names.push(`${key}.${inner}`);
      continue;
    }
    names.push(key);
  }
  return names;
}

function encodePairs(pairs: readonly [string, string][]): string {
  return pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

function collectBatch(req: IncomingRequest, limits: DecodeLimits): DecodedBatch {
  // The shared parameters, in order; a repeated name keeps its first position and last value.
  const shared = new Map<string, string>();
  for (const [name, value] of req.query) {
    if (admissible(name, value)) shared.set(name, value);
    else shared.delete(name);
  }

  let lines: string[] = [];
  let separator = '\r\n';
  let trailing = false;
  if (req.method === 'POST' && req.body.length > 0) {
    const text = decodeUtf8(decodeBody(req, limits));
    separator = text.includes('\r\n') ? '\r\n' : '\n';
    trailing = text.endsWith('\n');
    lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  }

  const events: Record<string, unknown>[] = [];
  if (lines.length === 0) {
    const event = toEvent(shared);
    hitMeta.set(event, { lineNames: [], queryNames: new Set(shared.keys()), hasLine: false });
    events.push(event);
  }
  for (const line of lines) {
    const own = new Map<string, string>();
    for (const [name, value] of parseLine(line)) {
      if (admissible(name, value)) own.set(name, value);
      else own.delete(name);
    }
    const merged = new Map(shared);
    for (const [name, value] of own) merged.set(name, value);
    const event = toEvent(merged);
    hitMeta.set(event, { lineNames: [...own.keys()], queryNames: new Set([...shared.keys()].filter((n) => !own.has(n))), hasLine: true });
    events.push(event);
  }

  const encode = (kept: unknown[]): OutgoingRequest => {
    const metas = kept.map((event) => {
      const meta = isPlainObject(event) ? hitMeta.get(event) : undefined;
      // The engine scrubs in place; anything else is a bug and nothing may be forwarded.
      if (meta === undefined) throw new Error('ga4: scrubbed event is not a decoded hit event');
      return { event: event as Record<string, unknown>, meta, extra: [] as [string, string][] };
    });

    // Shared parameters stay shared when every event that reads them agrees on the scrubbed value.
    const query: [string, string][] = [];
    for (const name of shared.keys()) {
      const readers = metas.filter((m) => m.meta.queryNames.has(name));
      if (readers.length === 0) continue;
      const values = readers.map((m) => valueOf(m.event, name));
      const first = values[0];
      if (first !== undefined && values.every((v) => v === first)) {
        query.push([name, first]);
        continue;
      }
      readers.forEach((m, i) => {
        if (values[i] !== undefined) m.extra.push([name, values[i]!]);
      });
    }

    const bodyLines: string[] = [];
    for (const m of metas) {
      const known = new Set([...m.meta.lineNames, ...m.meta.queryNames]);
      const pairs: [string, string][] = [];
      for (const name of m.meta.lineNames) {
        const value = valueOf(m.event, name);
        if (value !== undefined) pairs.push([name, value]);
      }
      pairs.push(...m.extra);
      // Parameters whose names the engine rewrote (an identifier in a parameter name).
      const renamed = namesOf(m.event).filter((n) => !known.has(n) && !IP_OVERRIDES.has(n));
      const renamedPairs = renamed.map((n): [string, string] | undefined => {
        const value = valueOf(m.event, n);
        return value === undefined ? undefined : [n, value];
      }).filter((p): p is [string, string] => p !== undefined);
      if (m.meta.hasLine) {
        pairs.push(...renamedPairs);
        bodyLines.push(encodePairs(pairs));
      } else {
        query.push(...renamedPairs);
      }
    }

    const queryText = encodePairs(query);
    const path = queryText === '' ? req.path : `${req.path}?${queryText}`;
    const headers: Record<string, string | undefined> = { 'content-encoding': undefined };
    if (req.method !== 'POST') return { path, body: undefined, headers };
    const bodyText = bodyLines.length === 0 ? '' : bodyLines.join(separator) + (trailing ? separator : '');
    return { path, body: Buffer.from(bodyText, 'utf8'), headers };
  };

  return { events, allOrNothing: false, envelope: undefined, encode, emptyResponse: NO_CONTENT };
}

function decodeBody(req: IncomingRequest, limits: DecodeLimits): Buffer {
  const { bytes } = decodeBodyBytes(req, limits, { magic: false });
  return bytes;
}

// -------------------------------------------------------------------------------------------
// Measurement Protocol

function mpQuery(query: URLSearchParams): string {
  const kept = new URLSearchParams();
  for (const [key, value] of query) if (MP_QUERY.get(key)?.test(value)) kept.append(key, value);
  const text = kept.toString();
  return text === '' ? '' : `?${text}`;
}

/** Kept operational values must be digits, as a string or a safe integer; anything else goes. */
function enforceDigits(holder: Record<string, unknown>, key: string, shape: RegExp): void {
  if (!hasOwn.call(holder, key)) return;
  const value = holder[key];
  const ok = (typeof value === 'string' && shape.test(value)) || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0);
  if (!ok) delete holder[key];
}

function mpBatch(req: IncomingRequest, limits: DecodeLimits, debug: boolean): DecodedBatch {
  if (req.body.length === 0) throw new InputError('empty body');
  const json = parseJsonText(decodeUtf8(decodeBody(req, limits)));
  if (!isPlainObject(json) || !Array.isArray(json.events)) throw new InputError('measurement protocol payload has no events array');
  const order = Object.keys(json);
  const { events, ...rest } = json;
  for (const event of events) {
    if (!isPlainObject(event)) throw new InputError('measurement protocol event is not an object');
    enforceDigits(event, 'timestamp_micros', MP_TIMESTAMP);
    if (isPlainObject(event.params)) enforceDigits(event.params, 'session_id', MP_SESSION_ID);
  }
  const envelope: Record<string, unknown> = {};
  for (const key of Object.keys(rest)) if (!MP_DROPPED.includes(key)) setOwn(envelope, key, rest[key]);
  enforceDigits(envelope, 'timestamp_micros', MP_TIMESTAMP);

  const encode = (kept: unknown[], env: Record<string, unknown> | undefined): OutgoingRequest => {
    const scrubbed = env ?? {};
    if (typeof scrubbed.client_id === 'string') scrubbed.client_id = clientIdShape(scrubbed.client_id);
    const out: Record<string, unknown> = {};
    for (const key of order) {
      if (key === 'events') setOwn(out, key, kept);
      else if (hasOwn.call(scrubbed, key)) setOwn(out, key, scrubbed[key]);
    }
    for (const key of Object.keys(scrubbed)) if (!hasOwn.call(out, key)) setOwn(out, key, scrubbed[key]);
    return {
      path: req.path + mpQuery(req.query),
      body: Buffer.from(JSON.stringify(out), 'utf8'),
      headers: { 'content-encoding': undefined, 'content-type': 'application/json' },
    };
  };
  return { events, allOrNothing: false, envelope, encode, emptyResponse: debug ? DEBUG_EMPTY : NO_CONTENT };
}

export function ga4Format(): WireFormat {
  return {
    name: 'ga4',
    handle(req: IncomingRequest, limits: DecodeLimits): Handling {
      const { path, method } = req;
      if (COLLECT_PATH.test(path) && (method === 'POST' || method === 'GET')) return { kind: 'events', batch: collectBatch(req, limits) };
      const mp = MP_PATH.exec(path);
      if (mp && method === 'POST') return { kind: 'events', batch: mpBatch(req, limits, mp[1] !== undefined) };
      return { kind: 'unknown' };
    },
  };
}
