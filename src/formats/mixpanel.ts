/**
 * Mixpanel (mixpanel-browser, the `mixpanel` Node library, the HTTP ingestion API): see
 * shared/wire-formats.md §4. Every payload is a `data` field, in the query (GET, JSONP fallback,
 * mixpanel-node) or in a form body (XHR, sendBeacon labelled text/plain, batches), holding
 * base64 JSON or, when the SDK is told `api_payload_format: 'json'`, raw JSON; `/import` may also
 * carry a JSON body, gzipped by Content-Encoding. Decoding goes Content-Encoding → gzip magic →
 * `data=` form → first character; the scrubbed payload goes back in the same flavour.
 *
 * Session replay (`/record/`) never leaves: it is answered here. Flags requests carry the person
 * in a `context` query parameter (or a JSON body for first-time events) and are scrubbed as one
 * unit. `ip=1` (geolocate by the request IP) always becomes `ip=0`: the vendor would only see the
 * proxy's address, and no client address ever goes.
 */
import { InputError } from '../errors';
import { decodeBase64Text, decodeUtf8, encodeBase64Text, firstChar, isPlainObject, parseJsonText, decodeBodyBytes, gzipForUpstream } from './codec';
import type { DecodeLimits, DecodedBatch, Handling, IncomingRequest, LocalResponse, OutgoingRequest, WireFormat } from './types';

const EVENT_PATHS = /^\/(?:track|engage|groups|import)\/?$/;
/** `/import` answers with record indices (`failed_records[].index`): its batches stay whole. */
const IMPORT_PATH = /^\/import\/?$/;
const RECORD_PATHS = /^\/record\/?$/;
const FLAGS_PATHS = /^\/flags\/?$/;
const FIRST_TIME_EVENT_PATHS = /^\/flags\/[A-Za-z0-9_-]{1,64}\/first-time-events\/?$/;
/** Read-only endpoints whose requests carry only the project token: forwarded (GET/HEAD only). */
const PASSTHROUGH_PATHS = [/^\/settings\/?$/, /^\/flags\/definitions\/?$/];

const VERSION = /^\d{1,4}(?:\.\d{1,4}){0,3}(?:-[A-Za-z0-9.]{1,20})?$/;
/**
 * Query keys (and form fields next to `data`) that may reach Mixpanel, each with the only shape
 * its value may have. `verbose` decides the answer's shape, so it must survive; `ip` is rewritten
 * to 0; `api_extra_query_params` an app adds, and any other key, are dropped.
 */
const ALLOWED_QUERY: ReadonlyMap<string, RegExp> = new Map([
  ['verbose', /^[01]$/],
  ['_', /^\d{1,16}$/],
  ['test', /^[01]$/],
  ['img', /^[01]$/],
  ['strict', /^[01]$/],
  // JSONP fallback (no XHR): `mixpanel._jsc[12345678]` or the no-op the SDK sends.
  ['callback', /^(?:[A-Za-z_$][\w$]{0,40}(?:\.[A-Za-z_$][\w$]{0,40}|\[\d{1,12}\]){0,4}|\(function\(\)\{\}\))$/],
  ['token', /^[A-Za-z0-9_-]{1,64}$/],
  ['api_key', /^[A-Za-z0-9_-]{1,64}$/],
  ['project_id', /^\d{1,20}$/],
  ['mp_lib', /^[a-z0-9_-]{1,20}$/],
  ['$lib_version', VERSION],
  ['sdk_config', /^[01]$/],
  ['flag_key', /^[A-Za-z0-9_.:-]{1,200}$/],
]);
/** Where the person goes in a payload: never forwarded as they came. */
const PAYLOAD_KEYS = new Set(['data', 'context', 'ip']);

const OK_TEXT: LocalResponse = { status: 200, body: '1', contentType: 'text/plain' };
const OK_VERBOSE: LocalResponse = { status: 200, body: '{"status":1,"error":null}', contentType: 'application/json' };
/** What mixpanel-browser's recorder needs to hear (it parses JSON and checks for 200). */
const RECORD_OK: LocalResponse = { status: 200, body: '{"code":200,"status":"OK"}', contentType: 'application/json' };
const FLAGS_REFUSED: LocalResponse = { status: 422, body: '{"error":"flags request could not be scrubbed"}', contentType: 'application/json' };

/** mixpanel-browser's anonymous distinct ids are `$device:<device id>`. */
const DEVICE_PREFIX = '$device:';
const DEVICE_PREFIXED_KEYS = ['distinct_id', '$distinct_id', '$anon_distinct_id'] as const;

function filtered(params: URLSearchParams): URLSearchParams {
  const kept = new URLSearchParams();
  for (const [key, value] of params) {
    if (!PAYLOAD_KEYS.has(key) && ALLOWED_QUERY.get(key)?.test(value)) kept.append(key, value);
  }
  return kept;
}

function withQuery(path: string, query: URLSearchParams): string {
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}

type Gzip = 'content-encoding' | 'magic' | 'none';
type Wrapper = 'get' | 'form' | 'raw';
type Inner = 'base64' | 'json';

interface Decoded {
  json: unknown;
  gzip: Gzip;
  wrapper: Wrapper;
  inner: Inner;
  /** Allowed form fields that came next to `data`, in order. */
  formExtras: URLSearchParams;
}

function decodeData(data: string, limits: DecodeLimits): { json: unknown; inner: Inner } {
  const c = firstChar(data);
  if (c === '{' || c === '[') {
    if (data.length > limits.maxDecodedBytes) throw new InputError(`decoded body exceeds ${limits.maxDecodedBytes} bytes`, 413);
    return { json: parseJsonText(data), inner: 'json' };
  }
  if (c === '') throw new InputError('empty data field');
  return { json: parseJsonText(decodeBase64Text(data, limits.maxDecodedBytes)), inner: 'base64' };
}

function bodyText(req: IncomingRequest, limits: DecodeLimits): { text: string; gzip: Gzip } {
  if (req.body.length === 0) throw new InputError('empty body');
  const { bytes, gzip } = decodeBodyBytes(req, limits);
  return { text: decodeUtf8(bytes), gzip };
}

function decodePayload(req: IncomingRequest, limits: DecodeLimits): Decoded {
  if (req.method === 'GET' || req.method === 'HEAD') {
    const data = req.query.get('data');
    if (data === null) throw new InputError('GET request without a data parameter');
    return { ...decodeData(data, limits), gzip: 'none', wrapper: 'get', formExtras: new URLSearchParams() };
  }
  const { text, gzip } = bodyText(req, limits);
  const c = firstChar(text);
  if (c === '{' || c === '[') return { json: parseJsonText(text), gzip, wrapper: 'raw', inner: 'json', formExtras: new URLSearchParams() };
  // A form: XHR (x-www-form-urlencoded), sendBeacon (text/plain), mixpanel-node batches.
  const form = new URLSearchParams(text);
  const data = form.get('data');
  if (data === null) throw new InputError('form body without a data field');
  if (form.getAll('data').length > 1) throw new InputError('form body with more than one data field');
  return { ...decodeData(data, limits), gzip, wrapper: 'form', formExtras: filtered(form) };
}

/**
 * `$device:<id>` distinct ids: the prefix comes off before scrubbing (so the id gets the same
 * surrogate as `$device_id`) and goes back on after, keeping Mixpanel's identity merge working.
 * Remembered per object; the engine scrubs in place, so the objects survive.
 */
class DevicePrefixes {
  private readonly marked = new WeakMap<object, string[]>();

  strip(container: unknown): void {
    if (!isPlainObject(container)) return;
    const keys: string[] = [];
    for (const key of DEVICE_PREFIXED_KEYS) {
      const value = container[key];
      if (typeof value === 'string' && value.startsWith(DEVICE_PREFIX) && value.length > DEVICE_PREFIX.length) {
        container[key] = value.slice(DEVICE_PREFIX.length);
        keys.push(key);
      }
    }
    if (keys.length > 0) this.marked.set(container, keys);
  }

  restore(container: unknown): void {
    if (!isPlainObject(container)) return;
    for (const key of this.marked.get(container) ?? []) {
      const value = container[key];
      if (typeof value === 'string' && value !== '') container[key] = DEVICE_PREFIX + value;
    }
  }
}

/** An event's id-bearing objects: `properties` for events, the root for profile and group updates. */
function idContainers(event: unknown): unknown[] {
  return isPlainObject(event) ? [event, event.properties] : [];
}

function encodePayload(req: IncomingRequest, json: unknown, decoded: Decoded): OutgoingRequest {
  const text = JSON.stringify(json);
  const data = decoded.inner === 'base64' ? encodeBase64Text(text) : text;
  const headers: Record<string, string | undefined> = {};
  const query = filtered(req.query);
  query.set('ip', '0');

  if (decoded.wrapper === 'get') {
    query.set('data', data);
    return { path: withQuery(req.path, query), body: undefined, headers };
  }
  let payload: string;
  if (decoded.wrapper === 'form') {
    const form = new URLSearchParams();
    form.set('data', data);
    for (const [key, value] of decoded.formExtras) form.append(key, value);
    payload = form.toString();
  } else {
    payload = text;
  }
  let body = Buffer.from(payload, 'utf8');
  // Content-Encoding gzip stays gzip; bare gzip magic is not something Mixpanel reads: plain.
  if (decoded.gzip === 'content-encoding') body = gzipForUpstream(body);
  else headers['content-encoding'] = undefined;
  return { path: withQuery(req.path, query), body, headers };
}

function eventBatch(req: IncomingRequest, limits: DecodeLimits): DecodedBatch {
  const decoded = decodePayload(req, limits);
  const { json } = decoded;
  const list = Array.isArray(json) ? json : [json];
  for (const event of list) if (!isPlainObject(event)) throw new InputError('payload is not an event or an array of events');
  const prefixes = new DevicePrefixes();
  for (const event of list) for (const c of idContainers(event)) prefixes.strip(c);
  const verbose = req.query.get('verbose') === '1' || decoded.formExtras.get('verbose') === '1';
  return {
    events: list,
    allOrNothing: IMPORT_PATH.test(req.path),
    envelope: undefined,
    emptyResponse: verbose ? OK_VERBOSE : OK_TEXT,
    encode: (events) => {
      for (const event of events) for (const c of idContainers(event)) prefixes.restore(c);
      return encodePayload(req, Array.isArray(json) ? events : events[0], decoded);
    },
  };
}

/** `GET /flags?context=<JSON>&token=…`: the context (distinct_id, device_id, custom properties) is the unit. */
function flagsRequest(req: IncomingRequest, limits: DecodeLimits): DecodedBatch {
  const raw = req.query.get('context');
  if (raw === null) throw new InputError('flags request without a context parameter');
  if (raw.length > limits.maxDecodedBytes) throw new InputError(`decoded body exceeds ${limits.maxDecodedBytes} bytes`, 413);
  const context = parseJsonText(raw);
  if (!isPlainObject(context)) throw new InputError('flags context is not an object');
  const prefixes = new DevicePrefixes();
  prefixes.strip(context);
  return {
    events: [context], allOrNothing: true, readsAnswer: true, envelope: undefined, emptyResponse: FLAGS_REFUSED,
    encode: (events) => {
      prefixes.restore(events[0]);
      const query = filtered(req.query);
      query.set('context', JSON.stringify(events[0]));
      return { path: withQuery(req.path, query), body: undefined, headers: {} };
    },
  };
}

/** `POST /flags/{id}/first-time-events` with `{distinct_id, project_id, first_time_event_hash}`. */
function firstTimeEvent(req: IncomingRequest, limits: DecodeLimits): DecodedBatch {
  const { text, gzip } = bodyText(req, limits);
  const json = parseJsonText(text);
  if (!isPlainObject(json)) throw new InputError('first-time event is not an object');
  const prefixes = new DevicePrefixes();
  prefixes.strip(json);
  return {
    events: [json], allOrNothing: true, readsAnswer: true, envelope: undefined, emptyResponse: FLAGS_REFUSED,
    encode: (events) => {
      prefixes.restore(events[0]);
      let body = Buffer.from(JSON.stringify(events[0]), 'utf8');
      const headers: Record<string, string | undefined> = {};
      if (gzip === 'content-encoding') body = gzipForUpstream(body);
      else headers['content-encoding'] = undefined;
      return { path: withQuery(req.path, filtered(req.query)), body, headers };
    },
  };
}

export function mixpanelFormat(): WireFormat {
  return {
    name: 'mixpanel',
    handle(req: IncomingRequest, limits: DecodeLimits): Handling {
      const { path, method } = req;
      if (EVENT_PATHS.test(path) && (method === 'POST' || method === 'GET')) return { kind: 'events', batch: eventBatch(req, limits) };
      if (RECORD_PATHS.test(path)) return { kind: 'respond', response: RECORD_OK, reason: 'session recordings are not forwarded' };
      if (FLAGS_PATHS.test(path) && method === 'GET') return { kind: 'events', batch: flagsRequest(req, limits) };
      if (FIRST_TIME_EVENT_PATHS.test(path) && method === 'POST') return { kind: 'events', batch: firstTimeEvent(req, limits) };
      if ((method === 'GET' || method === 'HEAD') && PASSTHROUGH_PATHS.some((re) => re.test(path))) {
        return { kind: 'passthrough', path: withQuery(path, filtered(req.query)) };
      }
      return { kind: 'unknown' };
    },
  };
}
