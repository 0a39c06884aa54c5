import * as zlib from 'node:zlib';
import { InputError } from '../../src/errors';
import { anonymousIdHeader, rudderConfigRewriter, rudderstackFormat } from '../../src/formats/rudderstack';
import type { DecodedBatch, IncomingRequest } from '../../src/formats/types';

const format = rudderstackFormat();
const limits = { maxDecodedBytes: 1024 * 1024 };
const ANON = '4a060ae1-1111-4222-8333-444455556666';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const EVENT = { userId: 'u1', type: 'identify', channel: 'web', anonymousId: ANON, messageId: 'm1', context: { traits: { plan: 'pro' }, sessionId: 1795336804274 } };
const EVENTS = [
  { userId: 'u1', event: 'Booked', properties: { plan: 'pro', note: 'é' }, type: 'track', channel: 'server', messageId: 'n1' },
  { userId: 'u1', anonymousId: 'a2', type: 'page', channel: 'server', messageId: 'n2' },
];
const BATCH = { batch: EVENTS, timestamp: '2026-11-22T08:36:14.611Z', sentAt: '2026-11-22T08:36:14.700Z' };
/** What the v3 browser SDK's XhrQueue sends with every event. */
const BROWSER_HEADERS = { 'content-type': 'application/json;charset=UTF-8', authorization: `Basic ${b64('wk:')}`, anonymousid: b64(ANON), sentat: '2026-11-22T08:36:14.700Z' };

function req(method: string, url: string, body: Buffer | string = '', headers: Record<string, string> = {}): IncomingRequest {
  const u = new URL(url, 'http://proxy');
  return { method, path: u.pathname, query: u.searchParams, headers, body: Buffer.from(body), clientIp: '203.0.113.7', publicBaseUrl: 'http://proxy.test/rs' };
}

function events(r: IncomingRequest): DecodedBatch {
  const h = format.handle(r, limits);
  if (h.kind !== 'events') throw new Error(`expected events, got ${h.kind}`);
  return h.batch;
}

describe('rudderstack wire format: events', () => {
  it.each(['/v1/track', '/v1/identify', '/v1/page', '/v1/group', '/v1/alias', '/v1/screen'])('reads one browser event on %s and writes it back', (path) => {
    const text = JSON.stringify(EVENT);
    const batch = events(req('POST', path, text, BROWSER_HEADERS));
    expect(batch.events).toEqual([EVENT]);
    expect(batch.envelope).toBeUndefined();
    const out = batch.encode(batch.events, undefined);
    expect(out.path).toBe(path);
    expect(out.body!.toString('utf8')).toBe(text);
    expect(out.headers.anonymousid).toBe(b64(ANON));
  });

  it('derives AnonymousId from the scrubbed anonymousId, never the received header', () => {
    const batch = events(req('POST', '/v1/track', JSON.stringify(EVENT), { ...BROWSER_HEADERS, anonymousid: b64('jane.doe@example.com') }));
    const scrubbed = { ...EVENT, anonymousId: '0b1c2d3e-aaaa-4bbb-8ccc-000011112222' };
    const out = batch.encode([scrubbed], undefined);
    expect(out.headers.anonymousid).toBe(b64(scrubbed.anonymousId));
    expect(JSON.parse(out.body!.toString()).anonymousId).toBe(scrubbed.anonymousId);
    // an event whose anonymousId was removed goes without the header
    const { anonymousId: _gone, ...without } = EVENT;
    expect(batch.encode([without], undefined).headers).toHaveProperty('anonymousid', undefined);
  });

  it('anonymousIdHeader: first event of a batch; nothing without a string id', () => {
    expect(anonymousIdHeader([{ anonymousId: 'x1' }, { anonymousId: 'x2' }])).toEqual({ anonymousid: b64('x1') });
    expect(anonymousIdHeader([{ anonymousId: 42 }])).toEqual({ anonymousid: undefined });
    expect(anonymousIdHeader([])).toEqual({ anonymousid: undefined });
  });

  it('rudder-sdk-node: gzip JSON labelled application/x-www-form-urlencoded on /v1/batch, re-gzipped', () => {
    const headers = { 'content-encoding': 'gzip', 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${b64('wk:')}` };
    const batch = events(req('POST', '/v1/batch', zlib.gzipSync(JSON.stringify(BATCH)), headers));
    expect(batch.events).toEqual(EVENTS);
    expect(batch.envelope).toEqual({ timestamp: BATCH.timestamp, sentAt: BATCH.sentAt });
    const out = batch.encode(batch.events, batch.envelope);
    expect(out.path).toBe('/v1/batch');
    expect(out.body![0]).toBe(0x1f);
    expect(JSON.parse(zlib.gunzipSync(out.body!).toString())).toEqual({ timestamp: BATCH.timestamp, sentAt: BATCH.sentAt, batch: EVENTS });
    // the SDK sent no AnonymousId header: none is added, and none could pass
    expect(out.headers).toHaveProperty('anonymousid', undefined);
    expect(out.headers).not.toHaveProperty('content-encoding');
  });

  it('rudder-sdk-node with gzip:false (plain JSON) stays plain', () => {
    const out = events(req('POST', '/v1/batch', JSON.stringify(BATCH), { 'content-type': 'application/json' })).encode(EVENTS, {});
    expect(out.body![0]).toBe(0x7b);
    expect(out.headers['content-encoding']).toBeUndefined();
  });

  it('the browser batch (/v1/batch with AnonymousId) derives the header from its first event', () => {
    const body = JSON.stringify({ batch: [EVENT, EVENTS[1]], sentAt: BATCH.sentAt });
    const out = events(req('POST', '/v1/batch', body, BROWSER_HEADERS)).encode([{ ...EVENT, anonymousId: 's1' }], { sentAt: BATCH.sentAt });
    expect(out.headers.anonymousid).toBe(b64('s1'));
  });

  it('beacon: text/plain batch, the write key is the only query key that goes', () => {
    const body = JSON.stringify({ batch: [EVENT], sentAt: BATCH.sentAt });
    const batch = events(req('POST', '/beacon/v1/batch?writeKey=2AbCdEf9_x&email=jane%40example.com', body, { 'content-type': 'text/plain;charset=UTF-8' }));
    expect(batch.events).toEqual([EVENT]);
    const out = batch.encode(batch.events, batch.envelope);
    expect(out.path).toBe('/beacon/v1/batch?writeKey=2AbCdEf9_x');
    expect(out.headers).toHaveProperty('anonymousid', undefined);
  });

  it.each([
    ['empty body', req('POST', '/v1/track', '')],
    ['not JSON', req('POST', '/v1/track', 'data=abc')],
    ['a JSON array', req('POST', '/v1/track', JSON.stringify(EVENTS))],
    ['invalid UTF-8', req('POST', '/v1/track', Buffer.from([0x7b, 0x22, 0xc3, 0x22, 0x7d]))],
    ['broken gzip', req('POST', '/v1/batch', Buffer.from([0x1f, 0x8b, 0x00]), { 'content-encoding': 'gzip' })],
    ['deflate', req('POST', '/v1/batch', JSON.stringify(BATCH), { 'content-encoding': 'deflate' })],
    ['batch path without batch', req('POST', '/v1/batch', JSON.stringify(EVENT))],
    ['batch with a non-object', req('POST', '/v1/batch', JSON.stringify({ batch: [1] }))],
    ['beacon without writeKey', req('POST', '/beacon/v1/batch', JSON.stringify(BATCH))],
    ['beacon with a write key of another shape', req('POST', '/beacon/v1/batch?writeKey=jane%40example.com', JSON.stringify(BATCH))],
  ])('refuses %s with an InputError', (_label, r) => {
    expect(() => format.handle(r, limits)).toThrow(InputError);
  });

  it('answers an all-dropped request like rudder-server', () => {
    expect(events(req('POST', '/v1/track', JSON.stringify(EVENT))).emptyResponse).toEqual({ status: 200, body: 'OK', contentType: 'text/plain; charset=utf-8' });
  });
});

describe('rudderstack wire format: source config, metrics, unknown', () => {
  it('passes /sourceConfig/ through with only the SDK parameters, each in its shape', () => {
    const h = format.handle(req('GET', '/sourceConfig/?p=npm&v=3.34.1&build=modern&writeKey=2AbC&lockIntegrationsVersion=true&lockPluginsVersion=true&email=jane%40example.com&v=x@y'), limits);
    expect(h.kind).toBe('passthrough');
    if (h.kind !== 'passthrough') return;
    expect(h.path).toBe('/sourceConfig/?p=npm&v=3.34.1&build=modern&writeKey=2AbC&lockIntegrationsVersion=true&lockPluginsVersion=true');
    expect(h.rewriteResponse).toBe(rudderConfigRewriter);
    expect(format.handle(req('GET', '/sourceConfig?writeKey=2AbC'), limits)).toMatchObject({ kind: 'passthrough', path: '/sourceConfig/?writeKey=2AbC' });
  });

  it('removes device-mode destinations from the source config and keeps the rest', () => {
    const config = {
      isHosted: true,
      source: { id: 's1', name: 'web', writeKey: '2AbC', enabled: true, workspaceId: 'w1', config: { statsCollection: { errors: { enabled: false } } }, destinations: [{ id: 'd1', config: { connectionMode: 'device' } }] },
      updatedAt: '2026-11-22T08:36:14.611Z',
    };
    const out = JSON.parse(rudderConfigRewriter(Buffer.from(JSON.stringify(config)), { status: 200, contentType: 'application/json' }).toString());
    expect(out).toEqual({ ...config, source: { ...config.source, destinations: [] } });
    expect(rudderConfigRewriter(Buffer.from('nope'), { status: 200, contentType: 'text/plain' }).toString()).toBe('nope');
    expect(rudderConfigRewriter(Buffer.from('{"x":1}'), { status: 200, contentType: 'application/json' }).toString()).toBe('{"x":1}');
    expect(rudderConfigRewriter(Buffer.from('{"source":{"destinations":[1]}}'), { status: 500, contentType: 'application/json' }).toString()).toBe('{"source":{"destinations":[1]}}');
  });

  it('answers SDK error reports (/rsaMetrics) locally', () => {
    const h = format.handle(req('POST', '/rsaMetrics', JSON.stringify({ errors: { events: [{ user: { id: 'jane' } }] } })), limits);
    expect(h).toMatchObject({ kind: 'respond', response: { status: 200 } });
  });

  it.each([
    ['GET', '/v1/track'],
    ['POST', '/v1/t'],
    ['POST', '/v1/import'],
    ['POST', '/transform'],
    ['POST', '/sourceConfig/'],
    ['GET', '/beacon/v1/batch'],
    ['POST', '/v2/batch'],
    ['GET', '/'],
  ])('%s %s is unknown', (method, path) => {
    expect(format.handle(req(method, path, method === 'GET' ? '' : JSON.stringify(EVENT)), limits)).toEqual({ kind: 'unknown' });
  });
});
