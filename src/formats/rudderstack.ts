/**
 * RudderStack (the v3 browser SDK @rudderstack/analytics-js, rudder-sdk-node, the HTTP API): see
 * shared/wire-formats.md §3. Payloads are Segment-spec JSON (the decoding is shared with
 * segment.ts): one event on `/v1/{track,identify,page,group,alias,screen}`, `{batch:[…], sentAt}`
 * on `/v1/batch` (rudder-sdk-node gzips it and labels it application/x-www-form-urlencoded) and on
 * the beacon path `/beacon/v1/batch?writeKey=…`.
 *
 * The browser SDK copies the anonymousId into an `AnonymousId` header (base64). It is never
 * forwarded as received: it is derived again from the scrubbed body, so it carries the surrogate.
 *
 * The data plane URL comes from the SDK's load() call, not from the source config, so the config
 * needs no address rewrite; its device-mode destinations are removed (they would send unscrubbed
 * events from the browser straight to third parties, and call `/transform` on the data plane).
 */
import { InputError } from '../errors';
import { decodeUtf8, encodeBase64Text, isPlainObject } from './codec';
import { specBatch, WRITE_KEY } from './segment';
import type { DecodeLimits, Handling, IncomingRequest, LocalResponse, ResponseRewriter, WireFormat } from './types';

/** rudder-server answers accepted events with `200 OK` as text. */
const OK: LocalResponse = { status: 200, body: 'OK', contentType: 'text/plain; charset=utf-8' };

const SINGLE_PATHS = /^\/v1\/(?:track|identify|page|group|alias|screen)\/?$/;
const BATCH_PATH = /^\/v1\/batch\/?$/;
const BEACON_PATH = /^\/beacon\/v1\/batch\/?$/;
const CONFIG_PATH = /^\/sourceConfig\/?$/;
/** SDK error reports (Bugsnag payloads with breadcrumbs, page URLs and user ids): answered here, never forwarded. */
const METRICS_PATH = /^\/rsaMetrics\/?$/;

/** What `/sourceConfig/` may carry: the SDK's own parameters, each in its own shape. */
const CONFIG_QUERY: ReadonlyMap<string, RegExp> = new Map([
  ['p', /^(?:npm|cdn)$/],
  ['v', /^\d{1,4}(?:\.\d{1,4}){0,3}(?:-[A-Za-z0-9.]{1,20})?$/],
  ['build', /^(?:modern|legacy)$/],
  ['writeKey', WRITE_KEY],
  ['lockIntegrationsVersion', /^(?:true|false)$/],
  ['lockPluginsVersion', /^(?:true|false)$/],
]);

function filteredConfigQuery(query: URLSearchParams): string {
  const kept = new URLSearchParams();
  for (const [key, value] of query) if (CONFIG_QUERY.get(key)?.test(value)) kept.append(key, value);
  const text = kept.toString();
  return text === '' ? '' : `?${text}`;
}

/**
 * `AnonymousId` for the upstream: base64 of the first scrubbed event's anonymousId (the SDK sends
 * the header for the event it delivers; a batch carries the first event's). No string id, no header.
 */
export function anonymousIdHeader(events: readonly unknown[]): Record<string, string | undefined> {
  const first = events[0];
  const id = isPlainObject(first) ? first.anonymousId : undefined;
  return { anonymousid: typeof id === 'string' && id !== '' ? encodeBase64Text(id) : undefined };
}

/**
 * Removes device-mode destinations from the source config (the SDK would load their scripts and
 * send events from the browser, unscrubbed). Cloud-mode delivery happens in the data plane from
 * the scrubbed events and needs nothing from this list. Non-JSON answers are left alone: the SDK
 * then fails to load and sends nothing.
 */
export const rudderConfigRewriter: ResponseRewriter = (body, response) => {
  if (response.status < 200 || response.status >= 300) return body;
  let json: unknown;
  try {
    json = JSON.parse(decodeUtf8(body));
  } catch {
    return body;
  }
  if (!isPlainObject(json) || !isPlainObject(json.source) || !Array.isArray(json.source.destinations)) return body;
  json.source.destinations = [];
  return Buffer.from(JSON.stringify(json), 'utf8');
};

export function rudderstackFormat(): WireFormat {
  return {
    name: 'rudderstack',
    handle(req: IncomingRequest, limits: DecodeLimits): Handling {
      const { path, method } = req;
      if (method === 'POST') {
        const outPath = path.replace(/\/+$/, '');
        // Only where the SDK sent one (the browser's XhrQueue); never the received value.
        const headersFor = req.headers.anonymousid !== undefined ? anonymousIdHeader : () => ({ anonymousid: undefined });
        if (SINGLE_PATHS.test(path)) return { kind: 'events', batch: specBatch(req, limits, { outPath, requireBatch: false, emptyResponse: OK, headersFor }) };
        if (BATCH_PATH.test(path)) return { kind: 'events', batch: specBatch(req, limits, { outPath, requireBatch: true, emptyResponse: OK, headersFor }) };
        if (BEACON_PATH.test(path)) {
          // sendBeacon cannot set headers: the write key rides in the query, the only key that goes.
          const writeKey = req.query.get('writeKey');
          if (writeKey === null || !WRITE_KEY.test(writeKey)) throw new InputError('beacon without a valid writeKey');
          const beaconPath = `${outPath}?${new URLSearchParams({ writeKey }).toString()}`;
          return { kind: 'events', batch: specBatch(req, limits, { outPath: beaconPath, requireBatch: true, emptyResponse: OK, headersFor }) };
        }
        if (METRICS_PATH.test(path)) return { kind: 'respond', response: OK, reason: 'SDK error reports are not forwarded' };
        return { kind: 'unknown' };
      }
      if ((method === 'GET' || method === 'HEAD') && CONFIG_PATH.test(path)) {
        return { kind: 'passthrough', path: `/sourceConfig/${filteredConfigQuery(req.query)}`, rewriteResponse: rudderConfigRewriter };
      }
      return { kind: 'unknown' };
    },
  };
}
