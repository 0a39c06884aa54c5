/** Request plumbing: bounded body reading, header hygiene, CORS, JSON answers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InputError } from '../errors';

/** Reads the whole body, refusing (413) past `limit` bytes without buffering the rest. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new InputError(`body exceeds ${limit} bytes`, 413));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new InputError(`body exceeds ${limit} bytes`, 413));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on('error', () => reject(new InputError('request body could not be read')));
    req.on('aborted', () => reject(new InputError('request aborted')));
  });
}

/**
 * The only request headers that reach an upstream (plus what a format's encoder sets itself):
 * content negotiation, the SDK's own auth and version headers, retry counters. Everything else,
 * client IPs in every CDN's spelling, cookies, Referer and Origin (the page URL), and headers
 * such as Amplitude's `X-Client-Url` or an app's own `X-Patient-…`, is dropped: an allow-list
 * fails closed where a deny-list would miss a new header.
 */
const FORWARDED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'host', 'connection', 'content-type', 'content-encoding', 'content-length', 'accept', 'accept-encoding',
  'user-agent', 'authorization', 'cache-control', 'pragma', 'if-none-match', 'if-modified-since',
  'x-retry-count', 'sentat', 'sp-anonymous', 'x-client-version', 'x-client-platform',
]);
const FORWARDED_HEADER_PREFIXES: readonly string[] = Object.freeze(['posthog-']);

export function isForwardedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return FORWARDED_REQUEST_HEADERS.has(lower) || FORWARDED_HEADER_PREFIXES.some((p) => lower.startsWith(p));
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

/**
 * CORS for browser SDKs on other origins: mirror an allowed origin with credentials (Mixpanel
 * and Snowplow send cookies), mirror the requested headers, answer preflights here.
 * Returns true when the request was a preflight and has been answered.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  const ok = typeof origin === 'string' && (allowed.includes('*') || allowed.includes(origin));
  if (ok) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('vary', 'Origin');
  }
  if (req.method !== 'OPTIONS') return false;
  if (!ok) {
    sendJson(res, 403, { error: 'origin not allowed' });
    return true;
  }
  res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
  const requested = req.headers['access-control-request-headers'];
  if (typeof requested === 'string' && /^[A-Za-z0-9_, -]*$/.test(requested)) res.setHeader('access-control-allow-headers', requested);
  res.setHeader('access-control-max-age', '86400');
  res.statusCode = 204;
  res.end();
  return true;
}
