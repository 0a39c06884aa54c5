/**
 * A stand-in for the vendor on 127.0.0.1: records every request byte for byte, decodes bodies
 * independently of phi-proxy's own format code (so a decoding bug cannot hide itself), and
 * answers as PostHog does, with one feature flag on.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import LZString from 'lz-string';

export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  /** The decoded JSON payload, if any. */
  json: unknown;
  /** The status this upstream answered. */
  status: number;
}

/** A scripted answer instead of PostHog's (fault injection: 429, 503, …). */
export type Override = (request: Omit<Recorded, 'status'>) => { status: number; headers?: Record<string, string>; body?: string } | undefined;

export interface RecordingOptions {
  /** Listen on this port (to come back where a proxy expects it); default: any free port. */
  port?: number;
  override?: Override;
}

export interface RecordingUpstream {
  url: string;
  requests: Recorded[];
  /** Everything the upstream received, decoded and raw, as one string to search for leaks. */
  everything(): string;
  /** The events received on capture paths, flattened. */
  events(): Record<string, unknown>[];
  close(): Promise<void>;
}

export const FLAG_KEY = 'beta-feature';

function decode(method: string, query: URLSearchParams, headers: http.IncomingHttpHeaders, raw: Buffer): unknown {
  let text: string;
  if (method === 'GET') {
    const data = query.get('data');
    if (data === null) return undefined;
    text = data;
  } else {
    let bytes = raw;
    if (headers['content-encoding'] === 'gzip' || (bytes[0] === 0x1f && bytes[1] === 0x8b)) bytes = zlib.gunzipSync(bytes);
    text = bytes.toString('utf8');
  }
  let compression = query.get('compression');
  if (text.startsWith('data=')) {
    const form = new URLSearchParams(text);
    text = form.get('data') ?? '';
    compression = form.get('compression') ?? compression;
  }
  if (text === '') return undefined;
  if (compression === 'lz64') text = LZString.decompressFromBase64(text) ?? '';
  else if (!/^\s*[[{]/.test(text)) text = Buffer.from(text, 'base64').toString('utf8');
  return JSON.parse(text);
}

function respond(path: string, json: unknown): { status: number; type: string; body: string } {
  if (/^\/flags\/?$/.test(path)) {
    return {
      status: 200, type: 'application/json',
      body: JSON.stringify({
        flags: { [FLAG_KEY]: { key: FLAG_KEY, enabled: true, variant: null, reason: { code: 'condition_match', condition_index: 0, description: 'Matched' }, metadata: { id: 1, version: 1, payload: null } } },
        featureFlags: { [FLAG_KEY]: true }, featureFlagPayloads: {}, errorsWhileComputingFlags: false, requestId: 'rec-1',
      }),
    };
  }
  if (/^\/decide\/?$/.test(path)) {
    return { status: 200, type: 'application/json', body: JSON.stringify({ featureFlags: { [FLAG_KEY]: true }, featureFlagPayloads: {}, errorsWhileComputingFlags: false }) };
  }
  const config = /^\/array\/([^/]+)\/config(\.js)?$/.exec(path);
  if (config) {
    const remote = JSON.stringify({ token: config[1], supportedCompression: ['gzip', 'gzip-js'], hasFeatureFlags: true, sessionRecording: false, autocapture_opt_out: true });
    return config[2]
      ? { status: 200, type: 'application/javascript', body: `(window._POSTHOG_REMOTE_CONFIG=window._POSTHOG_REMOTE_CONFIG||{})[${JSON.stringify(config[1])}]={config:${remote},siteApps:[]};` }
      : { status: 200, type: 'application/json', body: remote };
  }
  if (path.startsWith('/static/')) return { status: 200, type: 'application/javascript', body: '/* static asset */' };
  if (path === '/i/v1/analytics/events') {
    const batch = (json as { batch?: { uuid?: string }[] } | undefined)?.batch ?? [];
    const results: Record<string, unknown> = {};
    for (const e of batch) if (e.uuid) results[e.uuid] = { result: 'ok' };
    return { status: 200, type: 'application/json', body: JSON.stringify({ results }) };
  }
  return { status: 200, type: 'application/json', body: '{"status":1}' };
}

export async function startRecordingUpstream(options: RecordingOptions = {}): Promise<RecordingUpstream> {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://upstream');
      const raw = Buffer.concat(chunks);
      let json: unknown;
      try {
        json = decode(req.method ?? 'GET', url.searchParams, req.headers, raw);
      } catch {
        json = undefined;
      }
      const recorded = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, raw, json };
      const scripted = options.override?.(recorded);
      if (scripted !== undefined) {
        requests.push({ ...recorded, status: scripted.status });
        const body = scripted.body ?? '{"error":"scripted"}';
        res.writeHead(scripted.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...scripted.headers });
        res.end(body);
        return;
      }
      const { status, type, body } = respond(url.pathname, json);
      requests.push({ ...recorded, status });
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    everything: () =>
      requests.map((r) => [r.method, r.path, JSON.stringify(r.query), JSON.stringify(r.headers), r.raw.toString('latin1'), JSON.stringify(r.json)].join('\n')).join('\n'),
    events: () =>
      requests.flatMap((r) => {
        if (!/^\/(?:e|i\/v0\/e|batch|capture|track|engage|i\/v1\/analytics\/events)\/?$/.test(r.path)) return [];
        const j = r.json as unknown;
        if (Array.isArray(j)) return j as Record<string, unknown>[];
        if (j && typeof j === 'object' && Array.isArray((j as { batch?: unknown }).batch)) return (j as { batch: Record<string, unknown>[] }).batch;
        return j && typeof j === 'object' ? [j as Record<string, unknown>] : [];
      }),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
