import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import { InputError } from '../../src/errors';
import { amplitudeFormat, legacyChecksum, rewriteAmplitudeResponse } from '../../src/formats/amplitude';
import type { DecodedBatch, IncomingRequest } from '../../src/formats/types';

const format = amplitudeFormat();
const limits = { maxDecodedBytes: 1024 * 1024 };
const EVENTS = [
  { user_id: 'patient-123', device_id: 'dev-1', session_id: 1795336768780, event_type: 'Appointment Booked', event_properties: { note: 'é ✓' }, insert_id: 'i1' },
  { user_id: 'patient-456', device_id: 'dev-2', session_id: 1795336768780, event_type: 'Page', insert_id: 'i2' },
];
const UPLOAD = { api_key: 'amp_api_key', events: EVENTS, options: { min_id_length: 1 }, client_upload_time: '2026-11-22T08:36:14.611Z', request_metadata: { sdk: { metrics: { histogram: {} } } } };
const json = JSON.stringify(UPLOAD);

function req(method: string, url: string, body: Buffer | string = '', headers: Record<string, string> = {}): IncomingRequest {
  const u = new URL(url, 'http://proxy');
  return { method, path: u.pathname, query: u.searchParams, headers, body: Buffer.from(body), clientIp: '203.0.113.7', publicBaseUrl: 'http://proxy' };
}

function events(r: IncomingRequest): DecodedBatch {
  const h = format.handle(r, limits);
  if (h.kind !== 'events') throw new Error(`expected events, got ${h.kind}`);
  return h.batch;
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function legacyForm(e: unknown[], apiKey = 'amp_api_key', uploadTime = '1795336768800'): string {
  const text = JSON.stringify(e);
  return new URLSearchParams({ client: apiKey, e: text, v: '2', upload_time: uploadTime, checksum: createHash('md5').update(`2${apiKey}${text}${uploadTime}`).digest('hex') }).toString();
}

describe('amplitude wire format: HTTP V2', () => {
  it.each([
    ['JSON (analytics-node, analytics-browser)', req('POST', '/2/httpapi', json, { 'content-type': 'application/json' })],
    ['beacon JSON labelled text/plain', req('POST', '/2/httpapi', json, { 'content-type': 'text/plain;charset=UTF-8' })],
    ['/batch', req('POST', '/batch', json, { 'content-type': 'application/json' })],
    ['gzip by Content-Encoding (browser, ≥2 KiB)', req('POST', '/2/httpapi', zlib.gzipSync(json), { 'content-type': 'application/json', 'content-encoding': 'gzip' })],
    ['gzip by magic bytes only', req('POST', '/2/httpapi/', zlib.gzipSync(json), { 'content-type': 'application/json' })],
  ])('decodes and re-encodes %s', (_label, r) => {
    const batch = events(r);
    expect(batch.events).toEqual(EVENTS);
    expect(batch.envelope).toEqual({ api_key: 'amp_api_key', options: { min_id_length: 1 }, client_upload_time: UPLOAD.client_upload_time, request_metadata: UPLOAD.request_metadata });
    expect(batch.allOrNothing).toBe(true);
    const out = batch.encode(batch.events, batch.envelope);
    expect(out.path).toBe(r.path);
    const gzipped = r.headers['content-encoding'] === 'gzip';
    // same bytes as the SDK's JSON.stringify: key order kept, events in place
    expect((gzipped ? zlib.gunzipSync(out.body!) : out.body!).toString()).toBe(json);
    if (gzipped) expect(out.headers).not.toHaveProperty('content-encoding');
    else expect(out.headers).toHaveProperty('content-encoding', undefined);
  });

  it('drops every query parameter', () => {
    const out = events(req('POST', '/2/httpapi?email=jane%40example.com&x=1', json)).encode(EVENTS, UPLOAD);
    expect(out.path).toBe('/2/httpapi');
  });

  it('answers an upload with nothing left as Amplitude does (code 200)', () => {
    const empty = events(req('POST', '/2/httpapi', json)).emptyResponse;
    expect(empty.status).toBe(200);
    expect(JSON.parse(empty.body)).toMatchObject({ code: 200, events_ingested: 0 });
  });

  it('maps surrogate ids in 400/429 answers back to the ids the SDK sent', () => {
    const batch = events(req('POST', '/2/httpapi', json));
    // the engine scrubs in place
    const [a, b] = batch.events as Record<string, unknown>[];
    a!.user_id = 'tok_A';
    a!.device_id = 'sur-dev-1';
    b!.user_id = 'tok_B';
    b!.device_id = 'sur-dev-2';
    const out = batch.encode(batch.events, batch.envelope);
    expect(out.rewriteResponse).toBeDefined();
    const upstream429 = {
      code: 429, error: 'Too many requests for some devices and users', eps_threshold: 30,
      throttled_devices: { 'sur-dev-1': 31 }, throttled_users: { tok_A: 32, tok_unknown: 1 },
      exceeded_daily_quota_users: { tok_B: 500001 }, exceeded_daily_quota_devices: { 'sur-dev-2': 500001 }, throttled_events: [0],
    };
    const rewritten = JSON.parse(out.rewriteResponse!(Buffer.from(JSON.stringify(upstream429)), { status: 429, contentType: 'application/json' }).toString());
    expect(rewritten).toEqual({
      ...upstream429,
      throttled_devices: { 'dev-1': 31 }, throttled_users: { 'patient-123': 32, tok_unknown: 1 },
      exceeded_daily_quota_users: { 'patient-456': 500001 }, exceeded_daily_quota_devices: { 'dev-2': 500001 },
    });
    const upstream400 = { code: 400, error: 'Request missing required field', events_with_invalid_fields: { time: [1] }, silenced_devices: ['sur-dev-2', 'other'], silenced_events: [1] };
    const r400 = JSON.parse(out.rewriteResponse!(Buffer.from(JSON.stringify(upstream400)), { status: 400, contentType: 'application/json' }).toString());
    expect(r400).toEqual({ ...upstream400, silenced_devices: ['dev-2', 'other'] });
  });

  it('leaves answers without ids, and non-JSON answers, byte for byte', () => {
    const rewrite = rewriteAmplitudeResponse(new Map([['tok_A', 'patient-123']]), new Map());
    const ok = Buffer.from('{"code":200,"events_ingested":2,"payload_size_bytes":50,"server_upload_time":1}');
    expect(rewrite(ok, { status: 200, contentType: 'application/json' })).toBe(ok);
    const html = Buffer.from('<html>bad gateway</html>');
    expect(rewrite(html, { status: 502, contentType: 'text/html' })).toBe(html);
    const proto = Buffer.from('{"code":429,"throttled_users":{"__proto__":1}}');
    expect(JSON.parse(rewrite(proto, { status: 429, contentType: 'application/json' }).toString())).toEqual({ code: 429, throttled_users: { ['__proto__']: 1 } });
  });

  it('does not rewrite answers when no id changed', () => {
    const batch = events(req('POST', '/2/httpapi', json));
    expect(batch.encode(batch.events, batch.envelope).rewriteResponse).toBeUndefined();
  });
});

describe('amplitude wire format: legacy amplitude-js e= form', () => {
  const LEGACY = [
    { device_id: 'dev-1', user_id: 'patient-123', timestamp: 1795336768793, event_id: 1, session_id: 1795336768780, event_type: 'x', api_properties: { tracking_options: { city: false } }, library: { name: 'amplitude-js', version: '8.21.10' }, sequence_number: 4 },
  ];

  it('checksum is md5("2" + api key + e + upload_time), as amplitude-js computes it', () => {
    expect(legacyChecksum('2', 'k', '[]', '1')).toBe(createHash('md5').update('2k[]1').digest('hex'));
    // UTF-8, like blueimp-md5 in amplitude-js
    expect(legacyChecksum('2', 'k', '["é"]', '1')).toBe(createHash('md5').update(Buffer.from('2k["é"]1', 'utf8')).digest('hex'));
  });

  it('decodes the form and re-encodes it with the checksum recomputed over the scrubbed e', () => {
    const body = legacyForm(LEGACY);
    const batch = events(req('POST', '/', body, { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' }));
    expect(batch.events).toEqual(LEGACY);
    expect(batch.allOrNothing).toBe(false);
    expect(batch.emptyResponse).toEqual({ status: 200, body: 'success', contentType: 'text/plain' });

    const untouched = batch.encode(clone(LEGACY), undefined);
    expect(untouched.body!.toString()).toBe(body);

    const scrubbed = clone(LEGACY);
    scrubbed[0]!.user_id = 'tok_A';
    const out = batch.encode(scrubbed, undefined);
    const form = new URLSearchParams(out.body!.toString());
    expect([...form.keys()]).toEqual(['client', 'e', 'v', 'upload_time', 'checksum']);
    expect(form.get('e')).toBe(JSON.stringify(scrubbed));
    expect(form.get('checksum')).toBe(createHash('md5').update(`2amp_api_key${JSON.stringify(scrubbed)}1795336768800`).digest('hex'));
    expect(out.path).toBe('/');
  });

  it('drops unknown form fields and keeps a form without checksum without one', () => {
    const body = `client=k&e=${encodeURIComponent(JSON.stringify(LEGACY))}&v=2&upload_time=1&email=jane%40example.com`;
    const out = events(req('POST', '/', body)).encode(clone(LEGACY), undefined);
    expect(out.body!.toString()).toBe(`client=k&e=${new URLSearchParams({ e: JSON.stringify(LEGACY) }).toString().slice(2)}&v=2&upload_time=1`);
  });

  it.each([
    ['no e', 'client=k&v=2&upload_time=1'],
    ['two e fields', 'client=k&e=%5B%5D&e=%5B%5D'],
    ['e not JSON', 'client=k&e=%5Bx'],
    ['e not an array', 'client=k&e=%7B%7D'],
    ['e with a non-event', 'client=k&e=%5B1%5D'],
    ['no client', 'e=%5B%5D&v=2&upload_time=1'],
    ['a client of the wrong shape', 'client=a%20b&e=%5B%5D'],
    ['a checksum without upload_time', 'client=k&e=%5B%5D&v=2&checksum=0123456789abcdef0123456789abcdef'],
    ['JSON on the legacy path', '[]'],
  ])('refuses a legacy form with %s', (_label, body) => {
    expect(() => format.handle(req('POST', '/', body), limits)).toThrow(InputError);
  });
});

describe('amplitude wire format: paths and refusals', () => {
  it.each([
    ['GET', '/2/httpapi'], ['GET', '/'], ['POST', '/identify'], ['POST', '/sessions/v2/track'], ['POST', '/config'], ['OPTIONS', '/batch'],
  ])('%s %s is unknown', (method, path) => {
    expect(format.handle(req(method, path, json), limits).kind).toBe('unknown');
  });

  it.each([
    ['bad gzip', req('POST', '/2/httpapi', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01]))],
    ['bad gzip by Content-Encoding', req('POST', '/2/httpapi', 'not gzip', { 'content-encoding': 'gzip' })],
    ['not JSON', req('POST', '/2/httpapi', '{hello')],
    ['a form', req('POST', '/2/httpapi', 'api_key=k&events=%5B%5D')],
    ['a JSON array', req('POST', '/batch', '[]')],
    ['no events', req('POST', '/2/httpapi', '{"api_key":"k"}')],
    ['events not an array', req('POST', '/2/httpapi', '{"api_key":"k","events":{}}')],
    ['an event that is not an object', req('POST', '/2/httpapi', '{"api_key":"k","events":[{},"x"]}')],
    ['empty body', req('POST', '/2/httpapi', '')],
    ['invalid UTF-8', req('POST', '/2/httpapi', Buffer.from([0x7b, 0xff, 0x7d]))],
    ['unknown content-encoding', req('POST', '/2/httpapi', json, { 'content-encoding': 'br' })],
  ])('refuses %s with an InputError', (_label, r) => {
    expect(() => format.handle(r, limits)).toThrow(InputError);
  });

  it('stops a gzip bomb at the decoded-size limit', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
    expect(() => format.handle(req('POST', '/2/httpapi', bomb, { 'content-encoding': 'gzip' }), limits)).toThrow(/decompressed body exceeds 1048576 bytes/);
  });
});

describe('amplitude refusal answer', () => {
  it('tells the SDK to drop a batch the proxy refuses (code 400, every event silenced)', () => {
    const { amplitudeFormat } = require('../../src/formats/amplitude');
    const body = JSON.stringify({ api_key: 'k', events: [{ event_type: 'a' }, { event_type: 'b' }] });
    const handling = amplitudeFormat().handle(
      { method: 'POST', path: '/2/httpapi', query: new URLSearchParams(), headers: { 'content-type': 'application/json' }, body: Buffer.from(body), clientIp: '', publicBaseUrl: 'http://proxy' },
      { maxDecodedBytes: 1 << 20 },
    );
    expect(handling.kind).toBe('events');
    const refused = handling.batch.refusedResponse;
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body)).toEqual({ code: 400, error: expect.any(String), silenced_events: [0, 1] });
  });
});
