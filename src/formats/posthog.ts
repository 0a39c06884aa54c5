/**
 * PostHog (posthog-js, posthog-node, older builds): every event path, body shape and encoding
 * the SDKs send (see shared/wire-formats.md §1). Decoding follows PostHog's own capture service:
 * Content-Encoding, then gzip magic bytes (posthog-js sends raw gzip as text/plain), then the
 * `compression` hint, then form `data=` or GET `?data=` wrappers, then plain JSON. The scrubbed
 * batch goes back in the encoding it came in, except lz64, which becomes plain JSON (PostHog
 * accepts both) with the stale `compression` parameter removed.
 */
import { InputError } from '../errors';
import {
  decodeBase64Text, decodeUtf8, decompressLz64, encodeBase64Text, firstChar, gunzipLimited, isPlainObject, parseJsonText, decodeBodyBytes, type GzipSignal, gzipForUpstream } from './codec';
import type { DecodeLimits, DecodedBatch, Handling, IncomingRequest, LocalResponse, OutgoingRequest, WireFormat } from './types';

const EVENT_PATHS = /^\/(?:e|i\/v0\/e|batch|capture|track|engage|i\/v0\/ai\/batch|i\/v1\/analytics\/events)\/?$/;
const FLAGS_PATHS = /^\/(?:decide|flags)\/?$/;
const RECORDING_PATHS = /^\/s\/?$/;
/** Read-only endpoints whose requests carry no person data: forwarded untouched (GET/HEAD only). */
const PASSTHROUGH_PATHS = [
  /^\/array\/[A-Za-z0-9_-]+\/(?:config(?:\.js)?|array\.js)$/,
  /^\/static\/[A-Za-z0-9._/-]+$/,
  /^\/flags\/definitions\/?$/,
  /^\/api\/feature_flag\/local_evaluation\/?$/,
  /^\/api\/(?:surveys|web_experiments|early_access_features)\/?$/,
  /^\/api\/projects\/@current\/feature_flags\/[A-Za-z0-9_-]+\/remote_config\/?$/,
];
/**
 * Query keys that may reach PostHog, each with the only shape its value may have: cache busters,
 * versions, the compression hint, the project token. Any other key, and any value of another
 * shape (an app appending `?ver=<email>`), is dropped; `ip=1` too, since client IPs never go.
 */
const ALLOWED_QUERY: ReadonlyMap<string, RegExp> = new Map([
  ['v', /^\d{1,3}$/],
  ['ver', /^\d{1,4}(?:\.\d{1,4}){0,3}(?:-[A-Za-z0-9.]{1,20})?$/],
  ['_', /^\d{1,16}$/],
  ['compression', /^(?:gzip-js|gzip|base64|lz64)$/],
  ['retry_count', /^\d{1,3}$/],
  ['beacon', /^[01]$/],
  ['config', /^(?:true|false|0|1)$/],
  ['send_cohorts', /^(?:|true|false|0|1)$/],
  ['token', /^ph[a-z]_[A-Za-z0-9_-]{4,100}$/],
  ['api_key', /^ph[a-z]_[A-Za-z0-9_-]{4,100}$/],
]);

const OK: LocalResponse = { status: 200, body: '{"status":1}', contentType: 'application/json' };

type Wrapper = 'raw' | 'form' | 'get';
type Inner = 'json' | 'base64' | 'lz64';

interface Encoding {
  gzip: GzipSignal;
  wrapper: Wrapper;
  inner: Inner;
}

function filteredQuery(query: URLSearchParams, drop: readonly string[] = []): string {
  const kept = new URLSearchParams();
  for (const [key, value] of query) {
    if (ALLOWED_QUERY.get(key)?.test(value) && !drop.includes(key)) kept.append(key, value);
  }
  const text = kept.toString();
  return text === '' ? '' : `?${text}`;
}

/** `data` field content: JSON, base64 JSON or lz64, as the compression hint and first char say. */
function decodeDataField(data: string, compression: string | null, limits: DecodeLimits): { text: string; inner: Inner } {
  if (compression === 'lz64') return { text: decompressLz64(data, limits.maxDecodedBytes), inner: 'lz64' };
  const c = firstChar(data);
  if (c === '{' || c === '[') return { text: data, inner: 'json' };
  return { text: decodeBase64Text(data, limits.maxDecodedBytes), inner: 'base64' };
}

function decodePayload(req: IncomingRequest, limits: DecodeLimits): { json: unknown; encoding: Encoding; compression: string | null } {
  let compression = req.query.get('compression');
  if (req.method === 'GET' || req.method === 'HEAD') {
    const data = req.query.get('data');
    if (data === null) throw new InputError('GET request without a data parameter');
    const { text, inner } = decodeDataField(data, compression, limits);
    return { json: parseJsonText(text), encoding: { gzip: 'none', wrapper: 'get', inner }, compression };
  }
  if (req.body.length === 0) throw new InputError('empty body');

  let { bytes, gzip } = decodeBodyBytes(req, limits);
  // Older posthog-js says gzip in the query (`compression=gzip-js`) rather than by header.
  if (gzip === 'none' && (compression === 'gzip-js' || compression === 'gzip')) {
    bytes = gunzipLimited(bytes, limits.maxDecodedBytes);
    gzip = 'magic';
  }
  const text = decodeUtf8(bytes);

  const contentType = String(req.headers['content-type'] ?? '').toLowerCase();
  if (text.startsWith('data=') || (contentType.startsWith('application/x-www-form-urlencoded') && !['{', '['].includes(firstChar(text)))) {
    const form = new URLSearchParams(text);
    const data = form.get('data');
    if (data === null) throw new InputError('form body without a data field');
    compression = form.get('compression') ?? compression;
    const decoded = decodeDataField(data, compression, limits);
    return { json: parseJsonText(decoded.text), encoding: { gzip, wrapper: 'form', inner: decoded.inner }, compression };
  }
  if (gzip === 'none' && compression === 'lz64') {
    return { json: parseJsonText(decompressLz64(text, limits.maxDecodedBytes)), encoding: { gzip, wrapper: 'raw', inner: 'lz64' }, compression };
  }
  if (gzip === 'none' && compression === 'base64') {
    return { json: parseJsonText(decodeBase64Text(text, limits.maxDecodedBytes)), encoding: { gzip, wrapper: 'raw', inner: 'base64' }, compression };
  }
  return { json: parseJsonText(text), encoding: { gzip, wrapper: 'raw', inner: 'json' }, compression };
}

/** Writes the scrubbed JSON back in the request's own encoding. */
function encodePayload(req: IncomingRequest, json: unknown, encoding: Encoding): OutgoingRequest {
  const text = JSON.stringify(json);
  // lz64 is re-encoded as plain JSON: PostHog accepts it, and the compression hint goes.
  const inner: Inner = encoding.inner === 'lz64' ? 'json' : encoding.inner;
  const dropHint = encoding.inner === 'lz64' ? ['compression', 'data'] : ['data'];
  const headers: Record<string, string | undefined> = {};

  if (encoding.wrapper === 'get') {
    const query = new URLSearchParams(filteredQuery(req.query, dropHint).slice(1));
    query.set('data', inner === 'base64' ? encodeBase64Text(text) : text);
    return { path: `${req.path}?${query.toString()}`, body: undefined, headers };
  }

  let payload: string;
  if (encoding.wrapper === 'form' && encoding.inner !== 'lz64') {
    const form = new URLSearchParams();
    form.set('data', inner === 'base64' ? encodeBase64Text(text) : text);
    if (encoding.inner === 'base64') form.set('compression', 'base64');
    payload = form.toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else {
    payload = inner === 'base64' ? encodeBase64Text(text) : text;
    if (encoding.inner === 'lz64') headers['content-type'] = 'application/json';
  }
  let body = Buffer.from(payload, 'utf8');
  if (encoding.gzip !== 'none') body = gzipForUpstream(body);
  if (encoding.gzip !== 'content-encoding') headers['content-encoding'] = undefined;
  return { path: req.path + filteredQuery(req.query, dropHint), body, headers };
}

function eventBatch(req: IncomingRequest, limits: DecodeLimits): DecodedBatch {
  const { json, encoding } = decodePayload(req, limits);
  if (Array.isArray(json)) {
    return {
      events: json, allOrNothing: false, envelope: undefined, emptyResponse: OK,
      encode: (events) => encodePayload(req, events, encoding),
    };
  }
  if (!isPlainObject(json)) throw new InputError('payload is not an event, an array of events or a batch');
  if (Array.isArray(json.batch)) {
    const { batch, ...envelope } = json;
    return {
      events: batch, allOrNothing: false, envelope, emptyResponse: OK,
      encode: (events, env) => encodePayload(req, { ...env, batch: events }, encoding),
    };
  }
  return {
    events: [json], allOrNothing: false, envelope: undefined, emptyResponse: OK,
    encode: (events) => encodePayload(req, events.length === 1 ? events[0] : events, encoding),
  };
}

function flagsRequest(req: IncomingRequest, limits: DecodeLimits): DecodedBatch {
  const { json, encoding } = decodePayload(req, limits);
  if (!isPlainObject(json)) throw new InputError('flags payload is not an object');
  return {
    // One unit: a flags request with a person property left unscrubbed must not go out.
    events: [json], allOrNothing: true, readsAnswer: true, envelope: undefined,
    emptyResponse: { status: 422, body: '{"error":"flags request could not be scrubbed"}', contentType: 'application/json' },
    encode: (events) => encodePayload(req, events[0], encoding),
  };
}

export interface PosthogOptions {
  /** Session recordings carry rendered page text; without replay scrubbing they never leave. */
  readonly forwardRecordings: false;
}

export function posthogFormat(_options: PosthogOptions = { forwardRecordings: false }): WireFormat {
  return {
    name: 'posthog',
    handle(req: IncomingRequest, limits: DecodeLimits): Handling {
      const { path, method } = req;
      if (EVENT_PATHS.test(path) && (method === 'POST' || method === 'GET')) return { kind: 'events', batch: eventBatch(req, limits) };
      if (FLAGS_PATHS.test(path) && method === 'POST') return { kind: 'events', batch: flagsRequest(req, limits) };
      if (RECORDING_PATHS.test(path)) return { kind: 'respond', response: OK, reason: 'session recordings are not forwarded' };
      if ((method === 'GET' || method === 'HEAD') && PASSTHROUGH_PATHS.some((re) => re.test(path))) {
        return { kind: 'passthrough', path: path + filteredQuery(req.query) };
      }
      return { kind: 'unknown' };
    },
  };
}
