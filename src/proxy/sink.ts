/**
 * The inspection sink: the upstream used when none is configured. It decodes what the proxy
 * forwards, exactly as a vendor would, prints every scrubbed event as one JSON line, and answers
 * like PostHog, so a newcomer sees what a backend would receive. It listens on loopback only.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import { formatFor } from '../formats/index';
import type { FormatName } from './settings';
import { readBody, sendJson } from './http';

const SINK_LIMITS = { maxDecodedBytes: 256 * 1024 * 1024 };

/** PostHog-shaped answers, enough for the SDKs to work against the sink. */
function answer(path: string): { status: number; body: string; type: string } {
  if (/^\/(?:flags|decide)\/?$/.test(path)) {
    return { status: 200, type: 'application/json', body: JSON.stringify({ flags: {}, featureFlags: {}, featureFlagPayloads: {}, errorsWhileComputingFlags: false, requestId: 'inspection-sink' }) };
  }
  const config = /^\/array\/([A-Za-z0-9_-]+)\/config(\.js)?$/.exec(path);
  if (config) {
    const remote = JSON.stringify({ token: config[1], supportedCompression: ['gzip', 'gzip-js'], hasFeatureFlags: false, sessionRecording: false });
    return config[2]
      ? { status: 200, type: 'application/javascript', body: `(window._POSTHOG_REMOTE_CONFIG=window._POSTHOG_REMOTE_CONFIG||{})[${JSON.stringify(config[1])}]={config:${remote},siteApps:[]};` }
      : { status: 200, type: 'application/json', body: remote };
  }
  return { status: 200, type: 'application/json', body: '{"status":1}' };
}

export interface Sink {
  readonly url: string;
  close(): Promise<void>;
}

export async function startSink(format: FormatName, out: Writable): Promise<Sink> {
  const wire = formatFor(format);
  let sinkUrl = '';
  const server = http.createServer(async (req, res) => {
    try {
      const body = await readBody(req, SINK_LIMITS.maxDecodedBytes);
      const url = new URL(req.url ?? '/', 'http://sink');
      const handling = wire.handle(
        { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body, clientIp: '', publicBaseUrl: sinkUrl },
        SINK_LIMITS,
      );
      if (handling.kind === 'events') {
        for (const event of handling.batch.events) out.write(JSON.stringify({ sink: format, path: url.pathname, event }) + '\n');
      }
      const { status, body: text, type } = answer(url.pathname);
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
      res.end(text);
    } catch {
      sendJson(res, 400, { error: 'sink could not decode the request' });
    }
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  sinkUrl = `http://127.0.0.1:${port}`;
  return {
    url: sinkUrl,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
