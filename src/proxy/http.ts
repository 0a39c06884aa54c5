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
 * Headers that identify the client or the page and must not reach the vendor: client IPs
 * (every spelling proxies and CDNs use), cookies, and the page URL in Referer/Origin.
 */
export const STRIPPED_REQUEST_HEADERS: readonly string[] = Object.freeze([
  'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-forwarded-server', 'x-original-forwarded-for',
  'x-real-ip', 'forwarded', 'cf-connecting-ip', 'cf-connecting-ipv6', 'cf-pseudo-ipv4', 'true-client-ip', 'x-client-ip',
  'x-cluster-client-ip', 'fastly-client-ip', 'x-appengine-user-ip', 'x-azure-clientip', 'x-envoy-external-address',
  'x-plausible-ip', 'b-forwarded-for', 'via', 'cookie', 'referer', 'origin', 'cf-ray', 'cf-visitor', 'cf-ipcountry',
  'x-amzn-trace-id',
]);

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
