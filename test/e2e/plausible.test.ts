/**
 * The official @plausible-analytics/tracker (ES module `plausible.js`, npm pack) in headless
 * Chromium on another origin, pointed at phi-proxy (`endpoint`), with PHI in the page URL (query
 * and fragment), the referrer and the props; plus direct JSON posts of the legacy `m` (string
 * props) shape and with spoofed client-IP headers. The recording upstream answers as Plausible
 * does (202 `ok`) and must receive every event scrubbed, with a pseudonymous visitor IP in
 * X-Forwarded-For and the browser's User-Agent unchanged.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'puppeteer-core';
import { pseudonymousIp } from '../../src/formats/plausible';
import { startProxy, type RunningProxy } from '../../src/proxy/server';
import { leaksIn, waitFor, launchChromium } from './helpers';

jest.setTimeout(45_000);

const TRACKER = path.resolve(__dirname, '../../node_modules/@plausible-analytics/tracker');
const PAGE_HOST = 'clinic.test';
const DOMAIN = 'clinic.example.com';
const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Safari/537.36';
const EMAIL = 'jane.doe@example.com';
const PAGE_PATH = '/pages/plausible.html';
const PAGE_QUERY = `?patient=123&email=${encodeURIComponent(EMAIL)}&utm_source=newsletter`;
const PAGE_FRAGMENT = '#dob=1985-03-14';
const SEARCH_HOST = 'search.test';
const IP_KEY = 'c0ffee'.repeat(11) + 'aa'; // 68 hex digits: read as bytes
const SPOOFED_IP = '198.51.100.9';
const PLANTED = [EMAIL, 'patient=123', '1985-03-14', 'Jane Doe', 'jane+doe', 'hiv', '617-555-0123', 'Maria Gonzalez', '123-45-6789', SPOOFED_IP, 'MRN-448812'];

/** Only referenced inside functions that puppeteer runs in the page (tsconfig has no DOM lib). */
declare const window: any;

interface Recorded { method: string; path: string; query: string; headers: http.IncomingHttpHeaders; raw: Buffer; json: any }

/** Plausible's stand-in: records everything, decodes JSON independently, answers 202 `ok`. */
async function startPlausibleUpstream() {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://upstream');
      const raw = Buffer.concat(chunks);
      let json: any;
      try { json = JSON.parse(raw.toString('utf8')); } catch { json = undefined; }
      requests.push({ method: req.method ?? '', path: url.pathname, query: url.search, headers: req.headers, raw, json });
      if (url.pathname === '/api/event' && req.method === 'POST') {
        const headers: http.OutgoingHttpHeaders = { 'content-type': 'text/plain; charset=utf-8' };
        if (json?.n === 'Dropped goal') headers['x-plausible-dropped'] = '1';
        res.writeHead(202, headers);
        res.end('ok');
      } else if (url.pathname === '/js/script.js') {
        res.writeHead(200, { 'content-type': 'application/javascript' });
        res.end('/* plausible script */');
      } else {
        res.writeHead(404);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    events: () => requests.filter((r) => r.path === '/api/event').map((r) => r.json),
    /** Raw bytes, headers, query and decoded JSON (legacy `m` parsed too): where a leak would show. */
    haystack: () => requests.map((r) => {
      const props = typeof r.json?.m === 'string' ? r.json.m : '';
      return [r.method, r.path, r.query, JSON.stringify(r.headers), r.raw.toString('latin1'), JSON.stringify(r.json), props].join('\n');
    }).join('\n'),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Jane Doe - booking</title>
<script>window.__plausible = true; window.__sentPayloads = []; window.__ENDPOINT = new URLSearchParams(location.search).get('endpoint');</script>
<script type="module">
  import { init, track } from '/vendor/plausible.js';
  // the init snippet of docs/sdk/plausible.md
  init({ domain: ${JSON.stringify(DOMAIN)}, endpoint: window.__ENDPOINT, captureOnLocalhost: true,
    // test instrumentation only: records what the tracker sends (the PHI it carries) and sends it unchanged
    transformRequest: (payload) => { window.__sentPayloads.push(JSON.parse(JSON.stringify(payload))); return payload; } });
  window.__track = (name, options) => new Promise((resolve) => track(name, Object.assign({}, options, { callback: resolve })));
  window.__ready = true;
</script>
</head><body><h1>Jane Doe</h1><a id="out" href="https://partner.example.net/intake?mrn=MRN-448812">Intake</a></body></html>`;

async function startSite() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://site');
    if (url.pathname === PAGE_PATH) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    } else if (url.pathname === '/search') {
      // The page before: its full URL (with the search terms) becomes document.referrer.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head><meta name="referrer" content="unsafe-url"></head><body><a id="go" href="${url.searchParams.get('next') ?? ''}">clinic</a></body></html>`);
    } else if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
    } else if (url.pathname === '/vendor/plausible.js') {
      res.writeHead(200, { 'content-type': 'application/javascript' });
      res.end(fs.readFileSync(path.join(TRACKER, 'plausible.js')));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

let browser: Browser;
let upstream: Awaited<ReturnType<typeof startPlausibleUpstream>>;
let site: Awaited<ReturnType<typeof startSite>>;
let proxy: RunningProxy;
let dir: string;
let endpoint: string;
const results: Record<string, unknown> = {};
const consoleLines: string[] = [];
const failed: string[] = [];

beforeAll(async () => {
  upstream = await startPlausibleUpstream();
  site = await startSite();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phi-proxy-e2e-plausible-'));
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, `vault:\n  path: vault.jsonl\nupstream: ${upstream.url}\nroutes:\n  - prefix: /plausible\n    upstream: ${upstream.url}\n    format: plausible\n`);
  process.env.PHI_PROXY_PLAUSIBLE_IP_KEY = IP_KEY;
  try {
    proxy = await startProxy({ configFile, overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' } });
  } finally {
    delete process.env.PHI_PROXY_PLAUSIBLE_IP_KEY;
  }
  endpoint = `${proxy.url}/plausible/api/event`;

  browser = await launchChromium(PAGE_HOST, SEARCH_HOST);
  const page = await browser.newPage();
  await page.setUserAgent(USER_AGENT);
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${String(e)}`));
  page.on('requestfailed', (r) => failed.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText ?? '?'}`));
  const pageUrl = `http://${PAGE_HOST}:${site.port}${PAGE_PATH}${PAGE_QUERY}&endpoint=${encodeURIComponent(endpoint)}${PAGE_FRAGMENT}`;
  await page.goto(`http://${SEARCH_HOST}:${site.port}/search?q=jane+doe+hiv+clinic&next=${encodeURIComponent(pageUrl)}`, { waitUntil: 'load' });
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#go')]);
  await page.waitForFunction(() => window.__ready === true, { timeout: 10_000 });
  results.booked = await page.evaluate((email: string) => window.__track('Booked', {
    props: { email, phone: '617-555-0123', note: 'Patient Maria Gonzalez, SSN 123-45-6789', plan: 'pro', appointment_type: 'follow-up' },
    revenue: { currency: 'USD', amount: 120 },
  }), EMAIL);
  results.outbound = await page.evaluate(() => window.__track('Outbound Link: Click', { props: { url: window.document.getElementById('out').href }, interactive: false }));
  // Leaving the page (focus lost) sends the engagement event for the pageview.
  await page.evaluate(() => {
    window.document.hasFocus = () => false;
    window.dispatchEvent(new window.Event('blur'));
  });
  await waitFor('pageview, Booked, Outbound Link: Click and engagement at the upstream', () => {
    const names = upstream.events().map((e) => e?.n);
    return ['pageview', 'Booked', 'Outbound Link: Click', 'engagement'].every((n) => names.includes(n));
  }, 10_000);
  results.sent = await page.evaluate(() => window.__sentPayloads);
  await page.close();
});

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await site?.close();
  await upstream?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('@plausible-analytics/tracker through phi-proxy', () => {
  it('delivers every event once and the tracker sees Plausible\'s 202', () => {
    const names = upstream.events().map((e) => e.n);
    expect(names.filter((n) => n === 'pageview')).toHaveLength(1);
    expect(names.filter((n) => n === 'Booked')).toHaveLength(1);
    expect(names.filter((n) => n === 'Outbound Link: Click')).toHaveLength(1);
    expect(names.filter((n) => n === 'engagement')).toHaveLength(1);
    // engagement events bypass transformRequest; every other event the tracker sent arrived, in order
    expect(names.filter((n) => n !== 'engagement')).toEqual((results.sent as { n: string }[]).map((e) => e.n));
    expect(results.booked).toEqual({ status: 202 });
    expect(results.outbound).toEqual({ status: 202 });
    expect(failed).toEqual([]);
    expect(consoleLines.filter((l) => /error|Ignoring/i.test(l))).toEqual([]);
  });

  it('scrubs the page URL, referrer and props, and keeps everything else as the tracker sent it', () => {
    // what the tracker itself sent carried the PHI
    const sent = results.sent as Record<string, any>[];
    expect(sent[0]).toMatchObject({ n: 'pageview', u: expect.stringContaining('patient=123'), r: expect.stringContaining('q=jane+doe') });
    expect(sent[0]!.u).toContain(PAGE_FRAGMENT);
    const pageview = upstream.events().find((e) => e.n === 'pageview');
    expect(pageview).toEqual({ n: 'pageview', v: 36, u: `http://${PAGE_HOST}:${site.port}${PAGE_PATH}?utm_source=newsletter`, d: DOMAIN, r: `http://${SEARCH_HOST}:${site.port}/search` });
    const booked = upstream.events().find((e) => e.n === 'Booked');
    expect(booked).toMatchObject({ d: DOMAIN, v: 36, $: { currency: 'USD', amount: 120 } });
    expect(booked.p).toEqual({ email: '[EMAIL]', phone: '[PHONE]', note: 'Patient [NAME], SSN [SSN]', plan: 'pro', appointment_type: 'follow-up' });
    const outbound = upstream.events().find((e) => e.n === 'Outbound Link: Click');
    expect(outbound).toMatchObject({ i: false, p: { url: 'https://partner.example.net/intake' } });
    const engagement = upstream.events().find((e) => e.n === 'engagement');
    expect(engagement).toEqual({ n: 'engagement', sd: expect.any(Number), d: DOMAIN, u: pageview.u, e: expect.any(Number), v: 36 });
  });

  it('forwards a stable pseudonymous visitor IP, the User-Agent, and no client header', () => {
    const expected = pseudonymousIp(Buffer.from(IP_KEY, 'hex'), '127.0.0.1', new Date())!;
    expect(expected).toMatch(/^fd[0-9a-f]{2}(?::[0-9a-f]{4}){7}$/);
    for (const r of upstream.requests.filter((x) => x.path === '/api/event')) {
      expect(r.headers['x-forwarded-for']).toBe(expected);
      expect(r.headers['user-agent']).toBe(USER_AGENT);
      for (const h of ['x-real-ip', 'forwarded', 'cookie', 'referer', 'origin', 'x-plausible-ip', 'cf-connecting-ip', 'b-forwarded-for']) expect(r.headers[h]).toBeUndefined();
    }
  });

  it('scrubs direct posts of the legacy `m` shape and replaces spoofed client-IP headers', async () => {
    const body = { name: 'Signup', url: `https://${DOMAIN}/signup?email=${encodeURIComponent(EMAIL)}`, domain: DOMAIN, referrer: null, m: JSON.stringify({ email: EMAIL, mrn: 'MRN-448812', plan: 'pro' }) };
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'user-agent': 'legacy-script/1.0', 'x-forwarded-for': SPOOFED_IP, 'x-plausible-ip': SPOOFED_IP, 'cf-connecting-ip': SPOOFED_IP, forwarded: `for=${SPOOFED_IP}` },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('ok');
    const got = upstream.requests.filter((r) => r.path === '/api/event').find((r) => r.json?.name === 'Signup')!;
    expect(got.json).toEqual({ name: 'Signup', url: `https://${DOMAIN}/signup`, domain: DOMAIN, referrer: null, m: expect.any(String) });
    expect(JSON.parse(got.json.m)).toEqual({ email: '[EMAIL]', mrn: '[MRN]', plan: 'pro' });
    expect(got.headers['x-forwarded-for']).toBe(pseudonymousIp(Buffer.from(IP_KEY, 'hex'), '127.0.0.1', new Date()));
    expect(got.headers['user-agent']).toBe('legacy-script/1.0');
    for (const h of ['x-plausible-ip', 'cf-connecting-ip', 'forwarded']) expect(got.headers[h]).toBeUndefined();
  });

  it('passes Plausible\'s answers back: 202 ok with x-plausible-dropped, and the tracker script', async () => {
    const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ n: 'Dropped goal', u: `https://${DOMAIN}/`, d: DOMAIN, r: null }) });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-plausible-dropped')).toBe('1');
    const script = await fetch(`${proxy.url}/plausible/js/script.js`);
    expect(script.status).toBe(200);
    expect(await script.text()).toBe('/* plausible script */');
  });

  it('refuses what it cannot decode and never forwards it', async () => {
    const before = upstream.requests.length;
    const bad = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: `{"n":"pageview","u":"https://${DOMAIN}/?email=${EMAIL}"` });
    expect(bad.status).toBe(400);
    expect((await fetch(`${proxy.url}/plausible/api/stats`)).status).toBe(404);
    expect(upstream.requests.length).toBe(before);
  });

  it('lets no planted identifier reach the upstream in any form', () => {
    expect(leaksIn(upstream.haystack(), PLANTED)).toEqual([]);
  });
});
