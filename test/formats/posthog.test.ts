import * as zlib from 'node:zlib';
import LZString from 'lz-string';
import { InputError } from '../../src/errors';
import { posthogFormat } from '../../src/formats/posthog';
import type { DecodedBatch, IncomingRequest } from '../../src/formats/types';

const format = posthogFormat();
const limits = { maxDecodedBytes: 1024 * 1024 };
const EVENTS = [{ event: 'a', uuid: 'u1', properties: { x: 1 } }, { event: 'b', uuid: 'u2', properties: { y: 'é' } }];
const ENVELOPE = { api_key: 'phc_k', batch: EVENTS, sent_at: '2026-11-22T08:36:14.611Z' };
const json = JSON.stringify(ENVELOPE);
const b64 = Buffer.from(json).toString('base64');

function req(method: string, url: string, body: Buffer | string = '', headers: Record<string, string> = {}): IncomingRequest {
  const u = new URL(url, 'http://proxy');
  return { method, path: u.pathname, query: u.searchParams, headers, body: Buffer.from(body), clientIp: '203.0.113.7', publicBaseUrl: 'http://proxy' };
}

function events(r: IncomingRequest): DecodedBatch {
  const h = format.handle(r, limits);
  if (h.kind !== 'events') throw new Error(`expected events, got ${h.kind}`);
  return h.batch;
}

/** Decodes what the encoder produced by running it through the format again. */
function roundTrip(r: IncomingRequest) {
  const batch = events(r);
  const out = batch.encode(batch.events, batch.envelope);
  const again = events(req(r.method, out.path, out.body ?? Buffer.alloc(0), Object.fromEntries(Object.entries({ ...r.headers, ...out.headers }).filter(([, v]) => v !== undefined)) as Record<string, string>));
  return { batch, out, again };
}

describe('posthog wire format', () => {
  it.each([
    ['raw gzip labelled text/plain (posthog-js)', req('POST', '/e/', zlib.gzipSync(json), { 'content-type': 'text/plain' })],
    ['gzip by Content-Encoding (posthog-node)', req('POST', '/batch/', zlib.gzipSync(json), { 'content-type': 'application/json', 'content-encoding': 'gzip' })],
    ['?compression=gzip-js', req('POST', '/e/?compression=gzip-js&ver=1.130.0&_=1', zlib.gzipSync(json))],
    ['form data= base64', req('POST', '/e/?compression=base64', `data=${encodeURIComponent(b64)}`, { 'content-type': 'application/x-www-form-urlencoded' })],
    ['form data= lz64', req('POST', '/e/?compression=lz64', `data=${encodeURIComponent(LZString.compressToBase64(json))}&compression=lz64`, { 'content-type': 'application/x-www-form-urlencoded' })],
    ['plain JSON', req('POST', '/i/v0/e/', json, { 'content-type': 'application/json' })],
    ['GET ?data=', req('GET', `/e/?data=${encodeURIComponent(b64)}&ip=1`)],
  ])('decodes and re-encodes %s', (_label, r) => {
    const { batch, out, again } = roundTrip(r);
    expect(batch.events).toEqual(EVENTS);
    expect(batch.envelope).toEqual({ api_key: 'phc_k', sent_at: ENVELOPE.sent_at });
    expect(again.events).toEqual(EVENTS);
    expect(out.path).not.toContain('ip=');
  });

  it('keeps gzip signalled the way it came', () => {
    const magic = events(req('POST', '/e/', zlib.gzipSync(json))).encode(EVENTS, {});
    expect(magic.body![0]).toBe(0x1f);
    expect(magic.headers['content-encoding']).toBeUndefined();
    const header = events(req('POST', '/batch/', zlib.gzipSync(json), { 'content-encoding': 'gzip' })).encode(EVENTS, {});
    expect(header.body![0]).toBe(0x1f);
    expect(header.headers).not.toHaveProperty('content-encoding');
  });

  it('re-encodes lz64 as plain JSON and drops the stale compression hint', () => {
    const r = req('POST', '/e/?compression=lz64&_=5', `data=${encodeURIComponent(LZString.compressToBase64(json))}`);
    const out = events(r).encode(EVENTS, undefined);
    expect(out.path).toBe('/e/?_=5');
    expect(out.headers['content-type']).toBe('application/json');
    expect(JSON.parse(out.body!.toString())).toEqual({ batch: EVENTS });
  });

  it('reads single events, arrays and envelopes', () => {
    expect(events(req('POST', '/capture/', JSON.stringify(EVENTS[0]))).events).toEqual([EVENTS[0]]);
    expect(events(req('POST', '/track/', JSON.stringify(EVENTS))).events).toEqual(EVENTS);
    const single = events(req('POST', '/e/', JSON.stringify(EVENTS[0])));
    expect(JSON.parse(single.encode([EVENTS[0]], undefined).body!.toString())).toEqual(EVENTS[0]);
  });

  it('treats a flags request as one unit', () => {
    const batch = events(req('POST', '/flags/?v=2', JSON.stringify({ token: 't', distinct_id: 'd' })));
    expect(batch.allOrNothing).toBe(true);
    expect(batch.events).toEqual([{ token: 't', distinct_id: 'd' }]);
  });

  it.each([
    ['/array/phc_k/config.js', 'passthrough'], ['/array/phc_k/config', 'passthrough'], ['/static/array.js', 'passthrough'],
    ['/s/', 'respond'], ['/api/projects/1/persons', 'unknown'], ['/decide/', 'unknown'],
  ])('GET %s is %s', (path, kind) => {
    expect(format.handle(req('GET', path), limits).kind).toBe(kind);
  });

  it.each([
    ['bad gzip', req('POST', '/e/', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01]))],
    ['bad base64', req('POST', '/e/?compression=base64', 'data=%%%not-base64')],
    ['bad lz64', req('POST', '/e/?compression=lz64', 'data=!!!')],
    ['not JSON', req('POST', '/e/', 'hello')],
    ['a JSON scalar', req('POST', '/e/', '42')],
    ['empty body', req('POST', '/e/', '')],
    ['GET without data', req('GET', '/e/')],
    ['unknown content-encoding', req('POST', '/e/', json, { 'content-encoding': 'br' })],
  ])('refuses %s with an InputError', (_label, r) => {
    expect(() => format.handle(r, limits)).toThrow(InputError);
  });

  it('stops a gzip bomb at the decoded-size limit', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
    expect(() => format.handle(req('POST', '/e/', bomb), limits)).toThrow(/decompressed body exceeds 1048576 bytes/);
  });
});
