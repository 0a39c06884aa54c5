import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { loadConfig, loadRulePacks } from '../../src/config/load';
import { compilePlan } from '../../src/engine/compile';
import { InputError, KeyError } from '../../src/errors';
import { plausibleFormat, pseudonymousIp } from '../../src/formats/plausible';
import type { DecodedBatch, IncomingRequest, WireFormat } from '../../src/formats/types';
import { scrubBatch } from '../../src/proxy/pipeline';
import { TokenVault } from '../../src/vault/token-vault';

const KEY = Buffer.alloc(32, 7);
const NOON = new Date('2026-11-22T12:00:00Z');
const format = plausibleFormat({ ipKey: KEY, now: () => NOON });
const limits = { maxDecodedBytes: 1024 * 1024 };

/** Bodies as @plausible-analytics/tracker 0.4.6 sends them (captured, shared/wire-formats.md §7). */
const PAGEVIEW = { n: 'pageview', v: 36, u: 'http://clinic.test/pages/p.html?patient=123&email=jane.doe%40example.com', d: 'clinic.example.com', r: null };
const CUSTOM = { n: 'Booked', v: 36, u: 'http://clinic.test/pages/p.html', d: 'clinic.example.com', r: null, p: { email: 'jane.doe@example.com', plan: 'pro' }, i: false, $: { currency: 'USD', amount: 9.99 } };
const ENGAGEMENT = { n: 'engagement', sd: 100, d: 'clinic.example.com', u: 'http://clinic.test/pages/p.html', e: 6539, v: 36, h: 1 };

function req(body: Buffer | string, opts: { method?: string; path?: string; headers?: Record<string, string>; clientIp?: string } = {}): IncomingRequest {
  const u = new URL(opts.path ?? '/api/event', 'http://proxy');
  return {
    method: opts.method ?? 'POST', path: u.pathname, query: u.searchParams, headers: opts.headers ?? { 'content-type': 'text/plain' },
    body: Buffer.from(body), clientIp: opts.clientIp ?? '203.0.113.7', publicBaseUrl: 'http://proxy',
  };
}

function events(r: IncomingRequest, f: WireFormat = format): DecodedBatch {
  const h = f.handle(r, limits);
  if (h.kind !== 'events') throw new Error(`expected events, got ${h.kind}`);
  return h.batch;
}

describe('plausible wire format', () => {
  it.each([['pageview', PAGEVIEW], ['custom event with props and revenue', CUSTOM], ['engagement', ENGAGEMENT]])('round-trips a %s byte for byte', (_label, body) => {
    const text = JSON.stringify(body);
    const batch = events(req(text));
    expect(batch.events).toEqual([body]);
    const out = batch.encode(batch.events, undefined);
    expect(out.path).toBe('/api/event');
    expect(out.body!.toString()).toBe(text);
    expect(out.headers['content-type']).toBe('text/plain');
  });

  it('decodes legacy string props (`m`) for scrubbing and writes them back as a string', () => {
    const body = { n: 'Signup', u: 'https://clinic.example.com/', d: 'clinic.example.com', r: null, m: JSON.stringify({ email: 'jane@example.com', plan: 'pro' }) };
    const batch = events(req(JSON.stringify(body)));
    expect(batch.events).toEqual([{ ...body, m: { email: 'jane@example.com', plan: 'pro' } }]);
    const ev = batch.events[0] as { m: Record<string, string> };
    ev.m.email = '[EMAIL]';
    const out = JSON.parse(batch.encode(batch.events, undefined).body!.toString());
    expect(out.m).toBe('{"email":"[EMAIL]","plan":"pro"}');
  });

  it('forwards only the fields Plausible reads, and kept metadata only with its type', () => {
    const body = { ...PAGEVIEW, extra: 'jane@example.com', ip: '198.51.100.7', v: 'jane@example.com', i: 'no', sd: '50' };
    const batch = events(req(JSON.stringify(body)));
    expect(batch.events).toEqual([{ n: 'pageview', u: PAGEVIEW.u, d: 'clinic.example.com', r: null, sd: '50' }]);
  });

  it('reads gzip signalled by Content-Encoding and forwards plain JSON', () => {
    const batch = events(req(zlib.gzipSync(JSON.stringify(PAGEVIEW)), { headers: { 'content-encoding': 'gzip' } }));
    const out = batch.encode(batch.events, undefined);
    expect(out.body!.toString()).toBe(JSON.stringify(PAGEVIEW));
    expect(out.headers).toHaveProperty('content-encoding', undefined);
  });

  it('answers 202 ok when the event was dropped', () => {
    expect(events(req(JSON.stringify(PAGEVIEW))).emptyResponse).toEqual({ status: 202, body: 'ok', contentType: 'text/plain' });
  });

  it.each([
    ['an empty body', ''],
    ['not JSON', 'n=pageview'],
    ['a JSON array', '[{"n":"pageview"}]'],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0x7d])],
    ['string props that are not a JSON object', JSON.stringify({ ...PAGEVIEW, m: 'jane@example.com' })],
    ['a domain that is not a host name', JSON.stringify({ ...PAGEVIEW, d: 'jane@example.com' })],
  ])('refuses %s with an InputError', (_label, body) => {
    expect(() => format.handle(req(body), limits)).toThrow(InputError);
  });

  it.each([
    ['GET', '/js/script.js', 'passthrough'], ['GET', '/js/script.outbound-links.tagged-events.js', 'passthrough'], ['HEAD', '/js/pa-XyZ123.js', 'passthrough'],
    ['GET', '/api/event', 'unknown'], ['POST', '/api/stats', 'unknown'], ['GET', '/js/../x.js', 'unknown'], ['POST', '/js/script.js', 'unknown'],
  ])('%s %s is %s', (method, p, kind) => {
    const h = format.handle(req('', { method, path: p }), limits);
    expect(h.kind).toBe(kind);
    if (h.kind === 'passthrough') expect(h.path).toBe(p);
  });
});

describe('plausible visitor IP', () => {
  const forwarded = (f: WireFormat, clientIp: string) => events(req(JSON.stringify(PAGEVIEW), { clientIp }), f).encode([PAGEVIEW], undefined).headers['x-forwarded-for'];

  it('sends a pseudonymous fd00::/8 address instead of the client IP', () => {
    const ip = forwarded(format, '203.0.113.7')!;
    expect(ip).toMatch(/^fd[0-9a-f]{2}(?::[0-9a-f]{4}){7}$/);
    expect(ip).toBe(pseudonymousIp(KEY, '203.0.113.7', NOON));
    expect(ip).not.toContain('203.0.113.7');
  });

  it('is stable for a visitor within a UTC day, different across visitors, days and keys', () => {
    const day = (iso: string) => plausibleFormat({ ipKey: KEY, now: () => new Date(iso) });
    const a = forwarded(day('2026-11-22T00:00:01Z'), '203.0.113.7');
    expect(forwarded(day('2026-11-22T23:59:59Z'), '203.0.113.7')).toBe(a);
    expect(forwarded(day('2026-11-22T12:00:00Z'), '::ffff:203.0.113.7')).toBe(a);
    expect(forwarded(day('2026-11-22T12:00:00Z'), '203.0.113.8')).not.toBe(a);
    expect(forwarded(day('2026-11-23T00:00:00Z'), '203.0.113.7')).not.toBe(a);
    expect(forwarded(plausibleFormat({ ipKey: Buffer.alloc(32, 8), now: () => NOON }), '203.0.113.7')).not.toBe(a);
    expect(forwarded(day('2026-11-22T12:00:00Z'), '2001:db8::1')).toMatch(/^fd/);
  });

  it('takes the key from PHI_PROXY_PLAUSIBLE_IP_KEY (hex or text), else one random key per process', () => {
    const hex = 'ab'.repeat(32);
    const fromEnv = plausibleFormat({ env: { PHI_PROXY_PLAUSIBLE_IP_KEY: hex }, now: () => NOON });
    expect(forwarded(fromEnv, '203.0.113.7')).toBe(pseudonymousIp(Buffer.from(hex, 'hex'), '203.0.113.7', NOON));
    const text = 'a deployment secret of 32+ chars!';
    expect(forwarded(plausibleFormat({ env: { PHI_PROXY_PLAUSIBLE_IP_KEY: text }, now: () => NOON }), '203.0.113.7')).toBe(pseudonymousIp(Buffer.from(text), '203.0.113.7', NOON));
    const r1 = forwarded(plausibleFormat({ env: {}, now: () => NOON }), '203.0.113.7');
    expect(forwarded(plausibleFormat({ env: {}, now: () => NOON }), '203.0.113.7')).toBe(r1);
    expect(r1).not.toBe(forwarded(format, '203.0.113.7'));
  });

  it('refuses a short key and an unknown mode at start-up', () => {
    expect(() => plausibleFormat({ env: { PHI_PROXY_PLAUSIBLE_IP_KEY: 'short' } })).toThrow(KeyError);
    expect(() => plausibleFormat({ env: { PHI_PROXY_PLAUSIBLE_VISITOR_IP: 'real' } })).toThrow(KeyError);
  });

  it('sends no address with PHI_PROXY_PLAUSIBLE_VISITOR_IP=none or without a client IP', () => {
    const none = plausibleFormat({ env: { PHI_PROXY_PLAUSIBLE_VISITOR_IP: 'none' } });
    expect(events(req(JSON.stringify(PAGEVIEW)), none).encode([PAGEVIEW], undefined).headers).not.toHaveProperty('x-forwarded-for');
    expect(events(req(JSON.stringify(PAGEVIEW), { clientIp: '' })).encode([PAGEVIEW], undefined).headers).not.toHaveProperty('x-forwarded-for');
  });
});

describe('plausible with its rule pack and the Safe Harbor pack', () => {
  const config = loadConfig(undefined);
  const packs = [...loadRulePacks([path.resolve(__dirname, '../../rules/plausible.yaml')], config.baseDir), ...config.packs];
  const plan = compilePlan({ ...config, packs }, { pseudonymizer: new TokenVault() });

  it('scrubs URL, referrer and props, keeps the domain, goal names and metadata', () => {
    const body = {
      n: 'Booked', v: 36, u: 'https://clinic.example.com/patients/4711/book?email=jane.doe%40example.com&utm_source=news#dob=1985-03-14',
      d: 'clinic.example.com', r: 'https://www.google.com/search?q=jane+doe+hiv', p: { email: 'jane.doe@example.com', plan: 'pro', note: 'Patient Maria Gonzalez, SSN 123-45-6789' },
      i: false, $: { currency: 'USD', amount: 9.99 },
    };
    const out = scrubBatch(plan, events(req(JSON.stringify(body)))).outgoing!;
    const json = JSON.parse(out.body!.toString());
    expect(json).toEqual({
      n: 'Booked', v: 36, u: 'https://clinic.example.com/patients/:id/book?utm_source=news', d: 'clinic.example.com', r: 'https://www.google.com/search',
      p: { email: '[EMAIL]', plan: 'pro', note: expect.stringMatching(/^Patient \[NAME\], SSN \[SSN\]$/) }, i: false, $: { currency: 'USD', amount: 9.99 },
    });
    for (const n of ['pageview', 'engagement', 'Outbound Link: Click', 'File Download', 'Form: Submission', '404']) {
      const scrubbed = JSON.parse(scrubBatch(plan, events(req(JSON.stringify({ ...PAGEVIEW, n })))).outgoing!.body!.toString());
      expect(scrubbed.n).toBe(n);
    }
  });

  it('scrubs legacy string props', () => {
    const body = { name: 'Signup', url: 'https://clinic.example.com/', domain: 'clinic.example.com', m: JSON.stringify({ phone: '617-555-0123', plan: 'pro' }) };
    const json = JSON.parse(scrubBatch(plan, events(req(JSON.stringify(body)))).outgoing!.body!.toString());
    expect(JSON.parse(json.m)).toEqual({ phone: '[PHONE]', plan: 'pro' });
  });
});
