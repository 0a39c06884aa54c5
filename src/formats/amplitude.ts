/**
 * Amplitude: @amplitude/analytics-browser and -node (HTTP V2 `/2/httpapi` and `/batch`), and the
 * legacy amplitude-js 8 form (`POST /` with `client=&e=<JSON>&v=2&upload_time=&checksum=`); see
 * shared/wire-formats.md §5. JSON bodies may be gzipped (Content-Encoding, when the browser SDK
 * compresses); beacons send the same JSON as text/plain. Decoding goes Content-Encoding → gzip
 * magic → first character (`{` is V2 JSON, anything else on `/` is the legacy form).
 *
 * Amplitude's answers refer to the SDK's own batch: event indices (`throttled_events`,
 * `events_with_invalid_fields`) and maps keyed by user and device id (`exceeded_daily_quota_users`,
 * `throttled_devices`, …). So a V2 batch is one unit (an event that cannot be scrubbed refuses the
 * whole batch: indices never shift), and the ids in those answers, which are the surrogates the
 * proxy sent, are mapped back to the ids the SDK sent, from this request's own pairs. The legacy
 * form's `checksum` (md5 of "2" + api key + e + upload_time) is recomputed over the scrubbed `e`.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../errors';
import { decodeUtf8, firstChar, isPlainObject, parseJsonText, decodeBodyBytes, gzipForUpstream } from './codec';
import type { DecodeLimits, DecodedBatch, Handling, IncomingRequest, LocalResponse, OutgoingRequest, ResponseRewriter, WireFormat } from './types';

const V2_PATHS = /^\/(?:2\/httpapi|batch)\/?$/;
const LEGACY_PATHS = /^\/$/;

/** Legacy form fields, each with the only shape it may have; others are dropped. */
const LEGACY_FIELDS: ReadonlyMap<string, RegExp> = new Map([
  ['client', /^[A-Za-z0-9_-]{1,64}$/],
  ['v', /^\d{1,2}$/],
  ['upload_time', /^\d{1,16}$/],
  ['checksum', /^[0-9a-f]{32}$/i],
]);

const LEGACY_OK: LocalResponse = { status: 200, body: 'success', contentType: 'text/plain' };

function v2Ok(): LocalResponse {
  return {
    status: 200,
    body: JSON.stringify({ code: 200, events_ingested: 0, payload_size_bytes: 0, server_upload_time: Date.now() }),
    contentType: 'application/json',
  };
}

type Gzip = 'content-encoding' | 'magic' | 'none';

function bodyText(req: IncomingRequest, limits: DecodeLimits): { text: string; gzip: Gzip } {
  if (req.body.length === 0) throw new InputError('empty body');
  const { bytes, gzip } = decodeBodyBytes(req, limits);
  return { text: decodeUtf8(bytes), gzip };
}

function eventsOf(value: unknown, what: string): Record<string, unknown>[] {
  if (!Array.isArray(value)) throw new InputError(`${what} is not an array of events`);
  for (const event of value) if (!isPlainObject(event)) throw new InputError(`${what} is not an array of events`);
  return value as Record<string, unknown>[];
}

// ---------------------------------------------------------------------------------------------
// Ids in responses

/** The id fields Amplitude's answers name, and where: map keys or array items. */
const USER_MAPS = ['exceeded_daily_quota_users', 'throttled_users'] as const;
const DEVICE_MAPS = ['exceeded_daily_quota_devices', 'throttled_devices'] as const;
const DEVICE_LISTS = ['silenced_devices'] as const;

interface OriginalIds {
  user_id: unknown;
  device_id: unknown;
}

/** surrogate → original, for user ids and device ids, from one request's events before and after. */
function idMaps(originals: readonly OriginalIds[], scrubbed: readonly unknown[]): { users: Map<string, string>; devices: Map<string, string> } {
  const users = new Map<string, string>();
  const devices = new Map<string, string>();
  if (originals.length !== scrubbed.length) return { users, devices };
  scrubbed.forEach((event, i) => {
    if (!isPlainObject(event)) return;
    const pair = (sent: unknown, original: unknown, into: Map<string, string>) => {
      if (typeof sent === 'string' && (typeof original === 'string' || typeof original === 'number') && sent !== String(original)) {
        into.set(sent, String(original));
      }
    };
    pair(event.user_id, originals[i]!.user_id, users);
    pair(event.device_id, originals[i]!.device_id, devices);
  });
  return { users, devices };
}

/**
 * Puts the SDK's own ids back into a 400/429 answer, so analytics-core drops or delays exactly the
 * events it would have (it matches `context.event.user_id` against the map's keys).
 */
export function rewriteAmplitudeResponse(users: ReadonlyMap<string, string>, devices: ReadonlyMap<string, string>): ResponseRewriter {
  return (body) => {
    if (users.size === 0 && devices.size === 0) return body;
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return body;
    }
    if (!isPlainObject(json)) return body;
    let changed = false;
    const remapKeys = (field: string, map: ReadonlyMap<string, string>) => {
      const value = json[field];
      if (!isPlainObject(value)) return;
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value)) {
        const original = map.get(key);
        if (original !== undefined) changed = true;
        Object.defineProperty(out, original ?? key, { value: v, enumerable: true, writable: true, configurable: true });
      }
      json[field] = out;
    };
    for (const field of USER_MAPS) remapKeys(field, users);
    for (const field of DEVICE_MAPS) remapKeys(field, devices);
    for (const field of DEVICE_LISTS) {
      const value = json[field];
      if (!Array.isArray(value)) continue;
      json[field] = value.map((item) => {
        const original = typeof item === 'string' ? devices.get(item) : undefined;
        if (original === undefined) return item;
        changed = true;
        return original;
      });
    }
    return changed ? Buffer.from(JSON.stringify(json), 'utf8') : body;
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP V2

function v2Batch(req: IncomingRequest, limits: DecodeLimits): DecodedBatch {
  const { text, gzip } = bodyText(req, limits);
  if (firstChar(text) !== '{') throw new InputError('payload is not an Amplitude upload object');
  const json = parseJsonText(text);
  if (!isPlainObject(json)) throw new InputError('payload is not an Amplitude upload object');
  const events = eventsOf(json.events, 'events');
  const keyOrder = Object.keys(json);
  const { events: _events, ...envelope } = json;
  // The engine scrubs in place: the SDK's ids are copied now.
  const originals: OriginalIds[] = events.map((e) => ({ user_id: e.user_id, device_id: e.device_id }));
  return {
    events,
    // Answers refer to events by index: never drop one silently.
    allOrNothing: true,
    envelope,
    emptyResponse: v2Ok(),
    // A batch that cannot be scrubbed is never forwarded; Amplitude SDKs read `code` from the
    // body, and 400 with every event silenced makes them drop it rather than retry it forever.
    refusedResponse: {
      status: 400,
      contentType: 'application/json',
      body: JSON.stringify({ code: 400, error: 'phi-proxy could not de-identify this batch', silenced_events: events.map((_, i) => i) }),
    },
    encode: (scrubbed, env): OutgoingRequest => {
      const out: Record<string, unknown> = {};
      const rest = env ?? {};
      for (const key of keyOrder) {
        if (key === 'events') out.events = scrubbed;
        else if (Object.prototype.hasOwnProperty.call(rest, key)) out[key] = rest[key];
      }
      let body = Buffer.from(JSON.stringify(out), 'utf8');
      const headers: Record<string, string | undefined> = {};
      if (gzip === 'content-encoding') body = gzipForUpstream(body);
      else headers['content-encoding'] = undefined;
      const { users, devices } = idMaps(originals, scrubbed);
      const rewriteResponse = users.size + devices.size > 0 ? rewriteAmplitudeResponse(users, devices) : undefined;
      return { path: req.path, body, headers, rewriteResponse };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Legacy amplitude-js `e=` form

/** amplitude-js 8: md5 over "2" + api key + e + upload_time (UTF-8), hex. */
export function legacyChecksum(version: string, apiKey: string, e: string, uploadTime: string): string {
  return createHash('md5').update(version + apiKey + e + uploadTime, 'utf8').digest('hex');
}

function legacyBatch(req: IncomingRequest, limits: DecodeLimits): DecodedBatch {
  const { text, gzip } = bodyText(req, limits);
  const c = firstChar(text);
  if (c === '{' || c === '[') throw new InputError('legacy upload is not a form');
  const form = new URLSearchParams(text);
  const e = form.getAll('e');
  if (e.length !== 1) throw new InputError('legacy upload without exactly one e field');
  const events = eventsOf(parseJsonText(e[0]!), 'e');
  const kept: [string, string][] = [];
  for (const [key, value] of form) {
    if (key === 'e') kept.push([key, value]);
    else if (LEGACY_FIELDS.get(key)?.test(value) && !kept.some(([k]) => k === key)) kept.push([key, value]);
  }
  const field = (key: string) => kept.find(([k]) => k === key)?.[1];
  if (field('client') === undefined) throw new InputError('legacy upload without a valid client (api key)');
  const hasChecksum = field('checksum') !== undefined;
  if (hasChecksum && (field('upload_time') === undefined || field('v') === undefined)) {
    throw new InputError('legacy upload with a checksum but no valid v or upload_time');
  }
  return {
    events,
    // No indices in legacy answers ("success"): an event that cannot be scrubbed is dropped alone.
    allOrNothing: false,
    envelope: undefined,
    emptyResponse: LEGACY_OK,
    encode: (scrubbed): OutgoingRequest => {
      const newE = JSON.stringify(scrubbed);
      const out = new URLSearchParams();
      for (const [key, value] of kept) {
        if (key === 'e') out.append('e', newE);
        else if (key === 'checksum') out.append('checksum', legacyChecksum(field('v')!, field('client')!, newE, field('upload_time')!));
        else out.append(key, value);
      }
      let body = Buffer.from(out.toString(), 'utf8');
      const headers: Record<string, string | undefined> = {};
      if (gzip === 'content-encoding') body = gzipForUpstream(body);
      else headers['content-encoding'] = undefined;
      return { path: req.path, body, headers };
    },
  };
}

export function amplitudeFormat(): WireFormat {
  return {
    name: 'amplitude',
    handle(req: IncomingRequest, limits: DecodeLimits): Handling {
      if (req.method !== 'POST') return { kind: 'unknown' };
      if (V2_PATHS.test(req.path)) return { kind: 'events', batch: v2Batch(req, limits) };
      if (LEGACY_PATHS.test(req.path)) return { kind: 'events', batch: legacyBatch(req, limits) };
      return { kind: 'unknown' };
    },
  };
}
