import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { compileRules } from '../../src/engine/compile';
import { scrubEvent } from '../../src/engine/scrub';
import { InputError } from '../../src/errors';
import { snowplowFormat, TRANSPARENT_GIF } from '../../src/formats/snowplow';
import type { DecodedBatch, IncomingRequest } from '../../src/formats/types';
import { TokenVault } from '../../src/vault/token-vault';
import { writeConfig } from '../helpers';

const format = snowplowFormat();
const limits = { maxDecodedBytes: 1024 * 1024 };
const TP2 = '/com.snowplowanalytics.snowplow/tp2';
const SCHEMA = 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4';

const CONTEXTS = {
  schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0',
  data: [{ schema: 'iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0', data: { id: '7f0d3a4e-2b7c-4a1e-9d5f-0c8b6a4e2d11' } }],
};
const UNSTRUCT = {
  schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0',
  data: { schema: 'iglu:com.acme/booked/jsonschema/1-0-0', data: { kind: 'follow-up', note: 'é ü' } },
};
const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const b64std = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');

function req(method: string, url: string, body: Buffer | string = '', headers: Record<string, string> = {}): IncomingRequest {
  const u = new URL(url, 'http://proxy');
  return { method, path: u.pathname, query: u.searchParams, headers, body: Buffer.from(body), clientIp: '203.0.113.7', publicBaseUrl: 'http://proxy' };
}

function events(r: IncomingRequest): DecodedBatch {
  const h = format.handle(r, limits);
  if (h.kind !== 'events') throw new Error(`expected events, got ${h.kind}`);
  return h.batch;
}

function tp2(data: unknown[], schema = SCHEMA): string {
  return JSON.stringify({ schema, data });
}

describe('snowplow wire format: tp2 POST', () => {
  const plain = { e: 'pv', url: 'http://a.test/x', co: JSON.stringify(CONTEXTS), eid: 'e1', tv: 'js-4.10.1' };
  const encoded = { e: 'ue', ue_px: b64url(UNSTRUCT), cx: b64url(CONTEXTS), eid: 'e2', tv: 'node-4.8.0' };

  it('decodes co / ue_pr JSON text and cx / ue_px base64url into objects', () => {
    const batch = events(req('POST', TP2, tp2([plain, encoded, { e: 'ue', ue_pr: JSON.stringify(UNSTRUCT) }]), { 'content-type': 'application/json; charset=UTF-8' }));
    expect(batch.events).toEqual([
      { e: 'pv', url: 'http://a.test/x', co: CONTEXTS, eid: 'e1', tv: 'js-4.10.1' },
      { e: 'ue', ue_px: UNSTRUCT, cx: CONTEXTS, eid: 'e2', tv: 'node-4.8.0' },
      { e: 'ue', ue_pr: UNSTRUCT },
    ]);
    expect(batch.envelope).toBeUndefined();
    expect(batch.allOrNothing).toBe(false);
  });

  it('re-encodes byte for byte: same schema, same flavour (base64url, unpadded), field order kept', () => {
    const body = tp2([plain, encoded]);
    const batch = events(req('POST', TP2, body));
    const out = batch.encode(batch.events, batch.envelope);
    expect(out.path).toBe(TP2);
    expect(out.body!.toString('utf8')).toBe(body);
    expect(out.headers).toEqual({ 'content-encoding': undefined });
    const again = JSON.parse(out.body!.toString()) as { data: Record<string, string>[] };
    expect(again.data[1]!.cx).not.toMatch(/[=+/]/);
  });

  it('keeps standard padded base64 when that is what came', () => {
    const std = { e: 'ue', cx: b64std(CONTEXTS), ue_px: b64std(UNSTRUCT) };
    expect(b64std(CONTEXTS)).toMatch(/[+/=]/);
    const body = tp2([std]);
    const batch = events(req('POST', TP2, body));
    expect(batch.events[0]).toEqual({ e: 'ue', cx: CONTEXTS, ue_px: UNSTRUCT });
    expect(batch.encode(batch.events, undefined).body!.toString()).toBe(body);
  });

  it('writes scrubbed nested values back inside the base64', () => {
    const batch = events(req('POST', TP2, tp2([encoded])));
    const ev = batch.events[0] as { cx: typeof CONTEXTS; ue_px: typeof UNSTRUCT };
    ev.cx.data[0]!.data.id = 'changed';
    ev.ue_px.data.data.kind = '[X]';
    const sent = JSON.parse(batch.encode(batch.events, undefined).body!.toString()) as { data: Record<string, string>[] };
    expect(JSON.parse(Buffer.from(sent.data[0]!.cx!, 'base64url').toString())).toEqual({ ...CONTEXTS, data: [{ ...CONTEXTS.data[0], data: { id: 'changed' } }] });
    expect(JSON.parse(Buffer.from(sent.data[0]!.ue_px!, 'base64url').toString()).data.data.kind).toBe('[X]');
  });

  it('leaves out nested fields the rules turned into non-objects, and dropped events', () => {
    const batch = events(req('POST', TP2, tp2([plain, encoded])));
    (batch.events[0] as Record<string, unknown>).co = '[REDACTED]';
    const sent = JSON.parse(batch.encode([batch.events[0]], undefined).body!.toString()) as { data: Record<string, string>[] };
    expect(sent.data).toEqual([{ e: 'pv', url: 'http://a.test/x', eid: 'e1', tv: 'js-4.10.1' }]);
  });

  it('keeps gzip signalled the way it came', () => {
    const body = tp2([plain]);
    const header = events(req('POST', TP2, zlib.gzipSync(body), { 'content-encoding': 'gzip' })).encode([{ ...plain, co: CONTEXTS }], undefined);
    expect(zlib.gunzipSync(header.body!).toString()).toBe(body);
    expect(header.headers).toEqual({});
    const magic = events(req('POST', TP2, zlib.gzipSync(body))).encode([{ ...plain, co: CONTEXTS }], undefined);
    expect(magic.body![0]).toBe(0x1f);
    expect(magic.headers).toEqual({ 'content-encoding': undefined });
  });

  it('answers 200 locally when every event was dropped', () => {
    expect(events(req('POST', TP2, tp2([plain]))).emptyResponse).toMatchObject({ status: 200 });
  });

  it.each([
    ['empty body', ''],
    ['not JSON', 'hello'],
    ['a JSON array', '[]'],
    ['another schema', tp2([plain], 'iglu:com.acme/payload/jsonschema/1-0-0')],
    ['no data array', JSON.stringify({ schema: SCHEMA, data: {} })],
    ['extra envelope fields', JSON.stringify({ schema: SCHEMA, data: [], email: 'x' })],
    ['an event that is not an object', tp2(['e=pv'])],
    ['co that is not JSON', tp2([{ e: 'pv', co: '{not json' }])],
    ['co that is a JSON scalar', tp2([{ e: 'pv', co: '42' }])],
    ['co that is not a string', tp2([{ e: 'pv', co: { schema: 'x' } }])],
    ['cx that is not base64', tp2([{ e: 'pv', cx: '%%%' }])],
    ['cx that is base64 but not JSON', tp2([{ e: 'pv', cx: Buffer.from('hello').toString('base64url') }])],
    ['ue_px that is not valid UTF-8', tp2([{ e: 'ue', ue_px: Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url') }])],
    ['bad gzip', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01])],
  ])('refuses %s with an InputError', (_label, body) => {
    expect(() => format.handle(req('POST', TP2, body), limits)).toThrow(InputError);
  });

  it('refuses an unknown content-encoding (415) and a gzip bomb (413)', () => {
    expect(() => format.handle(req('POST', TP2, tp2([plain]), { 'content-encoding': 'br' }), limits)).toThrow(expect.objectContaining({ status: 415 }));
    const bomb = zlib.gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20));
    expect(() => format.handle(req('POST', TP2, bomb), limits)).toThrow(expect.objectContaining({ status: 413 }));
  });
});

describe('snowplow wire format: GET /i pixel', () => {
  it('reads the query as one event, decodes cx / ue_px, and writes it back in order', () => {
    const query = `stm=1732333333333&e=pv&url=${encodeURIComponent('http://a.test/p?x=1')}&page=Hello%20World&tv=js-4.10.1&cx=${b64url(CONTEXTS)}`;
    const batch = events(req('GET', `/i?${query}`));
    expect(batch.events).toEqual([{ stm: '1732333333333', e: 'pv', url: 'http://a.test/p?x=1', page: 'Hello World', tv: 'js-4.10.1', cx: CONTEXTS }]);
    const out = batch.encode(batch.events, undefined);
    expect(out).toEqual({ path: `/i?${query}`, body: undefined, headers: {} });
  });

  it('also accepts the legacy /ice.png and answers a GIF when every event was dropped', () => {
    const batch = events(req('GET', '/ice.png?e=pv&ue_pr=' + encodeURIComponent(JSON.stringify(UNSTRUCT))));
    expect(batch.events).toEqual([{ e: 'pv', ue_pr: UNSTRUCT }]);
    expect(batch.emptyResponse).toEqual({ status: 200, body: TRANSPARENT_GIF, contentType: 'image/gif' });
    // the local GIF is pure ASCII, so a string body keeps its bytes
    const bytes = Buffer.from(TRANSPARENT_GIF, 'utf8');
    expect(bytes.length).toBe(TRANSPARENT_GIF.length);
    expect(bytes.subarray(0, 6).toString()).toBe('GIF89a');
    expect(bytes[bytes.length - 1]).toBe(0x3b);
  });

  it('keeps a parameter named __proto__ a plain property', () => {
    const batch = events(req('GET', '/i?e=pv&__proto__=x'));
    expect(Object.getPrototypeOf(batch.events[0])).toBe(Object.prototype);
    expect(batch.encode(batch.events, undefined).path).toBe('/i?e=pv&__proto__=x');
  });

  it.each([
    ['no parameters', '/i'],
    ['cx that is not base64', '/i?e=pv&cx=%25%25'],
    ['co that is not JSON', '/i?e=pv&co=nope'],
  ])('refuses %s', (_label, url) => {
    expect(() => format.handle(req('GET', url), limits)).toThrow(InputError);
  });
});

describe('snowplow wire format: paths', () => {
  it.each([
    ['GET', TP2, 'unknown'], ['POST', '/i', 'unknown'], ['GET', '/com.snowplowanalytics.iglu/v1', 'unknown'], ['GET', '/r/tp2', 'unknown'],
    ['GET', '/health', 'unknown'], ['POST', '/tp2', 'unknown'],
  ])('%s %s is %s', (method, url, kind) => {
    expect(format.handle(req(method, url), limits).kind).toBe(kind);
  });
});

describe('rules/snowplow.yaml with the Safe Harbor pack', () => {
  const dir = path.resolve(__dirname, '../../rules');
  const plan = compileRules(writeConfig({ 'config.yaml': `rules: [${path.join(dir, 'snowplow.yaml')}, ${path.join(dir, 'safe-harbor.yaml')}]\n` }), { pseudonymizer: new TokenVault() });
  const DUID = '8a802561-3c1f-4b7e-9d2a-5e6f7a8b9c0d';
  const SID = 'a3e82097-1b2c-4d3e-8f4a-5b6c7d8e9f00';
  const browserEvent = {
    e: 'pv', url: 'http://localhost:8788/pages/snowplow.html?patient=123&email=jane.doe%40example.com&utm_source=mail',
    refr: 'https://portal.example.org/patients/48213?name=Jane', page: 'Patient 123 - Jane Doe', eid: '0c3f6c52-6a51-4b55-9b8e-6b4a0f0c5e11',
    tv: 'js-4.10.1', tna: 'sp1', aid: 'clinic', p: 'web', cookie: '1', cs: 'UTF-8', lang: 'en-US', res: '800x600', cd: '24', tz: 'Europe/Berlin',
    dtm: '1732333333333', stm: '1732333333444', vp: '800x600', ds: '800x600', vid: '1', sid: SID, duid: DUID, uid: 'jane.doe@example.com',
    nuid: '2b5e7f1a-9c3d-4e8f-a1b2-c3d4e5f6a7b8', fp: '1234567890', ip: '203.0.113.7',
    ua: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    co: {
      schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0',
      data: [
        { schema: 'iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0', data: { id: '7f0d3a4e-2b7c-4a1e-9d5f-0c8b6a4e2d11' } },
        { schema: 'iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2', data: { userId: DUID, sessionId: SID, sessionIndex: 3, storageMechanism: 'COOKIE_1' } },
        { schema: 'iglu:com.acme/patient/jsonschema/1-0-0', data: { email: 'jane.doe@example.com', phone: '555-867-5309', plan: 'pro' } },
      ],
    },
  };
  const structEvent = {
    e: 'se', se_ca: 'appointment', se_ac: 'book', se_la: 'jane.doe@example.com', se_pr: 'Patient Maria Gonzalez, SSN 123-45-6789',
    tr_id: 'ORD-1001', tr_ci: 'Springfield', tr_st: 'IL', tr_co: 'US', tr_cu: 'USD', tv: 'node-4.8.0', p: 'srv',
  };

  it('pseudonymizes ids (UUIDs stay UUIDs), drops the IP, trims URLs, scrubs contexts, keeps metadata', () => {
    const out = scrubEvent(plan, structuredClone(browserEvent)) as Record<string, any>;
    const text = JSON.stringify(out);
    for (const planted of ['jane.doe', 'Jane', 'patient=123', '48213', DUID, SID, '203.0.113.7', '1234567890', '555-867-5309', '2b5e7f1a']) {
      expect(text).not.toContain(planted);
    }
    const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(out.duid).toMatch(UUID4);
    expect(out.sid).toMatch(UUID4);
    expect(out.nuid).toMatch(UUID4);
    expect(out.uid).toMatch(/^tok_/);
    expect(out.fp).toMatch(/^tok_/);
    expect(out).not.toHaveProperty('ip');
    // the client_session context's ids join the top-level ones
    expect(out.co.data[1].data.userId).toBe(out.duid);
    expect(out.co.data[1].data.sessionId).toBe(out.sid);
    expect(out.co.data[2].data).toEqual({ email: '[EMAIL]', phone: '[PHONE]', plan: 'pro' });
    expect(out.url).toBe('http://localhost:8788/pages/snowplow.html?utm_source=mail');
    expect(out.refr).toBe('https://portal.example.org/patients/:id');
    expect(out.page).not.toMatch(/Jane|Doe/);
    for (const key of ['e', 'eid', 'tv', 'tna', 'aid', 'p', 'cookie', 'cs', 'lang', 'res', 'cd', 'tz', 'dtm', 'stm', 'vp', 'ds', 'vid', 'ua']) {
      expect(out[key]).toBe((browserEvent as Record<string, unknown>)[key]);
    }
    expect(out.co.schema).toBe(browserEvent.co.schema);
    expect(out.co.data.map((c: { schema: string }) => c.schema)).toEqual(browserEvent.co.data.map((c) => c.schema));
    expect(out.co.data[0].data.id).toBe(browserEvent.co.data[0]!.data.id);
  });

  it('scrubs structured-event free text and transaction fields', () => {
    const out = scrubEvent(plan, structuredClone(structEvent)) as Record<string, any>;
    const text = JSON.stringify(out);
    for (const planted of ['jane.doe', 'Maria', 'Gonzalez', '123-45-6789', 'Springfield', 'ORD-1001']) expect(text).not.toContain(planted);
    expect(out).toMatchObject({ e: 'se', se_ca: 'appointment', se_ac: 'book', tr_st: 'IL', tr_co: 'US', tr_cu: 'USD', tr_ci: '[LOCATION]', tv: 'node-4.8.0', p: 'srv' });
    expect(out.tr_id).toMatch(/^tok_/);
  });

  it('end to end through the format: decode, scrub, encode', () => {
    const body = tp2([{ ...browserEvent, co: JSON.stringify(browserEvent.co) }, { ...structEvent, cx: b64url(browserEvent.co) }]);
    const batch = events(req('POST', TP2, body));
    const scrubbed = batch.events.map((e) => scrubEvent(plan, e));
    const out = batch.encode(scrubbed, undefined);
    const wire = out.body!.toString();
    const decoded = JSON.parse(wire) as { schema: string; data: Record<string, string>[] };
    expect(decoded.schema).toBe(SCHEMA);
    const inner = Buffer.from(decoded.data[1]!.cx!, 'base64url').toString();
    for (const planted of ['jane.doe', 'Jane', 'Gonzalez', DUID, SID, '555-867-5309']) {
      expect(wire).not.toContain(planted);
      expect(inner).not.toContain(planted);
      expect(decoded.data[0]!.co).not.toContain(planted);
    }
    for (const value of Object.values(decoded.data[0]!)) expect(typeof value).toBe('string');
  });
});
