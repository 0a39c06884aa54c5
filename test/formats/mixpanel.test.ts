import * as zlib from 'node:zlib';
import { InputError } from '../../src/errors';
import { mixpanelFormat } from '../../src/formats/mixpanel';
import type { DecodedBatch, IncomingRequest } from '../../src/formats/types';

const format = mixpanelFormat();
const limits = { maxDecodedBytes: 1024 * 1024 };
const EVENTS = [
  { event: 'Appointment Booked', properties: { distinct_id: 'patient-123', token: 'mp_token', note: 'é ✓', time: 1795336751.021 } },
  { event: '$mp_web_page_view', properties: { distinct_id: 'u2', token: 'mp_token' } },
];
const json = JSON.stringify(EVENTS);
const b64 = Buffer.from(json).toString('base64');
const FORM = 'application/x-www-form-urlencoded';

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
  const headers = Object.fromEntries(Object.entries({ ...r.headers, ...out.headers }).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const again = events(req(r.method, out.path, out.body ?? Buffer.alloc(0), headers));
  return { batch, out, again };
}

describe('mixpanel wire format', () => {
  it.each([
    ['XHR form data=<base64> (mixpanel-browser)', req('POST', '/track/?verbose=1&ip=1&_=1795336751021', `data=${encodeURIComponent(b64)}`, { 'content-type': FORM })],
    ['sendBeacon form labelled text/plain', req('POST', '/track/?ip=1&_=1', `data=${encodeURIComponent(b64)}`, { 'content-type': 'text/plain;charset=UTF-8' })],
    ['form data=<raw JSON> (api_payload_format json)', req('POST', '/track/?ip=1', `data=${encodeURIComponent(json)}`, { 'content-type': FORM })],
    ['GET ?data=<base64> (mixpanel-node)', req('GET', `/track?ip=0&verbose=0&data=${encodeURIComponent(b64)}`)],
    ['GET ?data=<raw JSON>', req('GET', `/track?data=${encodeURIComponent(json)}`)],
    ['POST form batch (mixpanel-node track_batch)', req('POST', '/track?ip=0&verbose=0', `data=${b64}`, { 'content-type': FORM })],
    ['JSON body (/import)', req('POST', '/import?strict=1&project_id=12345', json, { 'content-type': 'application/json' })],
    ['gzip JSON body by Content-Encoding (/import)', req('POST', '/import?strict=1', zlib.gzipSync(json), { 'content-type': 'application/json', 'content-encoding': 'gzip' })],
    ['gzip form by magic bytes only', req('POST', '/track/', zlib.gzipSync(`data=${encodeURIComponent(b64)}`))],
  ])('decodes and re-encodes %s', (_label, r) => {
    const { batch, out, again } = roundTrip(r);
    expect(batch.events).toEqual(EVENTS);
    expect(batch.envelope).toBeUndefined();
    expect(again.events).toEqual(EVENTS);
    const query = new URLSearchParams(out.path.split('?')[1] ?? '');
    expect(query.get('ip')).toBe('0');
  });

  it('re-encodes each flavour byte for byte as the SDK would', () => {
    const xhr = events(req('POST', '/track/?verbose=1&ip=1&_=17', `data=${encodeURIComponent(b64)}`, { 'content-type': FORM })).encode(EVENTS, undefined);
    expect(xhr.path).toBe('/track/?verbose=1&_=17&ip=0');
    expect(xhr.body!.toString()).toBe(new URLSearchParams({ data: b64 }).toString());
    expect(xhr.headers['content-encoding']).toBeUndefined();

    const raw = events(req('POST', '/track/', `data=${encodeURIComponent(json)}`)).encode(EVENTS, undefined);
    expect(new URLSearchParams(raw.body!.toString()).get('data')).toBe(json);

    const get = events(req('GET', `/engage?ip=1&verbose=0&data=${encodeURIComponent(b64)}`)).encode(EVENTS, undefined);
    expect(get.body).toBeUndefined();
    expect(get.path).toBe(`/engage?verbose=0&ip=0&data=${encodeURIComponent(b64)}`);

    const gz = events(req('POST', '/import', zlib.gzipSync(json), { 'content-encoding': 'gzip' })).encode(EVENTS, undefined);
    expect(zlib.gunzipSync(gz.body!).toString()).toBe(json);
    expect(gz.headers).not.toHaveProperty('content-encoding');

    const magic = events(req('POST', '/track/', zlib.gzipSync(`data=${b64}`))).encode(EVENTS, undefined);
    expect(magic.body!.toString()).toBe(new URLSearchParams({ data: b64 }).toString());
    expect(magic.headers).toHaveProperty('content-encoding', undefined);
  });

  it('keeps a single event an object and an array an array', () => {
    const single = events(req('GET', `/track?data=${encodeURIComponent(Buffer.from(JSON.stringify(EVENTS[0])).toString('base64'))}`));
    expect(single.events).toEqual([EVENTS[0]]);
    const out = single.encode(single.events, undefined);
    const data = new URLSearchParams(out.path.split('?')[1]).get('data')!;
    expect(JSON.parse(Buffer.from(data, 'base64').toString())).toEqual(EVENTS[0]);

    const one = events(req('POST', '/track/', `data=${encodeURIComponent(Buffer.from(JSON.stringify([EVENTS[0]])).toString('base64'))}`));
    const oneOut = one.encode(one.events, undefined);
    expect(JSON.parse(Buffer.from(new URLSearchParams(oneOut.body!.toString()).get('data')!, 'base64').toString())).toEqual([EVENTS[0]]);
  });

  it('drops query keys it does not know, or of the wrong shape, and payload keys', () => {
    const r = req('POST', '/track/?verbose=1&ip=1&_=1&utm_source=x&email=jane%40example.com&_=jane&test=1&img=1&api_key=abc123&project_id=77&strict=1&callback=mixpanel._jsc%5B123%5D',
      `data=${encodeURIComponent(b64)}&verbose=1&email=jane%40example.com`);
    const out = events(r).encode(EVENTS, undefined);
    expect(out.path).toBe('/track/?verbose=1&_=1&test=1&img=1&api_key=abc123&project_id=77&strict=1&callback=mixpanel._jsc%5B123%5D&ip=0');
    expect(out.body!.toString()).toBe(`${new URLSearchParams({ data: b64 })}&verbose=1`);
  });

  it('answers dropped batches the way the request asked (verbose JSON or 1)', () => {
    expect(events(req('POST', '/track/?verbose=1', `data=${b64}`)).emptyResponse).toEqual({ status: 200, body: '{"status":1,"error":null}', contentType: 'application/json' });
    expect(events(req('POST', '/track/', `data=${b64}&verbose=1`)).emptyResponse.body).toBe('{"status":1,"error":null}');
    expect(events(req('GET', `/track?data=${b64}`)).emptyResponse).toEqual({ status: 200, body: '1', contentType: 'text/plain' });
  });

  it('keeps /import batches whole (its answers name record indices) and lets others drop events', () => {
    expect(events(req('POST', '/import', json)).allOrNothing).toBe(true);
    expect(events(req('POST', '/track/', `data=${b64}`)).allOrNothing).toBe(false);
    expect(events(req('POST', '/engage/', `data=${b64}`)).allOrNothing).toBe(false);
  });

  it('takes $device: off anonymous distinct ids for scrubbing and puts it back', () => {
    const anon = [
      { event: 'e', properties: { distinct_id: '$device:abc-1', $device_id: 'abc-1', $anon_distinct_id: '$device:abc-1', other: '$device:abc-1' } },
      { $token: 't', $distinct_id: '$device:abc-1', $set: { plan: 'pro' } },
    ];
    const batch = events(req('POST', '/track/', `data=${Buffer.from(JSON.stringify(anon)).toString('base64')}`));
    expect(batch.events).toEqual([
      { event: 'e', properties: { distinct_id: 'abc-1', $device_id: 'abc-1', $anon_distinct_id: 'abc-1', other: '$device:abc-1' } },
      { $token: 't', $distinct_id: 'abc-1', $set: { plan: 'pro' } },
    ]);
    // the engine scrubs in place: simulate surrogates
    const e0 = batch.events[0] as { properties: Record<string, string> };
    e0.properties.distinct_id = 'sur-1';
    e0.properties.$device_id = 'sur-1';
    e0.properties.$anon_distinct_id = 'sur-1';
    (batch.events[1] as Record<string, string>).$distinct_id = 'sur-1';
    const out = batch.encode(batch.events, undefined);
    const sent = JSON.parse(Buffer.from(new URLSearchParams(out.body!.toString()).get('data')!, 'base64').toString());
    expect(sent).toEqual([
      { event: 'e', properties: { distinct_id: '$device:sur-1', $device_id: 'sur-1', $anon_distinct_id: '$device:sur-1', other: '$device:abc-1' } },
      { $token: 't', $distinct_id: '$device:sur-1', $set: { plan: 'pro' } },
    ]);
  });

  it('restores $device: only on the events that remain after drops', () => {
    const anon = [{ event: 'a', properties: { distinct_id: '$device:1' } }, { event: 'b', properties: { distinct_id: '$device:2' } }];
    const batch = events(req('POST', '/track/', `data=${Buffer.from(JSON.stringify(anon)).toString('base64')}`));
    const out = batch.encode([batch.events[1]], undefined);
    const sent = JSON.parse(Buffer.from(new URLSearchParams(out.body!.toString()).get('data')!, 'base64').toString());
    expect(sent).toEqual([{ event: 'b', properties: { distinct_id: '$device:2' } }]);
  });

  it('scrubs a flags request as one unit and re-encodes its context', () => {
    const context = { distinct_id: '$device:abc', device_id: 'abc', custom_properties: { plan: 'pro' } };
    const r = req('GET', `/flags/?context=${encodeURIComponent(JSON.stringify(context))}&token=mp_token&mp_lib=web&%24lib_version=2.83.0&email=x%40y.z`);
    const batch = events(r);
    expect(batch.allOrNothing).toBe(true);
    expect(batch.events).toEqual([{ distinct_id: 'abc', device_id: 'abc', custom_properties: { plan: 'pro' } }]);
    const out = batch.encode(batch.events, undefined);
    expect(out.body).toBeUndefined();
    const q = new URLSearchParams(out.path.split('?')[1]);
    expect(out.path.startsWith('/flags/?')).toBe(true);
    expect([...q.keys()]).toEqual(['token', 'mp_lib', '$lib_version', 'context']);
    expect(JSON.parse(q.get('context')!)).toEqual(context);
    expect(batch.emptyResponse.status).toBe(422);

    const node = events(req('GET', `/flags?token=t&mp_lib=node&%24lib_version=0.24.0&context=${encodeURIComponent('{"distinct_id":"u"}')}&flag_key=beta-flag`));
    expect(new URLSearchParams(node.encode(node.events, undefined).path.split('?')[1]).get('flag_key')).toBe('beta-flag');
  });

  it('scrubs a first-time flag event as one unit', () => {
    const body = JSON.stringify({ distinct_id: 'patient-123', project_id: 3, first_time_event_hash: 'h' });
    const batch = events(req('POST', '/flags/f-1/first-time-events?mp_lib=web&%24lib_version=2.83.0', body, { 'content-type': 'application/json' }));
    expect(batch.allOrNothing).toBe(true);
    const out = batch.encode(batch.events, undefined);
    expect(out.path).toBe('/flags/f-1/first-time-events?mp_lib=web&%24lib_version=2.83.0');
    expect(out.body!.toString()).toBe(body);
  });

  it('answers session replay locally, with JSON the recorder accepts', () => {
    const h = format.handle(req('POST', '/record/?format=gzip&distinct_id=patient-123&%24current_url=http%3A%2F%2Fx', zlib.gzipSync('[]')), limits);
    expect(h).toEqual({ kind: 'respond', response: { status: 200, body: '{"code":200,"status":"OK"}', contentType: 'application/json' }, reason: 'session recordings are not forwarded' });
  });

  it.each([
    ['GET', '/settings/?%24lib_version=2.83.0&mp_lib=web&sdk_config=1&distinct_id=u', 'passthrough', '/settings/?%24lib_version=2.83.0&mp_lib=web&sdk_config=1'],
    ['GET', '/flags/definitions?token=t&mp_lib=node&%24lib_version=0.24.0', 'passthrough', '/flags/definitions?token=t&mp_lib=node&%24lib_version=0.24.0'],
    ['POST', '/settings/', 'unknown', undefined],
    ['GET', '/decide/?verbose=1', 'unknown', undefined],
    ['GET', '/api/2.0/export', 'unknown', undefined],
    ['POST', '/flags/', 'unknown', undefined],
    ['DELETE', '/track/', 'unknown', undefined],
  ])('%s %s is %s', (method, path, kind, forwarded) => {
    const h = format.handle(req(method, path), limits);
    expect(h.kind).toBe(kind);
    if (h.kind === 'passthrough') expect(h.path).toBe(forwarded);
  });

  it.each([
    ['bad gzip', req('POST', '/track/', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01]))],
    ['bad base64', req('POST', '/track/', 'data=%%%not-base64')],
    ['base64 of something that is not JSON', req('POST', '/track/', `data=${Buffer.from('hello').toString('base64')}`)],
    ['invalid UTF-8 inside base64', req('POST', '/track/', `data=${Buffer.from([0x5b, 0xff, 0x5d]).toString('base64')}`)],
    ['a form without data', req('POST', '/track/', 'verbose=1')],
    ['two data fields', req('POST', '/track/', `data=${b64}&data=${b64}`)],
    ['an empty data field', req('POST', '/track/', 'data=')],
    ['a JSON scalar', req('POST', '/track/', `data=${Buffer.from('42').toString('base64')}`)],
    ['an array holding a non-event', req('POST', '/track/', `data=${Buffer.from('[{"event":"a"},"x"]').toString('base64')}`)],
    ['empty body', req('POST', '/track/', '')],
    ['GET without data', req('GET', '/track?ip=1')],
    ['unknown content-encoding', req('POST', '/track/', `data=${b64}`, { 'content-encoding': 'br' })],
    ['flags without context', req('GET', '/flags/?token=t')],
    ['flags context that is not an object', req('GET', '/flags/?context=%5B1%5D')],
    ['flags context that is not JSON', req('GET', '/flags/?context=%7Bx')],
    ['first-time event that is not JSON', req('POST', '/flags/f/first-time-events', 'data=x')],
  ])('refuses %s with an InputError', (_label, r) => {
    expect(() => format.handle(r, limits)).toThrow(InputError);
  });

  it('stops a gzip bomb and an oversized base64 payload at the decoded-size limit', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
    expect(() => format.handle(req('POST', '/import', bomb, { 'content-encoding': 'gzip' }), limits)).toThrow(/decompressed body exceeds/);
    const big = Buffer.alloc(2 * 1024 * 1024, 0x61).toString('base64');
    expect(() => format.handle(req('POST', '/track/', `data=${big}`), limits)).toThrow(/exceeds/);
  });
});
