import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { compileRules } from '../../src/engine/compile';
import { scrubEvent } from '../../src/engine/scrub';
import { InputError } from '../../src/errors';
import { matomoFormat } from '../../src/formats/matomo';
import type { DecodedBatch, IncomingRequest } from '../../src/formats/types';
import { TokenVault } from '../../src/vault/token-vault';
import { writeConfig } from '../helpers';

const format = matomoFormat();
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

/** A matomo.js pageview as captured (§9.1), percent-encoded the way matomo.js writes it. */
const CVAR = '{"1":["email","jane.doe@example.com"],"2":["plan","pro"]}';
const UADATA = '{"fullVersionList":[{"brand":"Chromium","version":"150.0.7871.100"}],"mobile":false,"model":"","platform":"Linux","platformVersion":"6.1.0"}';
const HIT = [
  ['action_name', 'Patient 123 - Jane Doe'], ['idsite', '1'], ['rec', '1'], ['r', '123806'], ['h', '8'], ['m', '36'], ['s', '14'],
  ['url', 'http://localhost:8788/pages/matomo.html?patient=123&email=jane.doe@example.com'], ['uid', 'jane.doe@example.com'],
  ['_id', '3a8ff93019bdfae2'], ['_idn', '0'], ['send_image', '0'], ['_refts', '0'], ['dimension1', 'Patient Maria Gonzalez'], ['dimension2', 'pro'], ['_cvar', CVAR],
  ['pv_id', 'aB3dE6'], ['uadata', UADATA], ['cookie', '1'], ['res', '800x600'],
] as const;
const QUERY = HIT.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
const DECODED = {
  ...Object.fromEntries(HIT),
  _cvar: { 1: { name: 'email', value: 'jane.doe@example.com' }, 2: { name: 'plan', value: 'pro' } },
  uadata: JSON.parse(UADATA),
};

describe('matomo wire format: single hits', () => {
  it.each([
    ['GET pixel (matomo-tracker, setRequestMethod GET)', () => req('GET', `/matomo.php?${QUERY}`)],
    ['POST beacon: every parameter in the URL, empty body', () => req('POST', `/matomo.php?${QUERY}`, '', { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' })],
    ['POST form body (XHR)', () => req('POST', '/matomo.php', QUERY, { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' })],
    ['the old /piwik.php name', () => req('GET', `/piwik.php?${QUERY}`)],
  ])('decodes %s into one event with JSON parameters as objects, order kept', (_label, make) => {
    const batch = events(make());
    expect(batch.events).toEqual([DECODED]);
    expect(Object.keys(batch.events[0] as object)).toEqual(HIT.map(([k]) => k));
    expect(batch.envelope).toBeUndefined();
  });

  it('re-encodes a GET and a beacon in the URL, byte for byte', () => {
    const get = events(req('GET', `/matomo.php?${QUERY}`));
    expect(get.encode(get.events, undefined)).toEqual({ path: `/matomo.php?${QUERY}`, body: undefined, headers: {} });
    const beacon = events(req('POST', `/piwik.php?${QUERY}`));
    const out = beacon.encode(beacon.events, undefined);
    expect(out.path).toBe(`/piwik.php?${QUERY}`);
    expect(out.body).toEqual(Buffer.alloc(0)); // still a POST with Content-Length: 0
  });

  it('re-encodes a form POST in the body; URL parameters join it and win, as in Matomo', () => {
    const form = events(req('POST', '/matomo.php', QUERY));
    expect(form.encode(form.events, undefined)).toEqual({ path: '/matomo.php', body: Buffer.from(QUERY), headers: {} });
    const mixed = events(req('POST', '/matomo.php?token_auth=abc&idsite=2', 'idsite=1&url=http%3A%2F%2Fa.test%2F&e_c=c+d'));
    expect(mixed.events).toEqual([{ token_auth: 'abc', idsite: '2', url: 'http://a.test/', e_c: 'c d' }]);
    const out = mixed.encode(mixed.events, undefined);
    expect(out.path).toBe('/matomo.php');
    expect(out.body!.toString()).toBe('token_auth=abc&idsite=2&url=http%3A%2F%2Fa.test%2F&e_c=c%20d');
  });

  it('writes custom variables back as [name, value] pairs, dropping a pair whose part was removed', () => {
    const batch = events(req('GET', `/matomo.php?idsite=1&_cvar=${encodeURIComponent(CVAR)}&cvar=${encodeURIComponent('{"1":["a","b"]}')}`));
    const hit = batch.events[0] as { _cvar: Record<string, { name: string; value?: string }> };
    hit._cvar['1']!.value = '[EMAIL]';
    delete hit._cvar['2']!.value;
    const q = new URL(batch.encode(batch.events, undefined).path, 'http://x').searchParams;
    expect(q.get('_cvar')).toBe('{"1":["email","[EMAIL]"]}');
    expect(q.get('cvar')).toBe('{"1":["a","b"]}');
  });

  it('decodes ec_items; leaves JSON parameters that are not JSON as text for the detectors', () => {
    const items = '[["SKU1","Insulin pen","Diabetes",12.5,1]]';
    const batch = events(req('GET', `/matomo.php?idsite=1&ec_items=${encodeURIComponent(items)}&_cvar=oops&uadata=42`));
    expect(batch.events[0]).toEqual({ idsite: '1', ec_items: JSON.parse(items), _cvar: 'oops', uadata: '42' });
    expect(new URL(batch.encode(batch.events, undefined).path, 'http://x').searchParams.get('ec_items')).toBe(items);
  });

  it('keeps a visitor id 16 hex characters: a vault surrogate is mapped, anything else goes', () => {
    const batch = events(req('GET', '/matomo.php?idsite=1&_id=3a8ff93019bdfae2&cid=0123456789abcdef&uid=u'));
    const token = 'tok_AAAAAAAAAAAAAAAAAAAA';
    Object.assign(batch.events[0] as object, { _id: token, cid: '[ID]' });
    const q = new URL(batch.encode(batch.events, undefined).path, 'http://x').searchParams;
    expect(q.get('_id')).toBe(createHash('sha256').update(token).digest('hex').slice(0, 16));
    expect(q.has('cid')).toBe(false);
    expect(q.get('uid')).toBe('u');
  });

  it('answers locally when the hit was dropped: 204 for send_image=0, else a GIF', () => {
    expect(events(req('POST', '/matomo.php?idsite=1&send_image=0')).emptyResponse).toMatchObject({ status: 204, body: '' });
    const gif = events(req('GET', '/matomo.php?idsite=1&send_image=1')).emptyResponse;
    expect(gif).toMatchObject({ status: 200, contentType: 'image/gif' });
    expect(Buffer.from(gif.body, 'utf8').subarray(0, 6).toString()).toBe('GIF89a');
    expect(Buffer.from(gif.body, 'utf8').length).toBe(gif.body.length);
  });

  it('keeps a repeated parameter at its first position with its last value (PHP), and __proto__ plain', () => {
    const batch = events(req('GET', '/matomo.php?a=1&b=2&a=3&__proto__=x'));
    expect(batch.events[0]).toEqual({ a: '3', b: '2', ['__proto__']: 'x' });
    expect(Object.getPrototypeOf(batch.events[0])).toBe(Object.prototype);
    expect(batch.encode(batch.events, undefined).path).toBe('/matomo.php?a=3&b=2&__proto__=x');
  });
});

describe('matomo wire format: bulk', () => {
  const body = JSON.stringify({ requests: [`?${QUERY}`, '?idsite=1&rec=1&e_c=Booking&e_a=book&uid=jane.doe%40example.com'], send_image: 0 });

  it('reads each request as one event; the rest is the envelope', () => {
    const batch = events(req('POST', '/matomo.php', body, { 'content-type': 'application/json' }));
    expect(batch.events).toEqual([DECODED, { idsite: '1', rec: '1', e_c: 'Booking', e_a: 'book', uid: 'jane.doe@example.com' }]);
    expect(batch.envelope).toEqual({ send_image: 0 });
    expect(batch.emptyResponse).toMatchObject({ status: 200, contentType: 'application/json' });
    expect(batch.encode(batch.events, batch.envelope).body!.toString()).toBe(body);
  });

  it('accepts entries as whole tracker URLs and as objects, writes dropped events out', () => {
    const objects = JSON.stringify({ requests: [{ idsite: 1, url: 'http://a.test/x y', rec: null }], token_auth: 't' });
    const batch = events(req('POST', '/matomo.php', objects));
    expect(batch.events).toEqual([{ idsite: '1', url: 'http://a.test/x y', rec: '' }]);
    expect(JSON.parse(batch.encode(batch.events, batch.envelope).body!.toString())).toEqual({ requests: [{ idsite: '1', url: 'http://a.test/x y', rec: '' }], token_auth: 't' });
    const urls = events(req('POST', '/matomo.php', JSON.stringify({ requests: ['https://m.example/matomo.php?idsite=3&rec=1', '?idsite=4'] })));
    expect(urls.events).toEqual([{ idsite: '3', rec: '1' }, { idsite: '4' }]);
    expect(JSON.parse(urls.encode([urls.events[1]], {}).body!.toString())).toEqual({ requests: ['?idsite=4'] });
  });

  it.each([
    ['no requests array', '{"foo":1}'],
    ['a request that is a number', '{"requests":[1]}'],
    ['a request parameter that is an object', '{"requests":[{"a":{"b":1}}]}'],
    ['invalid JSON', '{"requests":['],
    ['a JSON array', '[]'],
  ])('refuses %s', (_label, text) => {
    expect(() => format.handle(req('POST', '/matomo.php', text), limits)).toThrow(InputError);
  });

  it('refuses a bulk request with URL parameters', () => {
    expect(() => format.handle(req('POST', '/matomo.php?idsite=1', body), limits)).toThrow(InputError);
  });
});

describe('matomo wire format: refusals and paths', () => {
  it.each([
    ['GET without parameters', req('GET', '/matomo.php')],
    ['POST without parameters', req('POST', '/matomo.php', '  ')],
    ['bad percent-encoding in a form body', req('POST', '/matomo.php', 'url=%E0%A4%A')],
    ['a body that is not UTF-8', req('POST', '/matomo.php', Buffer.from([0x61, 0x3d, 0xff]))],
    ['gzip', req('POST', '/matomo.php', 'a=1', { 'content-encoding': 'gzip' })],
  ])('refuses %s', (_label, r) => {
    expect(() => format.handle(r, limits)).toThrow(InputError);
  });

  it.each([
    ['GET', '/matomo.js', 'passthrough'], ['GET', '/piwik.js', 'passthrough'], ['HEAD', '/matomo.js', 'passthrough'],
    ['POST', '/matomo.js', 'unknown'], ['GET', '/index.php', 'unknown'], ['GET', '/js/', 'unknown'], ['PUT', '/matomo.php', 'unknown'],
    ['GET', '/matomo.php/x', 'unknown'],
  ])('%s %s is %s', (method, url, kind) => {
    expect(format.handle(req(method, url), limits).kind).toBe(kind);
  });

  it('forwards the tracker script without its query', () => {
    expect(format.handle(req('GET', '/matomo.js?v=5&email=x'), limits)).toEqual({ kind: 'passthrough', path: '/matomo.js' });
  });
});

describe('rules/matomo.yaml with the Safe Harbor pack', () => {
  const dir = path.resolve(__dirname, '../../rules');
  const plan = compileRules(writeConfig({ 'config.yaml': `rules: [${path.join(dir, 'matomo.yaml')}, ${path.join(dir, 'safe-harbor.yaml')}]\n` }), { pseudonymizer: new TokenVault() });
  const PLANTED = ['jane.doe', 'Jane', 'Doe', 'patient=123', '3a8ff93019bdfae2', '0123456789abcdef', '198.51.100.23', 'Springfield', '39.78', '-89.65', 'Maria', 'Gonzalez', '555-867-5309', 'ORD-1001', '48213'];

  function scrubHit(query: string): { hit: Record<string, any>; wire: URLSearchParams } {
    const batch = events(req('GET', `/matomo.php?${query}`));
    const hit = scrubEvent(plan, batch.events[0]) as Record<string, any>;
    return { hit, wire: new URL(batch.encode([hit], undefined).path, 'http://x').searchParams };
  }

  it('scrubs a matomo.js pageview: ids, URL, title, dimensions, custom variables; keeps metadata', () => {
    const { hit, wire } = scrubHit(`${QUERY}&urlref=${encodeURIComponent('https://portal.example.org/patients/48213?x=1')}`);
    const text = decodeURIComponent(wire.toString());
    for (const planted of PLANTED) expect(text).not.toContain(planted);
    expect(hit.uid).toMatch(/^tok_/);
    expect(wire.get('_id')).toMatch(/^[0-9a-f]{16}$/);
    expect(wire.get('url')).toBe('http://localhost:8788/pages/matomo.html');
    expect(wire.get('urlref')).toBe('https://portal.example.org/patients/:id');
    expect(wire.get('_cvar')).toBe('{"1":["email","[EMAIL]"],"2":["plan","pro"]}');
    expect(wire.get('uadata')).toBe(UADATA);
    for (const key of ['idsite', 'rec', 'r', 'h', 'm', 's', '_idn', 'send_image', '_refts', 'pv_id', 'cookie', 'res', 'dimension2']) {
      expect(wire.get(key)).toBe(Object.fromEntries(HIT)[key]);
    }
    expect([...wire.keys()]).toEqual([...HIT.map(([k]) => k), 'urlref']);
  });

  it('drops cip, city and coordinates; keeps country, region, token_auth and cdt; scrubs event and ecommerce fields', () => {
    const q = new URLSearchParams({
      idsite: '1', rec: '1', token_auth: 'c0ffee00c0ffee00c0ffee00c0ffee00', cip: '198.51.100.23', cdt: '2026-11-22 08:36:14',
      country: 'us', region: 'IL', city: 'Springfield', lat: '39.78', long: '-89.65', cid: '0123456789abcdef',
      e_c: 'Booking', e_a: 'book', e_n: 'Patient Maria Gonzalez called from 555-867-5309', ec_id: 'ORD-1001',
      ec_items: JSON.stringify([['SKU1', 'Visit for jane.doe@example.com', 'Care', 12.5, 1]]), search: 'jane.doe@example.com',
      link: 'https://portal.example.org/patients/48213/records.pdf?email=jane.doe%40example.com',
    });
    const { hit, wire } = scrubHit(q.toString());
    const text = decodeURIComponent(wire.toString());
    for (const planted of PLANTED) expect(text).not.toContain(planted);
    for (const gone of ['cip', 'city', 'lat', 'long']) expect(wire.has(gone)).toBe(false);
    expect(wire.get('token_auth')).toBe('c0ffee00c0ffee00c0ffee00c0ffee00');
    expect(wire.get('cdt')).toBe('2026-11-22 08:36:14');
    expect(wire.get('country')).toBe('us');
    expect(wire.get('region')).toBe('IL');
    expect(wire.get('cid')).toMatch(/^[0-9a-f]{16}$/);
    expect(hit.ec_id).toMatch(/^tok_/);
    expect(wire.get('e_c')).toBe('Booking');
    expect(wire.get('link')).toBe('https://portal.example.org/patients/:id/records.pdf');
  });

  it('gives the same person the same surrogate in uid across hits, and the same 16-hex visitor id', () => {
    const a = scrubHit('idsite=1&uid=jane.doe%40example.com&_id=3a8ff93019bdfae2');
    const b = scrubHit('idsite=1&uid=jane.doe%40example.com&_id=3a8ff93019bdfae2');
    expect(a.hit.uid).toBe(b.hit.uid);
    expect(a.wire.get('_id')).toBe(b.wire.get('_id'));
    expect(a.wire.get('_id')).not.toBe('3a8ff93019bdfae2');
  });
});
