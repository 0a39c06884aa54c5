/**
 * The real Snowplow trackers through phi-proxy (`format: snowplow`) to a recording collector on
 * 127.0.0.1 that decodes independently of the proxy (tp2 JSON, nested co/ue_pr JSON text and
 * cx/ue_px base64url; /i query strings) and answers as the collector does (200 on tp2, a GIF on /i):
 *  - @snowplow/node-tracker: POST (encodeBase64 default true, and false) and GET;
 *  - @snowplow/browser-tracker (dist/index.umd.min.js) in headless Chromium from a page on another
 *    origin: POST with credentials:'include' (CORS preflight with credentials) and GET /i.
 * Planted identifiers (user id, cookie ids, URL query, title, free text, contexts) never arrive in
 * any form; benign fields arrive unchanged; every event arrives; the SDKs see success.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'puppeteer-core';
import { startProxy, type RunningProxy } from '../../src/proxy/server';
import { clientHeadersSeen, leaksIn, waitFor, launchChromium } from './helpers';

jest.setTimeout(30_000);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeTracker = require('@snowplow/node-tracker') as typeof import('@snowplow/node-tracker');
const BROWSER_BUNDLE = require.resolve('@snowplow/browser-tracker/dist/index.umd.min.js');

const TP2 = '/com.snowplowanalytics.snowplow/tp2';
const PAGE_HOST = 'clinic.test';
const EMAIL = 'jane.doe@example.com';
const DUID = '8a802561-3c1f-4b7e-9d2a-5e6f7a8b9c0d';
const SID = 'a3e82097-1b2c-4d3e-8f4a-5b6c7d8e9f00';
const NUID = '2b5e7f1a-9c3d-4e8f-a1b2-c3d4e5f6a7b8';
const PLANTED = [EMAIL, 'Jane Doe', 'Maria Gonzalez', 'Gonzalez', '555-867-5309', '123-45-6789', 'patient=123', DUID, SID, NUID, '203.0.113.7'];
/** A real 43-byte GIF (bytes above 0x7f): the proxy must hand it back byte for byte. */
const COLLECTOR_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

type Json = Record<string, any>;
declare const window: any;
declare const document: any;

// ---------------------------------------------------------------------------------------------
// The recording collector

interface Received {
  method: string;
  path: string;
  query: string;
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  /** Every event of the request, nested JSON decoded (independently of phi-proxy). */
  events: Json[];
}

interface Collector {
  url: string;
  received: Received[];
  events(): Json[];
  /** Everything, raw and decoded, for leak search. */
  haystack(): string;
  close(): Promise<void>;
}

function decodeNested(event: Json): Json {
  const out: Json = { ...event };
  for (const key of ['co', 'ue_pr']) if (typeof out[key] === 'string') out[key] = JSON.parse(out[key]);
  for (const key of ['cx', 'ue_px']) if (typeof out[key] === 'string') out[key] = JSON.parse(Buffer.from(out[key], 'base64url').toString('utf8'));
  return out;
}

async function startCollector(): Promise<Collector> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://collector');
      const raw = Buffer.concat(chunks);
      const r: Received = { method: req.method ?? '', path: url.pathname, query: url.search, headers: req.headers, raw, events: [] };
      received.push(r);
      if (req.method === 'POST' && url.pathname === TP2) {
        const body = JSON.parse(raw.toString('utf8')) as { schema: string; data: Json[] };
        r.events = body.data.map(decodeNested);
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
        return;
      }
      if (req.method === 'GET' && url.pathname === '/i') {
        r.events = [decodeNested(Object.fromEntries(url.searchParams))];
        res.writeHead(200, { 'content-type': 'image/gif', 'content-length': COLLECTOR_GIF.length });
        res.end(COLLECTOR_GIF);
        return;
      }
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    events: () => received.flatMap((r) => r.events),
    haystack: () => received.map((r) => [r.method, r.path, r.query, decodeURIComponent(r.query), JSON.stringify(r.headers), r.raw.toString('latin1'), JSON.stringify(r.events)].join('\n')).join('\n'),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

interface Stack {
  collector: Collector;
  proxy: RunningProxy;
  close(): Promise<void>;
}

async function startStack(): Promise<Stack> {
  const collector = await startCollector();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phi-proxy-snowplow-'));
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, 'format: snowplow\nvault:\n  path: vault.jsonl\n');
  const proxy = await startProxy({ configFile, overrides: { upstream: collector.url, port: 0, host: '127.0.0.1', logLevel: 'silent' } });
  return {
    collector,
    proxy,
    close: async () => {
      await proxy.close();
      await collector.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Assertions shared by every run: nothing planted arrived, no client headers, ids are surrogates. */
function expectNoLeaks(stack: Stack): void {
  expect(leaksIn(stack.collector.haystack(), PLANTED)).toEqual([]);
  expect(clientHeadersSeen({ requests: stack.collector.received } as never)).toEqual([]);
  for (const e of stack.collector.events()) {
    if (e.uid !== undefined) expect(e.uid).toMatch(/^tok_/);
    for (const key of ['duid', 'sid', 'nuid']) if (e[key] !== undefined) expect(e[key]).toMatch(UUID4);
    expect(e).not.toHaveProperty('ip');
    if (typeof e.url === 'string') expect(e.url).not.toMatch(/[?&](?!utm_)/); // only UTM parameters stay
  }
}

// ---------------------------------------------------------------------------------------------

describe('@snowplow/node-tracker through phi-proxy', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function sendAll(eventMethod: 'post' | 'get', encodeBase64: boolean | undefined) {
    const { port } = new URL(stack.proxy.url);
    const successes: number[] = [];
    const failures: unknown[] = [];
    const t = nodeTracker.newTracker(
      { namespace: `n-${eventMethod}`, appId: 'clinic-server', ...(encodeBase64 === undefined ? {} : { encodeBase64 }) },
      {
        endpoint: '127.0.0.1', port: Number(port), protocol: 'http', eventMethod, bufferSize: 1,
        onRequestSuccess: (batch) => successes.push(batch.length),
        onRequestFailure: (failure) => failures.push(failure),
      },
    );
    t.setUserId(EMAIL);
    t.setDomainUserId(DUID);
    t.setSessionId(SID);
    t.setNetworkUserId(NUID);
    t.addPayloadPair('ip', '203.0.113.7');
    const before = stack.collector.events().length;
    t.track(nodeTracker.buildPageView({
      pageUrl: `https://portal.example.org/visit?patient=123&email=${encodeURIComponent(EMAIL)}&utm_source=mail`,
      pageTitle: 'Patient record - Jane Doe',
      referrer: 'https://portal.example.org/search?q=Jane+Doe',
    }));
    t.track(nodeTracker.buildStructEvent({ category: 'appointment', action: 'book', label: EMAIL, property: 'Patient Maria Gonzalez, SSN 123-45-6789', value: 3 }));
    t.track(nodeTracker.buildSelfDescribingEvent({
      event: { schema: 'iglu:com.acme/booked/jsonschema/1-0-0', data: { plan: 'pro', phone: '555-867-5309', note: 'call Maria Gonzalez' } },
    }), [{ schema: 'iglu:com.acme/patient/jsonschema/1-0-0', data: { email: EMAIL, tier: 'gold' } }]);
    await t.flush();
    const acknowledged = () => successes.reduce((a, b) => a + b, 0) + failures.length;
    await waitFor('3 events at the collector, acknowledged to the SDK', () => stack.collector.events().length >= before + 3 && acknowledged() >= 3);
    return { events: stack.collector.events().slice(before), successes, failures };
  }

  it.each([
    ['POST, encodeBase64 default (cx / ue_px)', 'post', undefined],
    ['POST, encodeBase64 false (co / ue_pr)', 'post', false],
    ['GET /i', 'get', undefined],
  ] as const)('%s: every event arrives scrubbed, benign fields intact, the SDK sees success', async (_label, method, b64) => {
    const { events, successes, failures } = await sendAll(method, b64);
    expect(failures).toEqual([]);
    expect(successes.reduce((a, b) => a + b, 0)).toBe(3);
    expect(events.map((e) => e.e)).toEqual(['pv', 'se', 'ue']);
    expectNoLeaks(stack);
    const [pv, se, ue] = events as [Json, Json, Json];
    const nested = b64 === false ? { ctx: 'co', ue: 'ue_pr' } : { ctx: 'cx', ue: 'ue_px' };
    for (const e of events) {
      expect(e).toMatchObject({ tv: 'node-4.8.0', aid: 'clinic-server', p: 'srv', tna: `n-${method}` });
      expect(e.eid).toMatch(UUID4);
      expect(e.duid).toBe(pv.duid); // one surrogate per id, on every event
      expect(e.uid).toBe(pv.uid);
    }
    expect(pv.url).toBe('https://portal.example.org/visit?utm_source=mail');
    expect(pv.refr).toBe('https://portal.example.org/search');
    expect(pv.page).not.toContain('Jane');
    expect(se).toMatchObject({ se_ca: 'appointment', se_ac: 'book', se_va: '3' });
    expect(ue[nested.ue].data).toEqual({ schema: 'iglu:com.acme/booked/jsonschema/1-0-0', data: { plan: 'pro', phone: '[PHONE]', note: expect.stringContaining('call ') } });
    expect(ue[nested.ctx].data).toEqual([{ schema: 'iglu:com.acme/patient/jsonschema/1-0-0', data: { email: '[EMAIL]', tier: 'gold' } }]);
    const requests = stack.collector.received.filter((r) => (method === 'get' ? r.path === '/i' : r.path === TP2));
    expect(requests.length).toBeGreaterThan(0);
    if (method === 'post') for (const r of requests) expect(Number(r.headers['content-length'])).toBe(r.raw.length);
  });

  it('passes the collector GIF back unchanged on GET /i', async () => {
    const res = await fetch(`${stack.proxy.url}/i?e=pv&tv=js-x&url=${encodeURIComponent('http://a.test/')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(COLLECTOR_GIF);
  });

  it('refuses undecodable payloads and unknown paths without forwarding them', async () => {
    const before = stack.collector.received.length;
    const bad = await fetch(`${stack.proxy.url}${TP2}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4', data: [{ e: 'ue', cx: '%%' }] }) });
    expect(bad.status).toBe(400);
    expect((await fetch(`${stack.proxy.url}/r/tp2?u=${encodeURIComponent('http://a.test/?email=' + EMAIL)}`)).status).toBe(404);
    expect(stack.collector.received.length).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------

describe('@snowplow/browser-tracker in Chromium through phi-proxy', () => {
  let browser: Browser;
  let stack: Stack;
  let site: http.Server;
  let pageUrl: string;
  const proxyResponses: string[] = [];
  const consoleLines: string[] = [];

  beforeAll(async () => {
    stack = await startStack();
    site = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://site');
      if (url.pathname === '/vendor/sp.js') {
        res.writeHead(200, { 'content-type': 'application/javascript' });
        res.end(fs.readFileSync(BROWSER_BUNDLE));
        return;
      }
      if (url.pathname === '/pages/clinic.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Patient 123 - Jane Doe</title><script src="/vendor/sp.js"></script></head><body>Jane Doe</body></html>`);
        return;
      }
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    pageUrl = `http://${PAGE_HOST}:${(site.address() as AddressInfo).port}/pages/clinic.html?patient=123&email=${encodeURIComponent(EMAIL)}`;
    browser = await launchChromium(PAGE_HOST);
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => { site?.closeAllConnections(); site ? site.close(() => resolve()) : resolve(); });
    await stack?.close();
  });

  it('POST (preflight, credentials) and GET /i: every event scrubbed, benign fields intact, no failures', async () => {
    const page = await browser.newPage();
    page.on('response', (r) => { if (r.url().startsWith(stack.proxy.url)) proxyResponses.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`); });
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    await page.goto(pageUrl, { waitUntil: 'load' });
    const result = await page.evaluate(async (collector: string, email: string) => {
      const sp = window.snowplowBrowserTracking;
      const outcome = { success: 0, failure: [] as string[], sent: [] as string[] };
      const callbacks = {
        onRequestSuccess: (batch: unknown[]) => { outcome.success += batch.length; outcome.sent.push(JSON.stringify(batch)); },
        onRequestFailure: (f: { status?: number; message?: string }) => { outcome.failure.push(`${f.status} ${f.message}`); },
      };
      sp.newTracker('sp1', collector, { appId: 'clinic', eventMethod: 'post', bufferSize: 1, contexts: { webPage: true, session: true }, ...callbacks });
      sp.newTracker('sp2', collector, { appId: 'clinic-get', eventMethod: 'get', contexts: { webPage: true }, ...callbacks });
      sp.setUserId(email);
      sp.trackPageView();
      sp.trackStructEvent({ category: 'appointment', action: 'book', label: email, property: 'Patient Maria Gonzalez' });
      sp.trackSelfDescribingEvent({
        event: { schema: 'iglu:com.acme/booked/jsonschema/1-0-0', data: { plan: 'pro', phone: '555-867-5309' } },
        context: [{ schema: 'iglu:com.acme/patient/jsonschema/1-0-0', data: { email, tier: 'gold' } }],
      }, ['sp1']);
      const deadline = Date.now() + 15_000;
      while (outcome.success + outcome.failure.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return outcome;
    }, stack.proxy.url, EMAIL);

    expect(result.failure).toEqual([]);
    expect(result.success).toBe(5); // 3 events via POST (sp1) + 2 via GET (sp2)
    const events = stack.collector.events();
    expect(events.filter((e) => e.aid === 'clinic').map((e) => e.e).sort()).toEqual(['pv', 'se', 'ue']);
    expect(events.filter((e) => e.aid === 'clinic-get').map((e) => e.e).sort()).toEqual(['pv', 'se']);
    expect(stack.collector.received.filter((r) => r.method === 'POST').every((r) => r.path === TP2)).toBe(true);
    expect(stack.collector.received.filter((r) => r.method === 'GET').every((r) => r.path === '/i')).toBe(true);

    expectNoLeaks(stack);
    expect(stack.collector.haystack()).not.toMatch(/Jane|Gonzalez/);
    const origin = new URL(pageUrl).origin;
    for (const e of events) {
      expect(e.tv).toBe('js-4.10.1');
      expect(e.p).toBe('web');
      expect(e.url).toBe(`${origin}/pages/clinic.html`);
      expect(e.uid).toBe(events[0]!.uid);
      expect(e.duid).toMatch(UUID4);
      expect(e.res).toMatch(/^\d+x\d+$/);
      const contexts = (e.co ?? e.cx) as Json;
      const webPage = contexts.data.find((c: Json) => String(c.schema).includes('/web_page/'));
      expect(webPage.data.id).toMatch(UUID4); // page view id: kept
    }
    // the browser's own cookie ids (domain user id, session id), as the SDK sent them, never reach the collector
    const sdkIds = [...result.sent.join('\n').matchAll(/\\?"(?:duid|sid)\\?":\\?"([0-9a-f-]{36})/g)].map((m) => m[1]!);
    expect(sdkIds.length).toBeGreaterThan(0);
    expect(leaksIn(stack.collector.haystack(), sdkIds)).toEqual([]);
    const ue = events.find((e) => e.e === 'ue')!;
    expect(ue.ue_pr.data).toEqual({ schema: 'iglu:com.acme/booked/jsonschema/1-0-0', data: { plan: 'pro', phone: '[PHONE]' } });
    // CORS: the preflighted, credentialed POSTs and the GETs all succeeded
    expect(proxyResponses.filter((r) => !/^(?:200|204) /.test(r))).toEqual([]);
    expect(proxyResponses.some((r) => r.includes(`POST ${TP2}`))).toBe(true);
    expect(consoleLines.filter((m) => /cors|access-control|blocked/i.test(m))).toEqual([]);
    await page.close();
  });
});
