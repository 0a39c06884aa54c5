import * as zlib from 'node:zlib';
import { InputError } from '../../src/errors';
import { segmentFormat, segmentSettingsRewriter, verifiedMetrics } from '../../src/formats/segment';
import type { DecodedBatch, IncomingRequest } from '../../src/formats/types';

const format = segmentFormat();
const limits = { maxDecodedBytes: 1024 * 1024 };
const EVENT = { type: 'track', event: 'Plan Upgraded', userId: 'u1', properties: { plan: 'pro', note: 'é' }, messageId: 'm1', writeKey: 'wk_1', sentAt: '2026-11-22T08:36:14.611Z' };
const EVENTS = [{ type: 'identify', userId: 'u1', traits: { plan: 'pro' }, messageId: 'm1' }, { type: 'track', event: 'x', anonymousId: 'a1', messageId: 'm2' }];
const BATCH = { batch: EVENTS, writeKey: 'wk_1', sentAt: '2026-11-22T08:36:14.611Z' };

function req(method: string, url: string, body: Buffer | string = '', headers: Record<string, string> = {}, publicBaseUrl = 'http://proxy.test:8080/seg'): IncomingRequest {
  const u = new URL(url, 'http://proxy');
  return { method, path: u.pathname, query: u.searchParams, headers, body: Buffer.from(body), clientIp: '203.0.113.7', publicBaseUrl };
}

function events(r: IncomingRequest): DecodedBatch {
  const h = format.handle(r, limits);
  if (h.kind !== 'events') throw new Error(`expected events, got ${h.kind}`);
  return h.batch;
}

function jsonOf(body: Buffer | undefined, gzip = false): unknown {
  return JSON.parse((gzip ? zlib.gunzipSync(body!) : body!).toString('utf8'));
}

describe('segment wire format: events', () => {
  it.each(['/v1/t', '/v1/i', '/v1/p', '/v1/g', '/v1/a', '/v1/s', '/v1/track', '/v1/identify', '/v1/page', '/v1/group', '/v1/alias', '/v1/screen'])(
    'reads one event on %s (text/plain JSON) and writes it back byte for byte',
    (path) => {
      const text = JSON.stringify(EVENT);
      const batch = events(req('POST', path, text, { 'content-type': 'text/plain' }));
      expect(batch.events).toEqual([EVENT]);
      expect(batch.envelope).toBeUndefined();
      const out = batch.encode(batch.events, undefined);
      expect(out.path).toBe(path);
      expect(out.body!.toString('utf8')).toBe(text);
      expect(out.headers).toEqual({ 'content-encoding': undefined });
    },
  );

  it.each(['/v1/b', '/v1/batch', '/v1/import'])('reads a batch on %s: events plus envelope, same shape back', (path) => {
    const batch = events(req('POST', path, JSON.stringify(BATCH), { 'content-type': 'application/json' }));
    expect(batch.events).toEqual(EVENTS);
    expect(batch.envelope).toEqual({ writeKey: 'wk_1', sentAt: BATCH.sentAt });
    const out = batch.encode([EVENTS[1]], batch.envelope);
    expect(out.path).toBe(path);
    expect(jsonOf(out.body)).toEqual({ writeKey: 'wk_1', sentAt: BATCH.sentAt, batch: [EVENTS[1]] });
  });

  it('a batch on a single-event path of the HTTP API is read as a batch', () => {
    expect(events(req('POST', '/v1/track', JSON.stringify(BATCH))).events).toEqual(EVENTS);
  });

  it('gzip by Content-Encoding is decoded and re-compressed', () => {
    const batch = events(req('POST', '/v1/batch', zlib.gzipSync(JSON.stringify(BATCH)), { 'content-encoding': 'gzip', 'content-type': 'application/json' }));
    expect(batch.events).toEqual(EVENTS);
    const out = batch.encode(batch.events, batch.envelope);
    expect(out.body![0]).toBe(0x1f);
    expect(out.headers).not.toHaveProperty('content-encoding');
    expect(jsonOf(out.body, true)).toEqual({ writeKey: 'wk_1', sentAt: BATCH.sentAt, batch: EVENTS });
  });

  it('gzip by magic bytes only goes on as plain JSON', () => {
    const batch = events(req('POST', '/v1/batch', zlib.gzipSync(JSON.stringify(BATCH)), { 'content-type': 'text/plain' }));
    const out = batch.encode(batch.events, batch.envelope);
    expect(out.body![0]).toBe(0x7b);
    expect(out.headers['content-encoding']).toBeUndefined();
    expect(out.headers['content-type']).toBe('application/json');
  });

  it('a trailing slash is accepted and dropped; query strings never go', () => {
    const out = events(req('POST', '/v1/t/?email=jane%40example.com', JSON.stringify(EVENT))).encode([EVENT], undefined);
    expect(out.path).toBe('/v1/t');
  });

  it.each([
    ['empty body', req('POST', '/v1/t', '')],
    ['not JSON', req('POST', '/v1/t', 'hello')],
    ['a JSON array', req('POST', '/v1/t', JSON.stringify(EVENTS))],
    ['a JSON string', req('POST', '/v1/t', '"x"')],
    ['truncated JSON', req('POST', '/v1/b', JSON.stringify(BATCH).slice(0, 30))],
    ['invalid UTF-8', req('POST', '/v1/t', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]))],
    ['broken gzip', req('POST', '/v1/batch', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01]))],
    ['gzip header on plain JSON', req('POST', '/v1/batch', JSON.stringify(BATCH), { 'content-encoding': 'gzip' })],
    ['brotli', req('POST', '/v1/batch', JSON.stringify(BATCH), { 'content-encoding': 'br' })],
    ['batch path without batch', req('POST', '/v1/batch', JSON.stringify(EVENT))],
    ['batch that is not an array', req('POST', '/v1/b', JSON.stringify({ batch: { a: 1 } }))],
    ['batch item that is not an object', req('POST', '/v1/b', JSON.stringify({ batch: [EVENTS[0], 'jane@example.com'] }))],
  ])('refuses %s with an InputError', (_label, r) => {
    expect(() => format.handle(r, limits)).toThrow(InputError);
  });

  it('refuses a gzip bomb (413)', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20));
    let error: unknown;
    try {
      format.handle(req('POST', '/v1/batch', bomb, { 'content-encoding': 'gzip' }), limits);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).status).toBe(413);
  });

  it('answers an all-dropped request like api.segment.io', () => {
    expect(events(req('POST', '/v1/t', JSON.stringify(EVENT))).emptyResponse).toEqual({ status: 200, body: '{"success":true}', contentType: 'application/json' });
  });
});

describe('segment wire format: settings, assets, metrics, unknown', () => {
  const SETTINGS = {
    integrations: {
      'Segment.io': { apiKey: 'wk_1', apiHost: 'api.segment.io/v1', unbundledIntegrations: ['Mixpanel'], deliveryStrategy: { strategy: 'batching', config: { size: 10, timeout: 500 } } },
      Mixpanel: { bundlingStatus: 'unbundled', token: 'x' },
      'Google Analytics': { bundlingStatus: 'bundled', trackingId: 'UA-1' },
      'Facebook Pixel': { pixelId: '1' },
    },
    remotePlugins: [{ name: 'Amplitude (Actions)', url: 'https://cdn.segment.com/next-integrations/actions/amplitude.js', settings: {} }],
    metrics: { sampleRate: 0.1 },
    plan: { track: { __default: { enabled: true } } },
  };

  it('passes the settings through to the CDN and rewrites them to point back at the proxy', () => {
    const h = format.handle(req('GET', '/v1/projects/wk_1/settings?email=x'), limits);
    expect(h.kind).toBe('passthrough');
    if (h.kind !== 'passthrough') return;
    expect(h.path).toBe('/v1/projects/wk_1/settings');
    const out = JSON.parse(h.rewriteResponse!(Buffer.from(JSON.stringify(SETTINGS)), { status: 200, contentType: 'application/json' }).toString('utf8'));
    expect(out.integrations['Segment.io']).toEqual({ ...SETTINGS.integrations['Segment.io'], apiHost: 'proxy.test:8080/seg/v1', protocol: 'http' });
    // cloud-mode destinations stay; device-mode ones (bundled, or no bundlingStatus) and remote plugins go
    expect(Object.keys(out.integrations)).toEqual(['Segment.io', 'Mixpanel']);
    expect(out.remotePlugins).toEqual([]);
    expect(out.metrics).toEqual({ sampleRate: 0.1, host: 'proxy.test:8080/seg/v1' });
    expect(out.plan).toEqual(SETTINGS.plan);
  });

  it('the apiHost follows the public URL: https, root prefix', () => {
    const rewrite = segmentSettingsRewriter('https://collect.example.org');
    const out = JSON.parse(rewrite(Buffer.from(JSON.stringify({ integrations: { 'Segment.io': { apiKey: 'k' } } })), { status: 200, contentType: '' }).toString());
    expect(out.integrations['Segment.io']).toEqual({ apiKey: 'k', apiHost: 'collect.example.org/v1', protocol: 'https' });
    expect(out.metrics).toEqual({ host: 'collect.example.org/v1' });
  });

  it('leaves error answers and non-JSON bodies alone (the SDK then sends nothing)', () => {
    const rewrite = segmentSettingsRewriter('http://p/seg');
    expect(rewrite(Buffer.from('{"errors":[]}'), { status: 404, contentType: 'application/json' }).toString()).toBe('{"errors":[]}');
    expect(rewrite(Buffer.from('<html>'), { status: 200, contentType: 'text/html' }).toString()).toBe('<html>');
    expect(rewrite(Buffer.from('[1]'), { status: 200, contentType: 'application/json' }).toString()).toBe('[1]');
  });

  it('refuses settings for a write key of another shape', () => {
    expect(format.handle(req('GET', '/v1/projects/jane@example.com/settings'), limits).kind).toBe('unknown');
  });

  it.each([
    '/analytics.js/v1/wk_1/analytics.min.js',
    '/analytics-next/bundles/ajs-destination.bundle.40628baed746e9904edc.js',
    '/next-integrations/middleware/schemaFilter/latest/schemaFilter.js.gz',
  ])('passes the CDN script %s through unchanged, without its query', (path) => {
    expect(format.handle(req('GET', `${path}?u=jane%40example.com`), limits)).toEqual({ kind: 'passthrough', path });
  });

  const METRICS = {
    series: [
      { type: 'Counter', metric: 'analytics_js.invoke', value: 1, tags: { library: 'analytics.js', library_version: 'npm:next-1.84.3' } },
      { type: 'Counter', metric: 'analytics_js.integration.invoke', value: 1, tags: { method: 'track', integration_name: 'Google Analytics 4 Web', type: 'classic', library: 'analytics.js', library_version: 'web' } },
    ],
  };

  it('forwards SDK metrics of the counter shape, re-serialized', () => {
    const h = format.handle(req('POST', '/v1/m', JSON.stringify(METRICS), { 'content-type': 'text/plain' }), limits);
    expect(h.kind).toBe('events');
    if (h.kind !== 'events') return;
    expect(h.batch.events).toEqual([]);
    const out = h.batch.encode([], undefined);
    expect(out.path).toBe('/v1/m');
    expect(jsonOf(out.body)).toEqual(METRICS);
  });

  it.each([
    ['an extra top-level key', { ...METRICS, user: 'jane' }],
    ['an extra series key', { series: [{ ...METRICS.series[0], userId: 'u' }] }],
    ['another metric family', { series: [{ ...METRICS.series[0], metric: 'jane.doe@example.com' }] }],
    ['an email in a tag', { series: [{ ...METRICS.series[0], tags: { plugin: 'jane@example.com' } }] }],
    ['a non-string tag', { series: [{ ...METRICS.series[0], tags: { plugin: { a: 1 } } }] }],
    ['a string value', { series: [{ ...METRICS.series[0], value: '1' }] }],
  ])('answers metrics with %s locally, without forwarding', (_label, body) => {
    const h = format.handle(req('POST', '/v1/m', JSON.stringify(body)), limits);
    expect(h.kind).toBe('respond');
    expect(verifiedMetrics(req('POST', '/v1/m', JSON.stringify(body)), limits)).toBeUndefined();
  });

  it('answers undecodable metrics locally too', () => {
    expect(format.handle(req('POST', '/v1/m', 'garbage'), limits).kind).toBe('respond');
  });

  it.each([
    ['GET', '/v1/t'],
    ['POST', '/v1/projects/wk_1/settings'],
    ['POST', '/v1/x'],
    ['POST', '/e/'],
    ['GET', '/v1/batch'],
    ['PUT', '/v1/batch'],
    ['GET', '/next-integrations/../secret'],
    ['GET', '/'],
  ])('%s %s is unknown', (method, path) => {
    expect(format.handle(req(method, path, method === 'GET' ? '' : JSON.stringify(EVENT)), limits)).toEqual({ kind: 'unknown' });
  });
});
