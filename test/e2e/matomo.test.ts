/**
 * Real Matomo clients through phi-proxy (`format: matomo`) to a recording Matomo on 127.0.0.1
 * that decodes independently of the proxy and answers as matomo.php does (GIF, 204 for
 * send_image=0, JSON for bulk), and also hosts the tracker script (`/matomo.js`):
 *  - the community Node lib `matomo-tracker` (track → GET, trackBulk → JSON bulk POST);
 *  - Matomo's own tracker `matomo.js` (js/piwik.js, BSD-3) in headless Chromium from a page on
 *    another origin, loaded through the proxy: sendBeacon (params in the URL, empty body), bulk
 *    beacon (content impressions), image GET and XHR form POST.
 * matomo.js is not on npm: the browser part reads it from test/fixtures/matomo/matomo.js (or
 * $PHI_MATOMO_JS) and is skipped, saying so, when neither exists.
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
const MatomoTracker = require('matomo-tracker') as new (siteId: number | string, url: string) => {
  track(options: Record<string, unknown>): void;
  trackBulk(events: Record<string, unknown>[], callback?: (body: string) => void): void;
  on(event: 'error', listener: (err: unknown) => void): void;
};

// matomo.js ships with Matomo itself, in no npm package, and is not vendored here: point
// PHI_MATOMO_JS at a copy (js/piwik.js of a Matomo release) to run the browser part.
const MATOMO_JS = process.env.PHI_MATOMO_JS ?? path.resolve(__dirname, '../fixtures/matomo/matomo.js');
const HAVE_MATOMO_JS = fs.existsSync(MATOMO_JS);
const PAGE_HOST = 'clinic.test';
const EMAIL = 'jane.doe@example.com';
const PLANTED = [EMAIL, 'Jane Doe', 'Maria Gonzalez', 'Gonzalez', '555-867-5309', '123-45-6789', 'patient=123', '198.51.100.23', 'Springfield'];
/** A real 43-byte GIF (bytes above 0x7f): the proxy must hand it back byte for byte. */
const MATOMO_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const HEX16 = /^[0-9a-f]{16}$/;

type Json = Record<string, any>;
declare const window: any;

// ---------------------------------------------------------------------------------------------
// The recording Matomo

interface Received {
  method: string;
  path: string;
  query: string;
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  shape: 'get' | 'beacon' | 'form' | 'bulk' | 'script';
  hits: Json[];
}

function decodeHit(params: URLSearchParams): Json {
  const hit: Json = Object.fromEntries(params);
  for (const key of ['_cvar', 'cvar', 'uadata', 'ec_items']) if (typeof hit[key] === 'string') hit[key] = JSON.parse(hit[key]);
  return hit;
}

async function startMatomo() {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://matomo');
      const raw = Buffer.concat(chunks);
      const r: Received = { method: req.method ?? '', path: url.pathname, query: url.search, headers: req.headers, raw, shape: 'get', hits: [] };
      received.push(r);
      if (url.pathname === '/matomo.js' && req.method === 'GET') {
        r.shape = 'script';
        res.writeHead(200, { 'content-type': 'application/javascript' });
        res.end(fs.readFileSync(MATOMO_JS));
        return;
      }
      if (!/^\/(?:matomo|piwik)\.php$/.test(url.pathname)) {
        res.writeHead(404);
        res.end();
        return;
      }
      const text = raw.toString('utf8');
      if (text.startsWith('{')) {
        r.shape = 'bulk';
        r.hits = (JSON.parse(text) as { requests: string[] }).requests.map((q) => decodeHit(new URLSearchParams(q.replace(/^\?/, ''))));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'success', tracked: r.hits.length, invalid: 0, invalid_indices: [] }));
        return;
      }
      r.shape = req.method === 'GET' ? 'get' : text === '' ? 'beacon' : 'form';
      const params = new URLSearchParams(url.search);
      for (const [k, v] of new URLSearchParams(text)) if (!params.has(k)) params.set(k, v);
      r.hits = [decodeHit(params)];
      if (params.get('send_image') === '0') {
        res.writeHead(204);
        res.end();
      } else {
        res.writeHead(200, { 'content-type': 'image/gif', 'content-length': MATOMO_GIF.length });
        res.end(MATOMO_GIF);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    hits: () => received.flatMap((r) => r.hits),
    haystack: () => received.filter((r) => r.shape !== 'script').map((r) => [r.method, r.path, r.query, decodeURIComponent(r.query), JSON.stringify(r.headers), r.raw.toString('latin1'), JSON.stringify(r.hits)].join('\n')).join('\n'),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
type Matomo = Awaited<ReturnType<typeof startMatomo>>;

interface Stack {
  matomo: Matomo;
  proxy: RunningProxy;
  close(): Promise<void>;
}

async function startStack(): Promise<Stack> {
  const matomo = await startMatomo();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phi-proxy-matomo-'));
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, 'format: matomo\nvault:\n  path: vault.jsonl\n');
  const proxy = await startProxy({ configFile, overrides: { upstream: matomo.url, port: 0, host: '127.0.0.1', logLevel: 'silent' } });
  return {
    matomo,
    proxy,
    close: async () => {
      await proxy.close();
      await matomo.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function expectNoLeaks(stack: Stack, extra: string[] = []): void {
  expect(leaksIn(stack.matomo.haystack(), [...PLANTED, ...extra])).toEqual([]);
  expect(stack.matomo.haystack()).not.toMatch(/\b(?:Jane|Gonzalez)\b/);
  expect(clientHeadersSeen({ requests: stack.matomo.received } as never)).toEqual([]);
  for (const hit of stack.matomo.hits()) {
    if (hit.uid !== undefined) expect(hit.uid).toMatch(/^tok_/);
    for (const key of ['_id', 'cid']) if (hit[key] !== undefined) expect(hit[key]).toMatch(HEX16);
    for (const key of ['cip', 'city', 'lat', 'long']) expect(hit).not.toHaveProperty(key);
    if (typeof hit.url === 'string') expect(hit.url).not.toContain('?');
  }
}

// ---------------------------------------------------------------------------------------------

describe('matomo-tracker (Node) through phi-proxy', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('track() (GET) and trackBulk() (JSON bulk): every hit arrives scrubbed, benign fields intact, no errors', async () => {
    const errors: unknown[] = [];
    const tracker = new MatomoTracker(1, `${stack.proxy.url}/matomo.php`);
    tracker.on('error', (err) => errors.push(err));
    tracker.track({
      url: `https://portal.example.org/visit?patient=123&email=${encodeURIComponent(EMAIL)}`,
      action_name: 'Patient record - Jane Doe',
      uid: EMAIL,
      cid: '0123456789abcdef',
      _cvar: JSON.stringify({ 1: ['email', EMAIL], 2: ['plan', 'pro'] }),
      urlref: 'https://portal.example.org/search?q=Jane+Doe',
      token_auth: 'c0ffee00c0ffee00c0ffee00c0ffee00',
      cip: '198.51.100.23', city: 'Springfield', lat: '39.78', long: '-89.65', country: 'us', region: 'IL',
      dimension1: 'pro',
    });
    const bulkAnswer = await new Promise<string>((resolve) => {
      tracker.trackBulk([
        { url: 'https://portal.example.org/book', e_c: 'Booking', e_a: 'book', e_n: 'Patient Maria Gonzalez, 555-867-5309', uid: EMAIL },
        { url: 'https://portal.example.org/book', search: EMAIL, search_count: 3, uid: EMAIL },
      ], resolve);
    });
    await waitFor('3 hits at Matomo', () => stack.matomo.hits().length >= 3);
    expect(errors).toEqual([]);
    expect(JSON.parse(bulkAnswer)).toMatchObject({ status: 'success', tracked: 2 });
    expect(stack.matomo.received.map((r) => `${r.method} ${r.path} ${r.shape}`)).toEqual(['GET /matomo.php get', 'POST /matomo.php bulk']);
    expectNoLeaks(stack, ['0123456789abcdef']);

    const [pv, ev, search] = stack.matomo.hits() as [Json, Json, Json];
    expect(pv).toMatchObject({
      url: 'https://portal.example.org/visit', urlref: 'https://portal.example.org/search', idsite: '1', rec: '1',
      token_auth: 'c0ffee00c0ffee00c0ffee00c0ffee00', country: 'us', region: 'IL', dimension1: 'pro',
      _cvar: { 1: ['email', '[EMAIL]'], 2: ['plan', 'pro'] },
    });
    expect(pv.cid).toMatch(HEX16);
    expect(ev).toMatchObject({ e_c: 'Booking', e_a: 'book', idsite: '1', rec: '1' });
    expect(search).toMatchObject({ search: '[EMAIL]', search_count: '3' });
    // one surrogate for the person on every hit
    expect(ev.uid).toBe(pv.uid);
    expect(search.uid).toBe(pv.uid);
    // parameter order kept (as the lib wrote it)
    const sentKeys = ['url', 'action_name', 'uid', 'cid', '_cvar', 'urlref', 'token_auth', 'country', 'region', 'dimension1', 'idsite', 'rec'];
    expect(Object.keys(pv)).toEqual(sentKeys);
  });

  it('passes the GIF back unchanged, 204 for send_image=0, and refuses what does not decode', async () => {
    const gif = await fetch(`${stack.proxy.url}/piwik.php?idsite=1&rec=1&url=${encodeURIComponent('http://a.test/')}`);
    expect(gif.status).toBe(200);
    expect(Buffer.from(await gif.arrayBuffer())).toEqual(MATOMO_GIF);
    const none = await fetch(`${stack.proxy.url}/matomo.php?idsite=1&rec=1&send_image=0`, { method: 'POST' });
    expect(none.status).toBe(204);
    const before = stack.matomo.received.length;
    expect((await fetch(`${stack.proxy.url}/matomo.php`, { method: 'POST', body: '{"requests":' })).status).toBe(400);
    expect((await fetch(`${stack.proxy.url}/index.php?module=API&email=${EMAIL}`)).status).toBe(404);
    expect(stack.matomo.received.length).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------

(HAVE_MATOMO_JS ? describe : describe.skip)('matomo.js in Chromium through phi-proxy', () => {
  let browser: Browser;
  let stack: Stack;
  let site: http.Server;
  let pageUrl: string;
  const proxyRequests: string[] = [];
  const failed: string[] = [];

  function pageHtml(proxy: string): string {
    return `<!doctype html><html><head><meta charset="utf-8"><title>Patient 123 - Jane Doe</title>
<script>
  window.__results = [];
  var cb = function (r) { window.__results.push({ success: r.success, beacon: !!r.isSendBeacon, request: r.request }); };
  var _paq = window._paq = window._paq || [];
  _paq.push(['setTrackerUrl', ${JSON.stringify(proxy + '/matomo.php')}]);
  _paq.push(['setSiteId', '1']);
  _paq.push(['setUserId', ${JSON.stringify(EMAIL)}]);
  _paq.push(['setCustomVariable', 1, 'email', ${JSON.stringify(EMAIL)}, 'visit']);
  _paq.push(['setCustomVariable', 2, 'plan', 'pro', 'visit']);
  _paq.push(['setCustomDimension', 1, 'Patient Maria Gonzalez']);
  _paq.push(['setCustomDimension', 2, 'pro']);
  _paq.push(['trackPageView', undefined, undefined, cb]);
  _paq.push(['trackEvent', 'Booking', 'book', ${JSON.stringify(EMAIL)}, 3, undefined, cb]);
  _paq.push(['trackAllContentImpressions']);
  var g = document.createElement('script'); g.async = true; g.src = ${JSON.stringify(proxy + '/matomo.js')};
  document.head.appendChild(g);
</script></head><body>
<div data-track-content data-content-name="Patient Maria Gonzalez" data-content-piece="banner-a" data-content-target="https://portal.example.org/patients/48213?email=${encodeURIComponent(EMAIL)}">a</div>
<div data-track-content data-content-name="Plans" data-content-piece="banner-b">b</div>
</body></html>`;
  }

  beforeAll(async () => {
    stack = await startStack();
    site = http.createServer((req, res) => {
      if (new URL(req.url ?? '/', 'http://site').pathname === '/pages/clinic.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(pageHtml(stack.proxy.url));
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

  it('beacon, bulk beacon, image GET and XHR form POST: every hit scrubbed, benign fields intact, no failures', async () => {
    const page = await browser.newPage();
    page.on('request', (r) => { if (r.url().startsWith(stack.proxy.url)) proxyRequests.push(`${r.method()} ${new URL(r.url()).pathname}`); });
    page.on('requestfailed', (r) => failed.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText ?? '?'}`));
    await page.goto(pageUrl, { waitUntil: 'load' });
    // default transport: sendBeacon; pageview + event + one bulk of two content impressions
    await waitFor('matomo.js beacons at Matomo', () => stack.matomo.hits().length >= 4, 15_000);
    await page.evaluate(() => {
      const cb = (r: { success: boolean; request: string }) => window.__results.push({ success: r.success, beacon: false, request: r.request, via: 'later' });
      window._paq.push(['disableAlwaysUseSendBeacon']);
      window._paq.push(['setRequestMethod', 'GET']);
      window._paq.push(['trackEvent', 'Booking', 'image', 'call 555-867-5309', undefined, undefined, cb]);
    });
    await waitFor('the image GET', () => stack.matomo.hits().length >= 5);
    await page.evaluate(() => {
      const cb = (r: { success: boolean; request: string }) => window.__results.push({ success: r.success, beacon: false, request: r.request, via: 'later' });
      window._paq.push(['setRequestMethod', 'POST']);
      window._paq.push(['trackEvent', 'Booking', 'xhr', 'Patient Maria Gonzalez', undefined, undefined, cb]);
    });
    await waitFor('the XHR form POST', () => stack.matomo.hits().length >= 6);
    const results = await waitFor('callbacks for every tracked request', async () => {
      const r = (await page.evaluate(() => window.__results)) as { success: boolean; beacon: boolean; request: string }[];
      return r.length >= 4 ? r : undefined;
    });

    expect(results.map((r) => r.success)).toEqual([true, true, true, true]);
    expect(failed).toEqual([]);
    const shapes = stack.matomo.received.filter((r) => r.shape !== 'script').map((r) => r.shape);
    expect(shapes.sort()).toEqual(['beacon', 'beacon', 'bulk', 'form', 'get']);
    // the tracker script itself came through the proxy (passthrough)
    expect(stack.matomo.received.some((r) => r.shape === 'script')).toBe(true);
    expect(proxyRequests).toContain('GET /matomo.js');

    // the SDK's own visitor id (as matomo.js sent it) never arrives; a 16-hex surrogate does
    const sentIds = [...new Set(results.map((r) => new URLSearchParams(r.request).get('_id')).filter((v): v is string => !!v))];
    expect(sentIds.length).toBe(1);
    expectNoLeaks(stack, sentIds);
    const hits = stack.matomo.hits();
    const origin = new URL(pageUrl).origin;
    const surrogate = hits[0]!._id as string;
    for (const hit of hits) {
      expect(hit._id).toBe(surrogate);
      expect(hit.uid).toBe(hits[0]!.uid);
      expect(hit.url).toBe(`${origin}/pages/clinic.html`);
      expect(hit).toMatchObject({ idsite: '1', rec: '1', dimension2: 'pro' });
      expect(String(hit.dimension1)).not.toContain('Gonzalez');
    }
    const pageview = hits.find((h) => h.action_name !== undefined)!;
    expect(pageview._cvar).toEqual({ 1: ['email', '[EMAIL]'], 2: ['plan', 'pro'] });
    expect(pageview.action_name).not.toContain('Jane');
    // client hints and screen metadata arrive as matomo.js sent them
    const sentPageview = new URLSearchParams(results[0]!.request);
    for (const key of ['res', 'pv_id', 'h', 'm', 's', 'cookie', 'send_image']) expect(pageview[key]).toBe(sentPageview.get(key));
    if (sentPageview.get('uadata')) expect(pageview.uadata).toEqual(JSON.parse(sentPageview.get('uadata')!));
    const impressions = hits.filter((h) => h.c_n !== undefined);
    expect(impressions.map((h) => h.c_p).sort()).toEqual(['banner-a', 'banner-b']);
    expect(impressions.find((h) => h.c_p === 'banner-a')!.c_t).toBe('https://portal.example.org/patients/:id');
    expect(hits.filter((h) => h.e_c === 'Booking').map((h) => h.e_a).sort()).toEqual(['book', 'image', 'xhr']);
    await page.close();
  });
});

if (!HAVE_MATOMO_JS) {
  // eslint-disable-next-line no-console
  console.warn(`matomo.js is not vendored (no npm package ships it): set PHI_MATOMO_JS to a copy of Matomo's js/piwik.js to run the Chromium part of test/e2e/matomo.test.ts; skipped (the matomo-tracker npm client still runs)`);
}
