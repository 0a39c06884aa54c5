/**
 * Snowplow (@snowplow/browser-tracker, @snowplow/node-tracker and every tracker speaking the
 * tracker protocol; shared/wire-formats.md §8). Two event shapes:
 *
 *  - `POST /com.snowplowanalytics.snowplow/tp2`: a self-describing `payload_data` envelope
 *    `{schema, data:[event, …]}`, one flat object of strings per event;
 *  - `GET /i` (and the legacy `/ice.png`): one event as the query string; the collector answers
 *    with a 1×1 GIF, passed back unchanged.
 *
 * Inside an event, contexts and self-describing events are JSON nested in a string: `co` and
 * `ue_pr` as JSON text, `cx` and `ue_px` as base64url JSON (no padding, as the trackers emit).
 * They are decoded into objects before scrubbing, so the engine sees (and scrubs) every property
 * of every app schema, and encoded back in the flavour they came in. Anything that does not
 * decode is refused; nothing is forwarded raw.
 */
import { InputError } from '../errors';
import { decodeBase64Text, decodeUtf8, isPlainObject, parseJsonText, decodeBodyBytes, gzipForUpstream } from './codec';
import type { DecodeLimits, DecodedBatch, Handling, IncomingRequest, LocalResponse, OutgoingRequest, WireFormat } from './types';

const TP2_PATH = /^\/com\.snowplowanalytics\.snowplow\/tp2\/?$/;
const PIXEL_PATH = /^\/(?:i|ice\.png)$/;
/** The only envelope the collector accepts for tp2; anything else in a body is refused. */
const PAYLOAD_DATA_SCHEMA = /^iglu:com\.snowplowanalytics\.snowplow\/payload_data\/jsonschema\/1-0-\d{1,2}$/;

/** Fields holding JSON text, and fields holding base64 JSON (Snowplow tracker protocol). */
const JSON_FIELDS: readonly string[] = ['co', 'ue_pr'];
const BASE64_FIELDS: readonly string[] = ['cx', 'ue_px'];
const BASE64_CHARS = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * A 1×1 GIF whose bytes are all ASCII (no global colour table), so it survives the proxy's
 * string-bodied local answers byte for byte. What the SDK gets when every event was dropped.
 */
export const TRANSPARENT_GIF = 'GIF89a\x01\x00\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;';
const PIXEL_RESPONSE: LocalResponse = { status: 200, body: TRANSPARENT_GIF, contentType: 'image/gif' };
const POST_RESPONSE: LocalResponse = { status: 200, body: 'ok', contentType: 'text/plain' };

/** How the request's base64 fields were written: trackers emit base64url without padding. */
interface Base64Flavour {
  urlSafe: boolean;
  padded: boolean;
}

interface Codec {
  /** Flavour of the first base64 field seen (default: the trackers' base64url, unpadded). */
  flavour: Base64Flavour | undefined;
}

function decodeBase64Json(field: string, value: unknown, codec: Codec, limits: DecodeLimits): unknown {
  if (typeof value !== 'string' || value === '' || !BASE64_CHARS.test(value)) throw new InputError(`${field} is not base64`);
  codec.flavour ??= { urlSafe: !/[+/]/.test(value), padded: value.endsWith('=') };
  const json = parseJsonText(decodeBase64Text(value, limits.maxDecodedBytes));
  if (!isPlainObject(json)) throw new InputError(`${field} is not a self-describing JSON object`);
  return json;
}

function encodeBase64Json(value: unknown, codec: Codec): string {
  const flavour = codec.flavour ?? { urlSafe: true, padded: false };
  let text = Buffer.from(JSON.stringify(value), 'utf8').toString(flavour.urlSafe ? 'base64url' : 'base64');
  if (flavour.urlSafe && flavour.padded) text += '='.repeat((4 - (text.length % 4)) % 4);
  if (!flavour.urlSafe && !flavour.padded) text = text.replace(/=+$/, '');
  return text;
}

/** One tracker-protocol event: nested JSON and base64 JSON become objects; the rest stays. */
function decodeEvent(raw: unknown, codec: Codec, limits: DecodeLimits): Record<string, unknown> {
  if (!isPlainObject(raw)) throw new InputError('a Snowplow event is not an object');
  const event: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (JSON_FIELDS.includes(key)) {
      if (typeof value !== 'string') throw new InputError(`${key} is not JSON text`);
      const json = parseJsonText(value);
      if (!isPlainObject(json)) throw new InputError(`${key} is not a self-describing JSON object`);
      event[key] = json;
    } else if (BASE64_FIELDS.includes(key)) {
      event[key] = decodeBase64Json(key, value, codec, limits);
    } else {
      Object.defineProperty(event, key, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  return event;
}

/**
 * The scrubbed event in wire form. Nested fields go back as JSON text or base64 JSON; one the
 * rules turned into something other than an object (a whole-field redaction) is left out, since
 * the collector could not read it anyway. Every other value becomes a string, as the protocol has it.
 */
function encodeEvent(event: unknown, codec: Codec): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isPlainObject(event)) return out;
  for (const [key, value] of Object.entries(event)) {
    if (value === undefined || value === null) continue;
    let text: string;
    if (JSON_FIELDS.includes(key) || BASE64_FIELDS.includes(key)) {
      if (!isPlainObject(value)) continue;
      text = BASE64_FIELDS.includes(key) ? encodeBase64Json(value, codec) : JSON.stringify(value);
    } else {
      text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
    }
    Object.defineProperty(out, key, { value: text, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** `a=1&b=2` with encodeURIComponent, as the trackers build it (the collector reads both + and %20). */
export function serializeQuery(params: Record<string, string>): string {
  return Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

function tp2Batch(req: IncomingRequest, limits: DecodeLimits): DecodedBatch {
  if (req.body.length === 0) throw new InputError('empty body');
  const { bytes, gzip } = decodeBodyBytes(req, limits);
  const json = parseJsonText(decodeUtf8(bytes));
  if (!isPlainObject(json)) throw new InputError('tp2 body is not a payload_data object');
  const { schema, data, ...rest } = json;
  if (typeof schema !== 'string' || !PAYLOAD_DATA_SCHEMA.test(schema)) throw new InputError('tp2 body is not payload_data');
  if (!Array.isArray(data)) throw new InputError('tp2 payload_data has no data array');
  if (Object.keys(rest).length > 0) throw new InputError('tp2 payload_data has unknown envelope fields');
  const codec: Codec = { flavour: undefined };
  const events = data.map((e) => decodeEvent(e, codec, limits));
  return {
    events,
    allOrNothing: false,
    // The envelope is only the payload_data schema URI, validated above: nothing to scrub.
    envelope: undefined,
    emptyResponse: POST_RESPONSE,
    encode: (scrubbed): OutgoingRequest => {
      let body = Buffer.from(JSON.stringify({ schema, data: scrubbed.map((e) => encodeEvent(e, codec)) }), 'utf8');
      if (gzip !== 'none') body = gzipForUpstream(body);
      const headers: Record<string, string | undefined> = {};
      if (gzip !== 'content-encoding') headers['content-encoding'] = undefined;
      // The query carries nothing a collector needs on tp2; none is forwarded.
      return { path: req.path, body, headers };
    },
  };
}

/** The query as one event; a repeated key keeps its last value (at its first position). */
function pixelBatch(req: IncomingRequest, limits: DecodeLimits): DecodedBatch {
  const raw: Record<string, string> = {};
  for (const [key, value] of req.query) Object.defineProperty(raw, key, { value, enumerable: true, writable: true, configurable: true });
  if (Object.keys(raw).length === 0) throw new InputError('pixel request without tracker parameters');
  const codec: Codec = { flavour: undefined };
  const event = decodeEvent(raw, codec, limits);
  return {
    events: [event],
    allOrNothing: false,
    envelope: undefined,
    emptyResponse: PIXEL_RESPONSE,
    encode: (scrubbed): OutgoingRequest => {
      const query = serializeQuery(encodeEvent(scrubbed[0], codec));
      return { path: query === '' ? req.path : `${req.path}?${query}`, body: undefined, headers: {} };
    },
  };
}

export function snowplowFormat(): WireFormat {
  return {
    name: 'snowplow',
    handle(req: IncomingRequest, limits: DecodeLimits): Handling {
      if (TP2_PATH.test(req.path) && req.method === 'POST') return { kind: 'events', batch: tp2Batch(req, limits) };
      if (PIXEL_PATH.test(req.path) && req.method === 'GET') return { kind: 'events', batch: pixelBatch(req, limits) };
      return { kind: 'unknown' };
    },
  };
}
