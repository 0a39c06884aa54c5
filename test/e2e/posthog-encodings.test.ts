/**
 * Every request encoding PostHog SDKs use (current and older posthog-js, posthog-node), on every
 * PostHog path, round-trips through phi-proxy to the recording upstream, which decodes it
 * independently: planted PHI gone, benign properties and uuids kept, headers consistent with the
 * body. Plus what must never be forwarded: recordings, unknown paths, undecodable bodies, bombs.
 */
import { randomUUID } from 'node:crypto';
import * as zlib from 'node:zlib';
import LZString from 'lz-string';
import type { Recorded } from './recording-upstream';
import { clientHeadersSeen, foreignHostHeaders, leaksIn, startStack, type Stack } from './helpers';

jest.setTimeout(20_000);

const TOKEN = 'phc_testtoken';
const EMAIL = 'jane.doe@example.com';
const DISTINCT_ID = 'patient-123';
const PLANTED = [EMAIL, DISTINCT_ID, 'Jane Doe', '8675309'];

type Json = Record<string, any>;
type Shape = 'single' | 'array' | 'envelope';

function makeEvent(): Json {
  return {
    event: 'form_submitted',
    uuid: randomUUID(),
    distinct_id: DISTINCT_ID,
    timestamp: '2026-11-22T08:36:14.594Z',
    properties: {
      token: TOKEN,
      email: EMAIL,
      full_name: 'Jane Doe',
      $current_url: `https://clinic.example.com/patients/8675309?email=${encodeURIComponent(EMAIL)}`,
      plan: 'pro',
      button_text: 'Submit form',
      step_count: 4,
      $browser: 'Chrome',
      $os: 'Linux',
      $lib: 'web',
      $lib_version: '1.449.2',
      $screen_height: 1080,
    },
  };
}

const BENIGN_KEYS = ['plan', 'button_text', 'step_count', '$browser', '$os', '$lib', '$lib_version', '$screen_height', 'token'];

function payloadFor(shape: Shape, path: string): { json: unknown; events: Json[] } {
  if (shape === 'single') {
    const e = makeEvent();
    return { json: e, events: [e] };
  }
  const events = [makeEvent(), makeEvent()];
  if (shape === 'array') return { json: events, events };
  if (path.startsWith('/i/v1/')) return { json: { created_at: '2026-11-22T08:36:14.611Z', batch: events }, events };
  return { json: { api_key: TOKEN, batch: events, sent_at: '2026-11-22T08:36:14.611Z' }, events };
}

interface Wire {
  method: 'GET' | 'POST';
  /** Query string to append (without `?`). */
  query: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** How each SDK generation puts a JSON payload on the wire. */
const ENCODINGS: Record<string, (text: string) => Wire> = {
  'plain JSON (application/json)': (t) => ({ method: 'POST', query: '', headers: { 'content-type': 'application/json' }, body: Buffer.from(t) }),
  'gzip by magic bytes, text/plain (posthog-js 1.449)': (t) => ({ method: 'POST', query: '', headers: { 'content-type': 'text/plain' }, body: zlib.gzipSync(t) }),
  'gzip by Content-Encoding (posthog-node)': (t) => ({
    method: 'POST', query: '', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: zlib.gzipSync(t),
  }),
  '?compression=gzip-js (posthog-js 1.130–1.320)': (t) => ({
    method: 'POST', query: 'ip=1&_=1795336574595&ver=1.130.0&compression=gzip-js', headers: { 'content-type': 'text/plain' }, body: zlib.gzipSync(t),
  }),
  '?compression=base64, form data= (posthog-js first event, beacons)': (t) => ({
    method: 'POST', query: 'ip=1&_=1795336574595&ver=1.130.0&compression=base64', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: Buffer.from(form({ data: b64(t) })),
  }),
  'form data= with compression=base64 in the form': (t) => ({
    method: 'POST', query: '', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form({ data: b64(t), compression: 'base64' })),
  }),
  '?compression=lz64, form data= (old posthog-js)': (t) => ({
    method: 'POST', query: '_=1795336574595&compression=lz64', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: Buffer.from(form({ data: LZString.compressToBase64(t) })),
  }),
  '?compression=lz64, raw body': (t) => ({ method: 'POST', query: 'compression=lz64', headers: { 'content-type': 'text/plain' }, body: Buffer.from(LZString.compressToBase64(t)) }),
  'beacon: text/plain;charset=UTF-8 body data=<base64>': (t) => ({
    method: 'POST', query: 'compression=base64&beacon=1', headers: { 'content-type': 'text/plain;charset=UTF-8' }, body: Buffer.from(form({ data: b64(t) })),
  }),
  'GET ?data=<lz64>&compression=lz64': (t) => ({ method: 'GET', query: `data=${encodeURIComponent(LZString.compressToBase64(t))}&compression=lz64`, headers: {} }),
  'GET ?data=<base64>': (t) => ({ method: 'GET', query: `data=${encodeURIComponent(b64(t))}&ip=1&_=1795336574595`, headers: {} }),
  'form data= with raw JSON': (t) => ({ method: 'POST', query: '', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form({ data: t })) }),
};

const EVENT_PATHS = ['/e/', '/i/v0/e/', '/batch/', '/capture/', '/track/', '/engage/', '/i/v1/analytics/events'];
const SHAPES: Shape[] = ['single', 'array', 'envelope'];

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

interface Trip {
  status: number;
  body: Buffer;
  headers: Headers;
  forwarded: Recorded[];
}

/** Sends one request to the proxy; returns its answer and what the upstream received meanwhile. */
async function trip(path: string, wire: Wire): Promise<Trip> {
  const before = stack.upstream.requests.length;
  const url = stack.proxy.url + path + (wire.query ? (path.includes('?') ? '&' : '?') + wire.query : '');
  const res = await fetch(url, { method: wire.method, headers: wire.headers, body: wire.body });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, body, headers: res.headers, forwarded: stack.upstream.requests.slice(before) };
}

function eventsOf(json: unknown): Json[] {
  if (Array.isArray(json)) return json as Json[];
  if (json && typeof json === 'object' && Array.isArray((json as Json).batch)) return (json as Json).batch as Json[];
  return json && typeof json === 'object' ? [json as Json] : [];
}

function haystack(r: Recorded): string {
  let raw = r.raw;
  if (raw.length > 1 && raw[0] === 0x1f && raw[1] === 0x8b) raw = zlib.gunzipSync(raw);
  return [r.path, JSON.stringify(r.query), JSON.stringify(r.headers), raw.toString('utf8'), JSON.stringify(r.json)].join('\n');
}

/** The body and headers the upstream got agree with each other: length, encoding, compression hint. */
function expectSelfConsistent(r: Recorded): void {
  const isGzip = r.raw.length > 1 && r.raw[0] === 0x1f && r.raw[1] === 0x8b;
  if (r.method === 'POST') expect(Number(r.headers['content-length'])).toBe(r.raw.length);
  if (r.headers['content-encoding'] !== undefined) {
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(isGzip).toBe(true);
  }
  const bodyText = isGzip ? zlib.gunzipSync(r.raw).toString('utf8') : r.raw.toString('utf8');
  const formHint = bodyText.startsWith('data=') ? new URLSearchParams(bodyText).get('compression') : null;
  const hint = formHint ?? r.query.compression;
  if (hint === 'gzip-js' || hint === 'gzip') expect(isGzip).toBe(true);
  if (hint === 'lz64') throw new Error('lz64 hint forwarded: lz64 payloads must be re-encoded as plain JSON');
  if (hint === 'base64') {
    const data = bodyText.startsWith('data=') ? new URLSearchParams(bodyText).get('data') : r.query.data ?? bodyText;
    expect(data).toMatch(/^[A-Za-z0-9+/]+=*$/);
  }
}

function expectScrubbedRoundTrip(t: Trip, sent: Json[], path: string): void {
  expect(t.status).toBe(200);
  expect(t.forwarded).toHaveLength(1);
  const r = t.forwarded[0]!;
  expect(r.path).toBe(path.split('?')[0]);
  expectSelfConsistent(r);
  expect(r.json).toBeDefined();
  const got = eventsOf(r.json);
  expect(got.map((e) => e.uuid)).toEqual(sent.map((e) => e.uuid));
  for (const [i, e] of got.entries()) {
    const orig = sent[i]!;
    expect(e.event).toBe(orig.event);
    expect(e.timestamp).toBe(orig.timestamp);
    for (const key of BENIGN_KEYS) expect(e.properties?.[key]).toEqual(orig.properties[key]);
    expect(e.distinct_id).toMatch(/^tok_/);
    expect(String(e.properties?.$current_url)).toMatch(/^https:\/\/clinic\.example\.com\/patients\/[^?#]*$/);
  }
  expect(leaksIn(haystack(r), PLANTED)).toEqual([]);
}

describe('every encoding × body shape on /e/', () => {
  const cases = Object.keys(ENCODINGS).flatMap((encoding) => SHAPES.map((shape) => ({ encoding, shape })));
  it.each(cases)('$encoding, $shape', async ({ encoding, shape }) => {
    const { json, events } = payloadFor(shape, '/e/');
    const wire = ENCODINGS[encoding]!(JSON.stringify(json));
    const t = await trip('/e/', wire);
    expectScrubbedRoundTrip(t, events, '/e/');
    const r = t.forwarded[0]!;
    if (encoding.includes('lz64')) {
      expect(r.query.compression).toBeUndefined();
      expect(r.raw.toString('utf8')).not.toContain('compression=');
    }
    if (encoding.startsWith('gzip') || encoding.startsWith('?compression=gzip')) expect(r.raw[0]).toBe(0x1f);
    if (encoding === 'gzip by Content-Encoding (posthog-node)') expect(r.headers['content-encoding']).toBe('gzip');
    if (encoding === 'GET ?data=<base64>') expect(r.method).toBe('GET');
    // cache busters and versions may pass, the ip=1 flag may not matter; no unknown keys appear
    for (const key of Object.keys(r.query)) expect(['v', 'ver', '_', 'compression', 'retry_count', 'beacon', 'config', 'data', 'ip']).toContain(key);
  });
});

describe('every event path × body shape (plain JSON, gzip by magic, gzip by Content-Encoding)', () => {
  const encodings = ['plain JSON (application/json)', 'gzip by magic bytes, text/plain (posthog-js 1.449)', 'gzip by Content-Encoding (posthog-node)'];
  const cases = EVENT_PATHS.flatMap((path) => encodings.flatMap((encoding) => SHAPES.map((shape) => ({ path, encoding, shape }))));
  it.each(cases)('$path, $encoding, $shape', async ({ path, encoding, shape }) => {
    const { json, events } = payloadFor(shape, path);
    const t = await trip(path, ENCODINGS[encoding]!(JSON.stringify(json)));
    expectScrubbedRoundTrip(t, events, path);
  });

  it('paths without the trailing slash work too', async () => {
    for (const path of ['/e', '/batch', '/i/v0/e', '/capture']) {
      const { json, events } = payloadFor('envelope', path);
      expectScrubbedRoundTrip(await trip(path, ENCODINGS['plain JSON (application/json)']!(JSON.stringify(json))), events, path);
    }
  });
});

describe('around the events', () => {
  it('envelope fields are scrubbed too', async () => {
    const events = [makeEvent()];
    const json = { api_key: TOKEN, distinct_id: DISTINCT_ID, email: EMAIL, sent_at: '2026-11-22T08:36:14.611Z', historical_migration: false, batch: events };
    const t = await trip('/batch/', ENCODINGS['plain JSON (application/json)']!(JSON.stringify(json)));
    expectScrubbedRoundTrip(t, events, '/batch/');
    const env = t.forwarded[0]!.json as Json;
    expect(env).toMatchObject({ api_key: TOKEN, sent_at: '2026-11-22T08:36:14.611Z', historical_migration: false });
  });

  it('query parameters other than the SDKs\' own are dropped', async () => {
    const { json, events } = payloadFor('single', '/e/');
    const wire = ENCODINGS['plain JSON (application/json)']!(JSON.stringify(json));
    wire.query = `ip=1&_=1795336574595&ver=1.130.0&email=${encodeURIComponent(EMAIL)}&distinct_id=${DISTINCT_ID}&name=Jane%20Doe`;
    const t = await trip('/e/', wire);
    expectScrubbedRoundTrip(t, events, '/e/');
    expect(t.forwarded[0]!.query).toEqual({ _: '1795336574595', ver: '1.130.0' });
  });

  // The proxy keeps a list of query keys the SDKs set (`_`, `ver`, `v`, `token`, `retry_count`,
  // `compression`, `beacon`, `config`, …) but forwards their VALUES verbatim, without scrubbing
  // or checking their format. Real SDKs put timestamps and versions there; a page or app that
  // appends its own values (or a buggy SDK) sends PHI straight to the vendor.
  it.each([
    ['/e/', `_=${encodeURIComponent(EMAIL)}&ver=Jane%20Doe&retry_count=${DISTINCT_ID}`],
    ['/flags/', `v=${encodeURIComponent(EMAIL)}&config=Jane%20Doe`],
    ['/static/x.js', `v=${encodeURIComponent(EMAIL)}&token=${DISTINCT_ID}`],
  ])('values of allowed query keys are not a side channel for PHI (%s?%s)', async (path, query) => {
    const { json } = payloadFor('single', path);
    const wire: Wire = path.startsWith('/static/') ? { method: 'GET', query, headers: {} } : { ...ENCODINGS['plain JSON (application/json)']!(JSON.stringify(json)), query };
    const t = await trip(path, wire);
    for (const r of t.forwarded) expect(leaksIn(haystack(r), PLANTED)).toEqual([]);
  });
});

describe('flags and decide', () => {
  const flagsBody = () => ({
    token: TOKEN,
    distinct_id: DISTINCT_ID,
    groups: {},
    person_properties: { email: EMAIL, name: 'Jane Doe', plan: 'pro' },
    $anon_distinct_id: 'anon-8675309',
    timezone: 'America/New_York',
  });

  async function expectFlags(path: string, wire: Wire, responseHasFlags: boolean): Promise<void> {
    const t = await trip(path, wire);
    expect(t.status).toBe(200);
    const answer = JSON.parse(t.body.toString('utf8')) as Json;
    if (responseHasFlags) expect(answer.flags['beta-feature'].enabled).toBe(true);
    expect(answer.featureFlags['beta-feature']).toBe(true);
    expect(t.forwarded).toHaveLength(1);
    const r = t.forwarded[0]!;
    expectSelfConsistent(r);
    const json = r.json as Json;
    expect(json.token).toBe(TOKEN);
    expect(json.distinct_id).toMatch(/^tok_/);
    expect(json.timezone).toBe('America/New_York');
    expect(json.person_properties.plan).toBe('pro');
    expect(leaksIn(haystack(r), PLANTED)).toEqual([]);
  }

  it('/flags/?v=2 gzip text/plain (posthog-js 1.449)', async () => {
    await expectFlags('/flags/?v=2', ENCODINGS['gzip by magic bytes, text/plain (posthog-js 1.449)']!(JSON.stringify(flagsBody())), true);
  });
  it('/flags/?v=2 plain JSON (posthog-node)', async () => {
    await expectFlags('/flags/?v=2', ENCODINGS['plain JSON (application/json)']!(JSON.stringify(flagsBody())), true);
  });
  it('/flags/?v=2&config=true form base64 (posthog-js 1.260–1.400)', async () => {
    const wire = ENCODINGS['?compression=base64, form data= (posthog-js first event, beacons)']!(JSON.stringify(flagsBody()));
    await expectFlags('/flags/?v=2&config=true', wire, true);
  });
  it('/decide/?v=3 form base64 (posthog-js 1.130)', async () => {
    await expectFlags('/decide/?v=3', ENCODINGS['?compression=base64, form data= (posthog-js first event, beacons)']!(JSON.stringify(flagsBody())), false);
  });
  it('/decide/?v=3 plain JSON (posthog-node 3.x)', async () => {
    await expectFlags('/decide/', ENCODINGS['plain JSON (application/json)']!(JSON.stringify(flagsBody())), false);
  });
});

describe('assets pass through byte-identical', () => {
  it.each(['/array/phc_testtoken/config.js', '/array/phc_testtoken/config', '/static/x.js', '/static/1.449.2/lazy-recorder.js'])('GET %s', async (path) => {
    const direct = await fetch(stack.upstream.url + path);
    const directBody = Buffer.from(await direct.arrayBuffer());
    const t = await trip(path, { method: 'GET', query: '', headers: {} });
    expect(t.status).toBe(200);
    expect(t.body.equals(directBody)).toBe(true);
    expect(t.headers.get('content-type')).toBe(direct.headers.get('content-type'));
    expect(t.forwarded).toHaveLength(1);
    expect(t.forwarded[0]!.path).toBe(path);
  });
});

describe('never forwarded', () => {
  const snapshot = JSON.stringify([
    { event: '$snapshot', properties: { distinct_id: DISTINCT_ID, $snapshot_data: [{ type: 4, data: { href: `https://clinic.example.com/?email=${EMAIL}` } }] } },
  ]);

  it.each([
    ['/s/', ENCODINGS['gzip by magic bytes, text/plain (posthog-js 1.449)']!(snapshot)],
    ['/s/?compression=gzip-js&ver=1.130.0', ENCODINGS['gzip by magic bytes, text/plain (posthog-js 1.449)']!(snapshot)],
    ['/s', ENCODINGS['plain JSON (application/json)']!(snapshot)],
  ] as const)('session recording %s is answered 200 and not forwarded', async (path, wire) => {
    const t = await trip(path, wire);
    expect(t.status).toBe(200);
    expect(t.forwarded).toEqual([]);
  });

  it.each([
    ['GET', '/api/projects/1/persons'],
    ['POST', '/api/projects/1/persons'],
    ['GET', '/patients/jane@x.com'],
    ['POST', '/patients/jane@x.com'],
    ['GET', '/patients/jane%40x.com?email=jane@x.com'],
  ] as const)('unknown path %s %s is 404 and not forwarded', async (method, path) => {
    const wire: Wire = method === 'GET' ? { method, query: '', headers: {} } : ENCODINGS['plain JSON (application/json)']!(JSON.stringify(makeEvent()));
    const t = await trip(path, wire);
    expect(t.status).toBe(404);
    expect(t.forwarded).toEqual([]);
    expect(t.body.toString('utf8')).not.toContain('jane');
  });

  const validGzip = zlib.gzipSync(JSON.stringify(makeEvent()));
  const undecodable: [string, Wire][] = [
    ['bad gzip by magic', { method: 'POST', query: '', headers: { 'content-type': 'text/plain' }, body: Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.from(`garbage ${EMAIL}`)]) }],
    ['bad gzip by Content-Encoding', { method: 'POST', query: '', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: Buffer.from(JSON.stringify(makeEvent())) }],
    ['truncated gzip', { method: 'POST', query: '', headers: { 'content-type': 'text/plain' }, body: validGzip.subarray(0, validGzip.length - 12) }],
    ['bad base64 in form', { method: 'POST', query: 'compression=base64', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(`data=!!not*base64$$${EMAIL}`) }],
    ['bad base64 in GET data', { method: 'GET', query: `data=${encodeURIComponent('%%%' + EMAIL)}`, headers: {} }],
    ['bad lz64', { method: 'POST', query: 'compression=lz64', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from('data=%E2%98%83%E2%98%83') }],
    ['invalid JSON', { method: 'POST', query: '', headers: { 'content-type': 'application/json' }, body: Buffer.from(`{"event":"x","properties":{"email":"${EMAIL}"`) }],
    ['invalid JSON in gzip', { method: 'POST', query: '', headers: { 'content-type': 'text/plain' }, body: zlib.gzipSync(`[{"event": ${EMAIL}}]`) }],
    ['invalid UTF-8', { method: 'POST', query: '', headers: { 'content-type': 'application/json' }, body: Buffer.concat([Buffer.from(`{"event":"x","distinct_id":"${DISTINCT_ID}","properties":{"n":"`), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}}')]) }],
    ['invalid UTF-8 in gzip', { method: 'POST', query: '', headers: { 'content-type': 'text/plain' }, body: zlib.gzipSync(Buffer.concat([Buffer.from(`{"event":"x","distinct_id":"${DISTINCT_ID}","properties":{"n":"`), Buffer.from([0xc0, 0xaf]), Buffer.from('"}}')])) }],
    ['empty body', { method: 'POST', query: '', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(0) }],
    ['JSON that is not an event', { method: 'POST', query: '', headers: { 'content-type': 'application/json' }, body: Buffer.from(`"${EMAIL}"`) }],
  ];
  it.each(undecodable)('%s on /e/ is 4xx and not forwarded', async (_name, wire) => {
    const t = await trip('/e/', wire);
    expect(t.status).toBeGreaterThanOrEqual(400);
    expect(t.status).toBeLessThan(500);
    expect(t.forwarded).toEqual([]);
    expect(t.body.toString('utf8')).not.toContain('jane');
  });

  /**
   * A single-member gzip stream of 1 GiB of zeros, ~1 MB on the wire, built in well under a
   * second: raw deflate of 1 MiB of zeros ending in a sync flush is byte aligned, non-final, and
   * after its first literal uses only distance-1 matches, so repeating it yields more zeros.
   */
  function gzipBomb(mebibytes: number): Buffer {
    const zeros = Buffer.alloc(1 << 20);
    const block = zlib.deflateRawSync(zeros, { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    let crc = 0;
    for (let i = 0; i < mebibytes; i++) crc = zlib.crc32(zeros, crc);
    const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc >>> 0, 0);
    trailer.writeUInt32LE((mebibytes * (1 << 20)) >>> 0, 4);
    return Buffer.concat([header, ...Array<Buffer>(mebibytes).fill(block), Buffer.from([0x03, 0x00]), trailer]);
  }

  it('the bomb builder makes a valid gzip stream (checked on a small one)', () => {
    const small = gzipBomb(3);
    expect(zlib.gunzipSync(small).equals(Buffer.alloc(3 << 20))).toBe(true);
  });

  it.each([
    ['gzip by magic', { 'content-type': 'text/plain' }],
    ['gzip by Content-Encoding', { 'content-type': 'application/json', 'content-encoding': 'gzip' }],
  ])('a 1 GiB gzip bomb (%s) is refused with 413, not forwarded, and the proxy stays up', async (_name, headers) => {
    const bomb = gzipBomb(1024);
    expect(bomb.length).toBeLessThan(1_200_000);
    const t = await trip('/e/', { method: 'POST', query: '', headers, body: bomb });
    expect(t.status).toBe(413);
    expect(t.forwarded).toEqual([]);
    const health = await fetch(`${stack.proxy.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
  });
});

describe('headers', () => {
  it('client identifying headers never reach upstream; Host is the upstream\'s', async () => {
    const { json, events } = payloadFor('envelope', '/e/');
    const wire = ENCODINGS['plain JSON (application/json)']!(JSON.stringify(json));
    wire.headers = {
      ...wire.headers,
      'x-forwarded-for': '198.51.100.23',
      'x-real-ip': '198.51.100.23',
      forwarded: 'for=198.51.100.23',
      cookie: `ph_session=${EMAIL}`,
      referer: `https://clinic.example.com/patients/8675309?email=${EMAIL}`,
      origin: 'https://clinic.example.com',
    };
    const t = await trip('/e/', wire);
    expectScrubbedRoundTrip(t, events, '/e/');
    expect(t.forwarded[0]!.raw.toString('utf8')).not.toContain('198.51.100.23');
    expect(JSON.stringify(t.forwarded[0]!.headers)).not.toContain('198.51.100.23');
    expect(clientHeadersSeen(stack.upstream)).toEqual([]);
    expect(foreignHostHeaders(stack.upstream)).toEqual([]);
  });
});
