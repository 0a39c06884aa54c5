/**
 * Segment (analytics-next in the browser, analytics-node, the HTTP tracking API): see
 * shared/wire-formats.md §2. Every event body is one JSON object (`text/plain` from the browser,
 * `application/json` from Node, gzip by Content-Encoding from some HTTP API clients): a single
 * Segment-spec event on `/v1/{t,i,p,g,a,s}` and `/v1/{track,identify,…}`, or `{batch:[…], …}` on
 * `/v1/{b,batch,import}`. The scrubbed body goes back in the shape and compression it came in.
 *
 * The browser SDK learns where to send events from its CDN settings
 * (`integrations["Segment.io"].apiHost`); the settings are fetched through the proxy and rewritten
 * to point back at it, and device-mode destinations (which would ship unscrubbed events straight
 * from the browser to third parties) are removed from them.
 *
 * The Segment-spec JSON helpers are shared with rudderstack.ts (same payloads, other paths).
 */
import { InputError } from '../errors';
import { decodeUtf8, firstChar, isPlainObject, parseJsonText, decodeBodyBytes, gzipForUpstream } from './codec';
import type { DecodeLimits, DecodedBatch, Handling, IncomingRequest, LocalResponse, OutgoingRequest, ResponseRewriter, WireFormat } from './types';

// ---------------------------------------------------------------------------------------------
// Segment-spec JSON bodies (shared with rudderstack.ts)

/** How the body was compressed: by Content-Encoding (kept), by magic bytes only (sent back plain), or not. */
export type SpecGzip = 'content-encoding' | 'magic' | 'none';

export interface SpecBody {
  readonly json: Record<string, unknown>;
  readonly gzip: SpecGzip;
}

/**
 * Reads a Segment-spec JSON body: Content-Encoding first, then gzip magic bytes, then strict
 * UTF-8, then it must be one JSON object. Content-Type is not trusted (analytics-next labels JSON
 * `text/plain`, rudder-sdk-node labels gzip JSON `application/x-www-form-urlencoded`).
 */
export function decodeSpecBody(req: IncomingRequest, limits: DecodeLimits): SpecBody {
  if (req.body.length === 0) throw new InputError('empty body');
  const { bytes, gzip } = decodeBodyBytes(req, limits);
  const text = decodeUtf8(bytes);
  if (firstChar(text) !== '{') throw new InputError('body is not a JSON object');
  const json = parseJsonText(text);
  if (!isPlainObject(json)) throw new InputError('body is not a JSON object');
  return { json, gzip };
}

/**
 * Writes scrubbed JSON back: gzip again when the client said so by Content-Encoding; a body that
 * was gzip by magic bytes only goes back as plain JSON (no vendor documents that form).
 */
export function encodeSpecBody(path: string, json: unknown, gzip: SpecGzip, extraHeaders: Record<string, string | undefined> = {}): OutgoingRequest {
  const headers: Record<string, string | undefined> = { ...extraHeaders };
  let body = Buffer.from(JSON.stringify(json), 'utf8');
  if (gzip === 'content-encoding') body = gzipForUpstream(body);
  else {
    headers['content-encoding'] = undefined;
    if (gzip === 'magic') headers['content-type'] = 'application/json';
  }
  return { path, body, headers };
}

/**
 * The events of a Segment-spec body: `{batch:[…], …rest}` (rest is the envelope: writeKey,
 * sentAt, context shared by the batch) or one event object. Every event must be an object.
 * `headersFor` derives headers from the scrubbed events (Rudder's AnonymousId).
 */
export function specBatch(
  req: IncomingRequest,
  limits: DecodeLimits,
  opts: {
    outPath: string;
    requireBatch: boolean;
    emptyResponse: LocalResponse;
    headersFor?: (events: readonly unknown[]) => Record<string, string | undefined>;
  },
): DecodedBatch {
  const { json, gzip } = decodeSpecBody(req, limits);
  const headersFor = opts.headersFor ?? (() => ({}));
  if (Array.isArray(json.batch)) {
    const { batch, ...envelope } = json;
    if (!batch.every(isPlainObject)) throw new InputError('batch holds something other than event objects');
    return {
      events: batch, allOrNothing: false, envelope, emptyResponse: opts.emptyResponse,
      encode: (events, env) => encodeSpecBody(opts.outPath, { ...env, batch: events }, gzip, headersFor(events)),
    };
  }
  if (json.batch !== undefined) throw new InputError('batch is not an array');
  if (opts.requireBatch) throw new InputError('batch body without a batch array');
  return {
    events: [json], allOrNothing: false, envelope: undefined, emptyResponse: opts.emptyResponse,
    encode: (events) => encodeSpecBody(opts.outPath, events[0], gzip, headersFor(events)),
  };
}

/** Write keys (path segment or query value): Segment and RudderStack mint alphanumeric keys. */
export const WRITE_KEY = /^[A-Za-z0-9_-]{1,100}$/;

// ---------------------------------------------------------------------------------------------
// Segment

/** api.segment.io answers every accepted event request like this. */
const OK: LocalResponse = { status: 200, body: '{"success":true}', contentType: 'application/json' };

/** Single events: analytics-next's one-letter paths and the HTTP API's names. */
const SINGLE_PATHS = /^\/v1\/(?:t|i|p|g|a|s|track|identify|page|group|alias|screen)\/?$/;
/** Batches: analytics-next batching (`/b`), analytics-node and the HTTP API (`/batch`, `/import`). */
const BATCH_PATHS = /^\/v1\/(?:b|batch|import)\/?$/;
const METRICS_PATH = /^\/v1\/m\/?$/;
const SETTINGS_PATH = /^\/v1\/projects\/([^/]+)\/settings\/?$/;
/** CDN scripts (no person data in the request): the standalone snippet bundle, its lazy chunks, middleware and integrations. */
const ASSET_PATHS = [
  /^\/analytics\.js\/v1\/[A-Za-z0-9_-]{1,100}\/analytics(?:\.min)?\.js$/,
  /^\/analytics-next\/bundles\/[A-Za-z0-9._-]{1,200}\.js(?:\.map)?$/,
  /^\/next-integrations\/[A-Za-z0-9._/-]{1,300}\.js(?:\.gz)?$/,
];

/**
 * Rewrites the CDN settings so the SDK keeps talking to the proxy: `Segment.io`'s apiHost
 * (`host[:port]/prefix/v1`, no scheme) and protocol, and the performance-metrics host (which
 * otherwise defaults to api.segment.io). Device-mode destinations (`integrations` entries that are
 * not cloud-mode, and `remotePlugins`) are removed: they would load third-party scripts that send
 * the unscrubbed events directly from the browser. Anything that is not a JSON object is left as
 * it is: the SDK then fails to load and sends nothing.
 */
export function segmentSettingsRewriter(publicBaseUrl: string): ResponseRewriter {
  const base = new URL(publicBaseUrl);
  const apiHost = `${base.host}${base.pathname.replace(/\/+$/, '')}/v1`;
  const protocol = base.protocol.replace(/:$/, '');
  return (body, response) => {
    if (response.status < 200 || response.status >= 300) return body;
    let json: unknown;
    try {
      json = JSON.parse(decodeUtf8(body));
    } catch {
      return body;
    }
    if (!isPlainObject(json)) return body;
    if (isPlainObject(json.integrations)) {
      const kept: Record<string, unknown> = {};
      for (const [name, settings] of Object.entries(json.integrations)) {
        if (name === 'Segment.io' && isPlainObject(settings)) kept[name] = { ...settings, apiHost, protocol };
        else if (isPlainObject(settings) && settings.bundlingStatus === 'unbundled') kept[name] = settings;
      }
      json.integrations = kept;
    }
    if (Array.isArray(json.remotePlugins)) json.remotePlugins = [];
    json.metrics = { ...(isPlainObject(json.metrics) ? json.metrics : {}), host: apiHost };
    return Buffer.from(JSON.stringify(json), 'utf8');
  };
}

/** analytics-next performance counters: `{series:[{type:'Counter', metric, value, tags}]}`. */
const METRIC_NAME = /^analytics_js\.[a-z_.]{1,100}$/;
const TAG_KEY = /^[a-z_]{1,40}$/;
/** Plugin and destination names, event types, `npm:next-1.84.3`; no `@` except a package scope. */
const TAG_VALUE = /^@?[A-Za-z0-9 ._:/()-]{0,100}$/;
const MAX_SERIES = 100;

/** The metrics body, re-serialized, if it has exactly the counter shape the SDK sends; else undefined. */
export function verifiedMetrics(req: IncomingRequest, limits: DecodeLimits): Buffer | undefined {
  let json: Record<string, unknown>;
  try {
    json = decodeSpecBody(req, limits).json;
  } catch {
    return undefined;
  }
  const keys = Object.keys(json);
  if (keys.length !== 1 || !Array.isArray(json.series) || json.series.length > MAX_SERIES) return undefined;
  const series: unknown[] = [];
  for (const item of json.series) {
    if (!isPlainObject(item)) return undefined;
    const { type, metric, value, tags, ...rest } = item;
    if (Object.keys(rest).length > 0 || type !== 'Counter' || typeof metric !== 'string' || !METRIC_NAME.test(metric)) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || !isPlainObject(tags)) return undefined;
    const cleanTags: Record<string, string> = {};
    for (const [k, v] of Object.entries(tags)) {
      if (!TAG_KEY.test(k) || typeof v !== 'string' || !TAG_VALUE.test(v)) return undefined;
      cleanTags[k] = v;
    }
    series.push({ type, metric, value, tags: cleanTags });
  }
  return Buffer.from(JSON.stringify({ series }), 'utf8');
}

function metricsHandling(req: IncomingRequest, limits: DecodeLimits): Handling {
  const verified = verifiedMetrics(req, limits);
  if (verified === undefined) return { kind: 'respond', response: OK, reason: 'metrics body is not the SDK counter shape; not forwarded' };
  // No events to scrub: the verified counters are forwarded as they are (no free text in that shape).
  return {
    kind: 'events',
    batch: {
      events: [], allOrNothing: true, envelope: undefined, emptyResponse: OK,
      encode: () => ({ path: '/v1/m', body: verified, headers: { 'content-encoding': undefined, 'content-type': 'text/plain' } }),
    },
  };
}

export function segmentFormat(): WireFormat {
  return {
    name: 'segment',
    handle(req: IncomingRequest, limits: DecodeLimits): Handling {
      const { path, method } = req;
      if (method === 'POST') {
        const outPath = path.replace(/\/+$/, '');
        if (SINGLE_PATHS.test(path)) return { kind: 'events', batch: specBatch(req, limits, { outPath, requireBatch: false, emptyResponse: OK }) };
        if (BATCH_PATHS.test(path)) return { kind: 'events', batch: specBatch(req, limits, { outPath, requireBatch: true, emptyResponse: OK }) };
        if (METRICS_PATH.test(path)) return metricsHandling(req, limits);
        return { kind: 'unknown' };
      }
      if (method === 'GET' || method === 'HEAD') {
        const settings = SETTINGS_PATH.exec(path);
        if (settings) {
          if (!WRITE_KEY.test(settings[1]!)) return { kind: 'unknown' };
          return { kind: 'passthrough', path: `/v1/projects/${settings[1]}/settings`, rewriteResponse: segmentSettingsRewriter(req.publicBaseUrl) };
        }
        if (ASSET_PATHS.some((re) => re.test(path))) return { kind: 'passthrough', path };
      }
      return { kind: 'unknown' };
    },
  };
}
