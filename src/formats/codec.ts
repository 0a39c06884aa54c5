/**
 * Decoding primitives shared by the wire formats. Every failure is an InputError with a short
 * reason and no payload bytes in it; sizes are bounded before memory is spent.
 */
import * as zlib from 'node:zlib';
import LZString from 'lz-string';
import { InputError } from '../errors';
import type { DecodeLimits, IncomingRequest } from './types';

export function isGzip(body: Buffer): boolean {
  return body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
}

/** gunzip that stops at `maxBytes` of output: a 1 KB bomb cannot allocate a gigabyte. */
export function gunzipLimited(body: Buffer, maxBytes: number): Buffer {
  try {
    return zlib.gunzipSync(body, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new InputError(`decompressed body exceeds ${maxBytes} bytes`, 413);
    }
    throw new InputError('body is not valid gzip');
  }
}

/**
 * gzip for the re-encoded body. Level 1: on the hot path, compressing at the default level 6 took
 * twice the CPU for bodies under 1% smaller (JSON batches of a few KB).
 */
export function gzipForUpstream(body: Buffer): Buffer<ArrayBuffer> {
  return zlib.gzipSync(body, GZIP_OPTIONS);
}
const GZIP_OPTIONS: zlib.ZlibOptions = Object.freeze({ level: zlib.constants.Z_BEST_SPEED });

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new InputError('body is not valid UTF-8');
  }
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Standard or URL-safe base64, padded or not, whitespace tolerated (some SDKs wrap lines). */
export function decodeBase64Text(text: string, maxBytes: number): string {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact)) throw new InputError('payload is not valid base64');
  if ((compact.length * 3) / 4 > maxBytes) throw new InputError(`decoded body exceeds ${maxBytes} bytes`, 413);
  return decodeUtf8(Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64'));
}

export function encodeBase64Text(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

export function decompressLz64(text: string, maxBytes: number): string {
  let out: string | null;
  try {
    out = LZString.decompressFromBase64(text);
  } catch {
    out = null;
  }
  if (out === null || out === '') throw new InputError('payload is not valid lz-string');
  if (out.length > maxBytes) throw new InputError(`decoded body exceeds ${maxBytes} bytes`, 413);
  return out;
}

export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InputError('payload is not valid JSON');
  }
}

/** First non-whitespace character, for telling JSON from base64 or form bodies. */
export function firstChar(text: string): string {
  const m = /\S/.exec(text);
  return m ? m[0] : '';
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** How a body was compressed: by header, by magic bytes only, or not at all. */
export type GzipSignal = 'content-encoding' | 'magic' | 'none';

/**
 * The body's bytes, gunzipped (bounded) when Content-Encoding says gzip or, with `magic`, when
 * the bytes start with gzip's magic (SDKs mislabel). Any other encoding is refused without
 * quoting the header (it would reach the logs).
 */
export function decodeBodyBytes(req: IncomingRequest, limits: DecodeLimits, options: { magic?: boolean } = {}): { bytes: Buffer; gzip: GzipSignal } {
  let bytes = req.body;
  let gzip: GzipSignal = 'none';
  const contentEncoding = String(req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (contentEncoding === 'gzip') {
    bytes = gunzipLimited(bytes, limits.maxDecodedBytes);
    gzip = 'content-encoding';
  } else if (contentEncoding !== '' && contentEncoding !== 'identity') {
    throw new InputError('unsupported content-encoding (gzip or none)', 415);
  } else if (options.magic !== false && isGzip(bytes)) {
    bytes = gunzipLimited(bytes, limits.maxDecodedBytes);
    gzip = 'magic';
  }
  if (bytes.length > limits.maxDecodedBytes) throw new InputError(`decoded body exceeds ${limits.maxDecodedBytes} bytes`, 413);
  return { bytes, gzip };
}
