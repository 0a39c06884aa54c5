// recorded shapes, not a real SDK: gtag.js is not on npm
//
// GA4 wire format, byte level. The /g/collect hits below are shaped after hits recorded from
// gtag.js in the wild (parameter names and order as gtag sends them; sources: d8a's GA4 collector
// `pkg/protocol/ga4`, Amplitude's GA forwarder, shared/wire-formats.md §6) and the Measurement
// Protocol bodies after Google's reference. None of them was produced by gtag.js here.
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { loadConfig, loadRulePacks } from '../../src/config/load';
import { compilePlan } from '../../src/engine/compile';
import { InputError } from '../../src/errors';
import { clientIdShape, ga4Format } from '../../src/formats/ga4';
import type { DecodedBatch, IncomingRequest } from '../../src/formats/types';
import { scrubBatch } from '../../src/proxy/pipeline';
import { TokenVault } from '../../src/vault/token-vault';

const format = ga4Format();
const limits = { maxDecodedBytes: 1024 * 1024 };

function req(method: string, url: string, body: Buffer | string = '', headers: Record<string, string> = {}): IncomingRequest {
  const u = new URL(url, 'http://proxy');
  return { method, path: u.pathname, query: u.searchParams, headers, body: Buffer.from(body), clientIp: '203.0.113.7', publicBaseUrl: 'http://proxy' };
}

function events(r: IncomingRequest): DecodedBatch {
  const h = format.handle(r, limits);
  if (h.kind !== 'events') throw new Error(`expected events, got ${h.kind}`);
  return h.batch;
}

/** A page_view hit as gtag sends it: everything in the query, empty body (sendBeacon). */
const PAGE_VIEW_QUERY =
  'v=2&tid=G-ABC123XYZ9&gtm=45je4bk0v9181813597za200&_p=1731234567890&gcs=G111&gcd=13l3l3l3l1l1&npa=0&dma=0' +
  '&cid=1234567890.1731234567&ul=en-us&sr=1920x1080&uaa=x86&uab=64&uamb=0&uap=Windows&uapv=15.0.0&uaw=0&_s=1' +
  '&sid=1731234567&sct=1&seg=0&dl=https%3A%2F%2Fclinic.example.com%2Fbook%3Fpatient%3D123&dt=Book%20an%20appointment' +
  '&en=page_view&_fv=1&_nsi=1&_ss=1&_ee=1&tfd=1234';
/** A batched hit: shared parameters in the query, one event per body line. */
const SHARED_QUERY = 'v=2&tid=G-ABC123XYZ9&_p=1731234567890&cid=1234567890.1731234567&ul=en-us&_s=3&sid=1731234567&sct=1&seg=1&dl=https%3A%2F%2Fclinic.example.com%2F&dt=Home';
const LINES = ['en=scroll&ep.percent_scrolled=90&_et=5021&tfd=15000', 'en=user_engagement&_et=12000&tfd=27000'];

describe('ga4 /g/collect', () => {
  it('decodes a single-event hit from the query and re-encodes it byte for byte', () => {
    const r = req('POST', `/g/collect?${PAGE_VIEW_QUERY}`, '', { 'content-type': 'text/plain;charset=UTF-8' });
    const batch = events(r);
    expect(batch.events).toHaveLength(1);
    expect(batch.events[0]).toMatchObject({ v: '2', tid: 'G-ABC123XYZ9', en: 'page_view', dl: 'https://clinic.example.com/book?patient=123', dt: 'Book an appointment' });
    const out = batch.encode(batch.events, undefined);
    expect(out.path).toBe(`/g/collect?${PAGE_VIEW_QUERY}`);
    expect(out.body!.length).toBe(0);
  });

  it('keeps a GET pixel hit a GET with no body', () => {
    const batch = events(req('GET', `/g/collect?${PAGE_VIEW_QUERY}`));
    const out = batch.encode(batch.events, undefined);
    expect(out.path).toBe(`/g/collect?${PAGE_VIEW_QUERY}`);
    expect(out.body).toBeUndefined();
  });

  it('merges the shared query into each body line and splits it back the same way', () => {
    const body = LINES.join('\r\n');
    const batch = events(req('POST', `/g/collect?${SHARED_QUERY}`, body));
    expect(batch.events).toEqual([
      expect.objectContaining({ cid: '1234567890.1731234567', dl: 'https://clinic.example.com/', en: 'scroll', ep: { percent_scrolled: '90' }, _et: '5021' }),
      expect.objectContaining({ cid: '1234567890.1731234567', dt: 'Home', en: 'user_engagement', _et: '12000' }),
    ]);
    const out = batch.encode(batch.events, undefined);
    expect(out.path).toBe(`/g/collect?${SHARED_QUERY}`);
    expect(out.body!.toString()).toBe(body);
  });

  it('keeps \\n separators and a trailing separator as they came', () => {
    const body = LINES.join('\n') + '\n';
    const batch = events(req('POST', `/g/collect?${SHARED_QUERY}`, body));
    expect(batch.encode(batch.events, undefined).body!.toString()).toBe(body);
  });

  it('lets a line override a shared parameter, and keeps the override in the line', () => {
    const batch = events(req('POST', '/g/collect?v=2&tid=G-ABC123XYZ9&dt=Home&en=page_view', 'en=scroll&dt=Other\r\nep.x=1'));
    expect(batch.events).toEqual([
      { v: '2', tid: 'G-ABC123XYZ9', dt: 'Other', en: 'scroll' },
      { v: '2', tid: 'G-ABC123XYZ9', dt: 'Home', en: 'page_view', ep: { x: '1' } },
    ]);
    const out = batch.encode(batch.events, undefined);
    expect(out.path).toBe('/g/collect?v=2&tid=G-ABC123XYZ9&dt=Home&en=page_view');
    expect(out.body!.toString()).toBe('en=scroll&dt=Other\r\nep.x=1');
  });

  it('moves a shared parameter into the lines when scrubbing made the events disagree', () => {
    const batch = events(req('POST', `/g/collect?${SHARED_QUERY}`, LINES.join('\r\n')));
    const [a, b] = batch.events as Record<string, unknown>[];
    a!.dt = '[NAME]'; // as if a rule had changed it in the first event only
    delete b!.sid;
    const out = batch.encode([a, b], undefined);
    const query = new URLSearchParams(out.path.split('?')[1]);
    expect(query.has('dt')).toBe(false);
    expect(query.has('sid')).toBe(false);
    expect(out.body!.toString().split('\r\n')).toEqual([`${LINES[0]}&sid=1731234567&dt=%5BNAME%5D`, `${LINES[1]}&dt=Home`]);
  });

  it('drops lines of dropped events and shared parameters nobody reads any more', () => {
    const batch = events(req('POST', '/g/collect?v=2&tid=G-ABC123XYZ9&en=page_view', 'en=a\r\nen=b&ep.k=v'));
    const out = batch.encode([batch.events[1]], undefined);
    expect(out.path).toBe('/g/collect?v=2&tid=G-ABC123XYZ9');
    expect(out.body!.toString()).toBe('en=b&ep.k=v');
  });

  it('groups custom parameters so property-name rules see their names', () => {
    const batch = events(req('POST', '/g/collect?v=2&tid=G-ABC123XYZ9&en=sign_up&ep.email=jane%40example.com&epn.value=12.5&up.first_name=Jane&upn.age=93'));
    expect(batch.events[0]).toEqual({ v: '2', tid: 'G-ABC123XYZ9', en: 'sign_up', ep: { email: 'jane@example.com' }, epn: { value: '12.5' }, up: { first_name: 'Jane' }, upn: { age: '93' } });
    const out = batch.encode(batch.events, undefined);
    expect(out.path).toBe('/g/collect?v=2&tid=G-ABC123XYZ9&en=sign_up&ep.email=jane%40example.com&epn.value=12.5&up.first_name=Jane&upn.age=93');
  });

  it('never forwards an IP override, and drops kept metadata that lacks its shape', () => {
    const batch = events(req('POST', '/g/collect?v=2&tid=G-ABC123XYZ9&_uip=198.51.100.7&sid=jane%40example.com&sr=1920x1080&en=x', 'en=y&uip=198.51.100.8'));
    expect(batch.events).toEqual([{ v: '2', tid: 'G-ABC123XYZ9', sr: '1920x1080', en: 'y' }]);
    const out = batch.encode(batch.events, undefined);
    expect(out.path).toBe('/g/collect?v=2&tid=G-ABC123XYZ9&sr=1920x1080');
    expect(out.body!.toString()).toBe('en=y');
  });

  it('maps a client-id surrogate into GA\'s digits.digits shape, deterministically', () => {
    const batch = events(req('GET', '/g/collect?v=2&tid=G-ABC123XYZ9&cid=1234567890.1731234567&en=x'));
    (batch.events[0] as Record<string, unknown>).cid = 'tok_AAAAAAAAAAAAAAAAAAAA';
    const cid = new URLSearchParams(batch.encode(batch.events, undefined).path.split('?')[1]).get('cid')!;
    expect(cid).toMatch(/^\d{9}\.\d{10}$/);
    expect(cid).toBe(clientIdShape('tok_AAAAAAAAAAAAAAAAAAAA'));
    expect(clientIdShape('tok_BBBBBBBBBBBBBBBBBBBB')).not.toBe(cid);
    expect(clientIdShape('1234567890.1731234567')).toBe('1234567890.1731234567');
  });

  it('re-encodes parameter names the engine rewrote', () => {
    const batch = events(req('POST', '/g/collect?v=2&tid=G-ABC123XYZ9', 'en=x&ep.a=1'));
    const ev = batch.events[0] as { ep: Record<string, unknown> };
    ev.ep['[EMAIL]'] = 'yes';
    expect(batch.encode(batch.events, undefined).body!.toString()).toBe('en=x&ep.a=1&ep.%5BEMAIL%5D=yes');
  });

  it('reads a gzip body signalled by Content-Encoding and forwards it plain', () => {
    const batch = events(req('POST', `/g/collect?${SHARED_QUERY}`, zlib.gzipSync(LINES.join('\r\n')), { 'content-encoding': 'gzip' }));
    const out = batch.encode(batch.events, undefined);
    expect(out.body!.toString()).toBe(LINES.join('\r\n'));
    expect(out.headers).toHaveProperty('content-encoding', undefined);
  });

  it('answers 204 when every event was dropped', () => {
    expect(events(req('GET', `/g/collect?${PAGE_VIEW_QUERY}`)).emptyResponse).toEqual({ status: 204, body: '', contentType: 'text/plain' });
  });

  it.each([
    ['malformed percent-encoding in a line', req('POST', '/g/collect?v=2', 'en=x&ep.a=%E9')],
    ['bytes that are not UTF-8', req('POST', '/g/collect?v=2', Buffer.from([0x65, 0x6e, 0x3d, 0xff]))],
    ['bad gzip', req('POST', '/g/collect?v=2', Buffer.from([0x1f, 0x8b, 0x08, 0x00]), { 'content-encoding': 'gzip' })],
    ['an unknown content-encoding', req('POST', '/g/collect?v=2', 'en=x', { 'content-encoding': 'br' })],
    ['a parameter named like a group', req('GET', '/g/collect?v=2&ep=1')],
  ])('refuses %s with an InputError', (_label, r) => {
    expect(() => format.handle(r, limits)).toThrow(InputError);
  });

  it.each([
    ['GET', '/gtag/js'], ['GET', '/collect'], ['POST', '/j/collect'], ['PUT', '/g/collect'], ['GET', '/mp/collect'], ['POST', '/g/collect/extra'],
  ])('%s %s is unknown', (method, p) => {
    expect(format.handle(req(method, p), limits).kind).toBe('unknown');
  });
});

const MP_BODY = {
  client_id: '123456.7654321',
  user_id: 'patient-4711',
  timestamp_micros: '1731234567890123',
  user_properties: { plan: { value: 'pro' }, email: { value: 'jane@example.com' } },
  consent: { ad_user_data: 'GRANTED', ad_personalization: 'DENIED' },
  user_data: { sha256_email_address: ['f1d2d2f924e986ac86fdf7b36c94bcdf32beec15'], address: [{ sha256_first_name: 'ab', city: 'springfield' }] },
  ip_override: '198.51.100.7',
  user_location: { city: 'Springfield', region_id: 'US-IL', country_id: 'US' },
  device: { category: 'desktop', language: 'en', browser: 'Chrome', browser_version: '130.0.6723.117' },
  events: [
    { name: 'page_view', params: { session_id: '1731234567', engagement_time_msec: '100', page_location: 'https://clinic.example.com/patients/4711?x=1', page_title: 'Home' } },
    { name: 'purchase', params: { session_id: 'jane@example.com', value: 12.5, currency: 'USD' } },
  ],
};

describe('ga4 Measurement Protocol', () => {
  const url = '/mp/collect?measurement_id=G-ABC123XYZ9&api_secret=s3cr3t_Value-1&email=jane%40example.com';

  it('hands each event to the engine, keeps the envelope apart and removes user_data and ip_override', () => {
    const batch = events(req('POST', url, JSON.stringify(MP_BODY), { 'content-type': 'application/json' }));
    expect(batch.events).toHaveLength(2);
    expect(batch.events[0]).toEqual(MP_BODY.events[0]);
    // a session id that is not digits cannot be kept as metadata: it goes
    expect(batch.events[1]).toEqual({ name: 'purchase', params: { value: 12.5, currency: 'USD' } });
    expect(Object.keys(batch.envelope!)).toEqual(['client_id', 'user_id', 'timestamp_micros', 'user_properties', 'consent', 'user_location', 'device']);
  });

  it('re-encodes the body in its own key order with only the allowed query keys', () => {
    const batch = events(req('POST', url, JSON.stringify(MP_BODY)));
    const out = batch.encode(batch.events, batch.envelope);
    expect(out.path).toBe('/mp/collect?measurement_id=G-ABC123XYZ9&api_secret=s3cr3t_Value-1');
    expect(out.headers['content-type']).toBe('application/json');
    const json = JSON.parse(out.body!.toString());
    expect(Object.keys(json)).toEqual(['client_id', 'user_id', 'timestamp_micros', 'user_properties', 'consent', 'user_location', 'device', 'events']);
    expect(json.client_id).toBe('123456.7654321');
    expect(json).not.toHaveProperty('user_data');
    expect(json).not.toHaveProperty('ip_override');
  });

  it('answers the debug endpoint with an empty validation result when everything was dropped', () => {
    const batch = events(req('POST', '/debug/mp/collect?measurement_id=G-ABC123XYZ9&api_secret=s3cr3t_Value-1', JSON.stringify(MP_BODY)));
    expect(batch.emptyResponse).toEqual({ status: 200, body: '{"validationMessages":[]}', contentType: 'application/json' });
    expect(events(req('POST', url, JSON.stringify(MP_BODY))).emptyResponse.status).toBe(204);
  });

  it.each([
    ['an empty body', ''],
    ['not JSON', 'client_id=1'],
    ['no events array', '{"client_id":"1.2"}'],
    ['an event that is not an object', '{"client_id":"1.2","events":["page_view"]}'],
  ])('refuses %s', (_label, body) => {
    expect(() => format.handle(req('POST', url, body), limits)).toThrow(InputError);
  });
});

describe('ga4 with its rule pack and the Safe Harbor pack', () => {
  const config = loadConfig(undefined);
  const packs = [...loadRulePacks([path.resolve(__dirname, '../../rules/ga4.yaml')], config.baseDir), ...config.packs];
  const plan = compilePlan({ ...config, packs }, { pseudonymizer: new TokenVault() });

  it('scrubs a batched gtag hit end to end and keeps GA\'s metadata intact', () => {
    const query = `${SHARED_QUERY.replace('dt=Home', 'dt=Jane%20Doe%20-%20Patient%20Portal')}&uid=patient-4711&_uip=198.51.100.7&up.email=jane%40example.com`;
    const body = ['en=booked&ep.phone=617-555-0123&ep.note=Call%20Jane%20Doe%20at%20617-555-0123&epn.slot_count=3&_et=5021', 'en=user_engagement&_et=12000'].join('\r\n');
    const batch = events(req('POST', `/g/collect?${query}`, body));
    const outcome = scrubBatch(plan, batch);
    const out = outcome.outgoing!;
    const q = new URLSearchParams(out.path.split('?')[1]);
    expect(q.get('v')).toBe('2');
    expect(q.get('tid')).toBe('G-ABC123XYZ9');
    expect(q.get('sid')).toBe('1731234567');
    expect(q.get('_p')).toBe('1731234567890');
    expect(q.get('dl')).toBe('https://clinic.example.com/');
    expect(q.get('cid')).toMatch(/^\d{9}\.\d{10}$/);
    expect(q.get('cid')).not.toBe('1234567890.1731234567');
    expect(q.get('uid')).toMatch(/^tok_/);
    expect(q.get('up.email')).toBe('[EMAIL]');
    expect(q.has('_uip')).toBe(false);
    const text = decodeURIComponent(out.path) + out.body!.toString();
    for (const planted of ['Jane', '617-555-0123', 'patient-4711', 'jane@example.com', '198.51.100.7']) expect(text).not.toContain(planted);
    const lines = out.body!.toString().split('\r\n').map((l) => new URLSearchParams(l));
    expect(lines[0]!.get('en')).toBe('booked');
    expect(lines[0]!.get('epn.slot_count')).toBe('3');
    expect(lines[1]!.get('_et')).toBe('12000');
  });

  it('scrubs a Measurement Protocol body and keeps client ids joinable with gtag hits', () => {
    const hit = scrubBatch(plan, events(req('GET', '/g/collect?v=2&tid=G-ABC123XYZ9&cid=123456.7654321&en=x'))).outgoing!;
    const batch = events(req('POST', '/mp/collect?measurement_id=G-ABC123XYZ9&api_secret=s3cr3t_Value-1', JSON.stringify(MP_BODY)));
    const json = JSON.parse(scrubBatch(plan, batch).outgoing!.body!.toString());
    expect(json.client_id).toBe(new URLSearchParams(hit.path.split('?')[1]).get('cid'));
    expect(json.user_id).toMatch(/^tok_/);
    expect(json.timestamp_micros).toBe('1731234567890123');
    expect(json.user_location).toEqual({ region_id: 'US-IL', country_id: 'US' });
    expect(json.user_properties).toEqual({ plan: { value: 'pro' }, email: { value: '[EMAIL]' } });
    expect(json.events[0].params.session_id).toBe('1731234567');
    expect(json.events[0].params.page_location).toBe('https://clinic.example.com/patients/:id');
    expect(json.device).toEqual(MP_BODY.device);
    expect(JSON.stringify(json)).not.toMatch(/patient-4711|jane@example\.com|198\.51\.100\.7|Springfield|sha256/i);
  });
});
