/**
 * A plain HTTP client for scrubbed requests whose answer the proxy must see before the SDK does:
 * durable forwarding decides between relaying the upstream's answer and spooling the request
 * (spool.ts), and the spool's deliveries have no client to stream to. Bodies are buffered: they
 * are scrubbed batches on the way up and short acknowledgements on the way down.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { OutgoingRequest } from '../formats/types';
import { isForwardedHeader } from './http';

/** Keep-alive agents shared by every forwarder (without one, each request opens a connection). */
export const upstreamAgents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 256 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 256 }),
};

/** A scrubbed request as it goes to an upstream (and as the spool stores it). */
export interface UpstreamRequest {
  readonly method: string;
  /** Path and query below the upstream's base URL. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
}

export interface UpstreamAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Upstream answers larger than this are cut off (capture endpoints answer a few bytes). */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/** Headers that describe one connection, never relayed. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade',
]);
const FRAMING: ReadonlySet<string> = new Set(['host', 'connection', 'content-length', 'transfer-encoding']);

/**
 * The request to send upstream: the client's allow-listed headers (http.ts), then the format
 * encoder's header changes, then the framing of the scrubbed body.
 */
export function upstreamRequest(method: string, clientHeaders: http.IncomingHttpHeaders, outgoing: OutgoingRequest): UpstreamRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(clientHeaders)) {
    if (value === undefined || FRAMING.has(name) || !isForwardedHeader(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  for (const [name, value] of Object.entries(outgoing.headers)) {
    const lower = name.toLowerCase();
    if (value === undefined) delete headers[lower];
    else headers[lower] = value;
  }
  if (outgoing.body === undefined) {
    delete headers['content-type'];
    delete headers['content-encoding'];
  }
  // A format that rewrites the answer needs it uncompressed.
  if (outgoing.rewriteResponse !== undefined) headers['accept-encoding'] = 'identity';
  return { method, path: outgoing.path, headers, body: outgoing.body };
}

/** Sends one request; rejects on connection errors and when no answer is complete in `timeoutMs`. */
export function sendUpstream(target: string, request: UpstreamRequest, timeoutMs: number): Promise<UpstreamAnswer> {
  const base = new URL(target);
  const secure = base.protocol === 'https:';
  const basePath = base.pathname.replace(/\/+$/, '');
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...request.headers, host: base.host };
    if (request.body !== undefined) headers['content-length'] = request.body.length;
    const req = (secure ? https : http).request(
      {
        protocol: base.protocol,
        hostname: base.hostname.replace(/^\[|\]$/g, ''),
        port: base.port || (secure ? 443 : 80),
        method: request.method,
        path: basePath + request.path,
        headers,
        agent: secure ? upstreamAgents.https : upstreamAgents.http,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) });
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      },
    );
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('upstream timed out'), { code: 'ETIMEDOUT' })), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(request.body);
  });
}

/** Writes an upstream's answer to the client: its status, body and end-to-end headers (not CORS: the proxy answers that). */
export function relayAnswer(res: http.ServerResponse, answer: UpstreamAnswer, rewrite: OutgoingRequest['rewriteResponse']): void {
  let body = answer.body;
  const headers = answer.headers;
  if (rewrite !== undefined && headers['content-encoding'] === undefined) {
    body = rewrite(body, { status: answer.status, contentType: String(headers['content-type'] ?? '') });
  }
  res.statusCode = answer.status;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'content-length' || name.startsWith('access-control-')) continue;
    res.setHeader(name, value);
  }
  res.setHeader('content-length', body.length);
  res.end(body);
}
