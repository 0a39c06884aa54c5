// recorded shapes, not a real SDK: gtag.js is not on npm
//
// GA4 through phi-proxy end to end. gtag.js is closed source and only served by Google, so no
// real GA SDK runs here. Instead, hits shaped exactly like recorded gtag.js hits (parameter
// names and order from shared/wire-formats.md §6: d8a's GA4 collector and Amplitude's GA
// forwarder) are sent the three ways gtag sends them, from a page on another origin in headless
// Chromium: navigator.sendBeacon (POST text/plain, shared query + one line per event), fetch with
// keepalive, and an image pixel GET. Measurement Protocol bodies (Google's reference) are posted
// from Node. The recording upstream decodes independently and answers as Google does (204, and
// `{"validationMessages":[]}` on the debug endpoint).
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'puppeteer-core';
import { startProxy, type RunningProxy } from '../../src/proxy/server';
import { CLIENT_HEADERS, leaksIn, waitFor, launchChromium } from './helpers';

jest.setTimeout(45_000);

const PAGE_HOST = 'clinic.test';
const EMAIL = 'jane.doe@example.com';
const CID = '1234567890.1731234567';
const UIP = '198.51.100.7';
const PLANTED = [EMAIL, 'patient-4711', 'Jane Doe', '617-555-0123', 'Maria Gonzalez', '123-45-6789', UIP, CID, 'Springfield', 'a8cfcd74832004951b4408cdb0a5dbcd8c7e52d43f7fe244bf720582e05241da', 'dob=1985'];

/** Only referenced inside functions that puppeteer runs in the page (tsconfig has no DOM lib). */
declare const window: any;

/** The shared query of a gtag hit (recorded order), with PHI in the page URL, title, ids and user properties. */
function sharedQuery(extra = ''): string {
  return [
    'v=2', 'tid=G-ABC123XYZ9', 'gtm=45je4bk0v9181813597za200', '_p=1731234567890', 'gcs=G111', 'gcd=13l3l3l3l1l1', 'npa=0', 'dma=0',
    `cid=${CID}`, 'ul=en-us', 'sr=1920x1080', 'uaa=x86', 'uab=64', 'uamb=0', 'uap=Windows', 'uapv=15.0.0', 'uaw=0', '_s=2',
    'sid=1731234567', 'sct=3', 'seg=1',
    `dl=${encodeURIComponent(`https://clinic.example.com/patients/4711/book?email=${encodeURIComponent(EMAIL)}&utm_source=mail#dob=1985-03-14`)}`,
    `dr=${encodeURIComponent('https://search.example.org/search?q=jane+doe')}`,
    `dt=${encodeURIComponent('Jane Doe - Patient Portal')}`,
    'uid=patient-4711', `_uip=${UIP}`, `up.email=${encodeURIComponent(EMAIL)}`, 'up.plan=pro',
  ].join('&') + extra;
}
/** Event lines (recorded shapes: `en`, `_et`, `ep.*`, `epn.*`). */
const LINES = [
  `en=appointment_booked&ep.email=${encodeURIComponent(EMAIL)}&ep.phone=617-555-0123&ep.note=${encodeURIComponent('Patient Maria Gonzalez, SSN 123-45-6789')}&ep.appointment_type=follow-up&epn.slot_count=3&_et=5021`,
  'en=scroll&ep.percent_scrolled=90&_et=812',
  'en=user_engagement&_et=12000',
];

interface Recorded { method: string; path: string; query: string; headers: http.IncomingHttpHeaders; raw: Buffer }

/** Google's stand-in: records, decodes hits into merged events independently, answers 204. */
async function startGoogleUpstream() {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://upstream');
      requests.push({ method: req.method ?? '', path: url.pathname, query: url.search, headers: req.headers, raw: Buffer.concat(chunks) });
      if (url.pathname === '/debug/mp/collect') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"validationMessages":[]}');
        return;
      }
      res.writeHead(url.pathname === '/g/collect' || url.pathname === '/mp/collect' ? 204 : 404);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    /** Each /g/collect event as GA reads it: the query merged with each body line (or the query alone). */
    hitEvents: () => requests.filter((r) => r.path === '/g/collect').flatMap((r) => {
      const shared = Object.fromEntries(new URLSearchParams(r.query));
      const lines = r.raw.toString('utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '');
      return lines.length === 0 ? [shared] : lines.map((l) => ({ ...shared, ...Object.fromEntries(new URLSearchParams(l)) }));
    }),
    mpBodies: () => requests.filter((r) => /mp\/collect$/.test(r.path)).map((r) => JSON.parse(r.raw.toString('utf8'))),
    haystack: () => requests.map((r) => [r.method, r.path, r.query, decodeURIComponent(r.query), JSON.stringify(r.headers), r.raw.toString('latin1'), decodeURIComponent(r.raw.toString('latin1'))].join('\n')).join('\n'),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

async function startSite() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://site');
    if (url.pathname === '/pages/ga.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><html><head><meta charset="utf-8"><title>Jane Doe - Patient Portal</title></head><body>GA4</body></html>');
    } else {
      res.writeHead(url.pathname === '/favicon.ico' ? 204 : 404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

const MP_BODY = {
  client_id: CID,
  user_id: 'patient-4711',
  timestamp_micros: '1731234567890123',
  user_properties: { plan: { value: 'pro' }, email: { value: EMAIL } },
  consent: { ad_user_data: 'GRANTED', ad_personalization: 'DENIED' },
  user_data: { sha256_email_address: ['a8cfcd74832004951b4408cdb0a5dbcd8c7e52d43f7fe244bf720582e05241da'], address: [{ city: 'springfield' }] },
  ip_override: UIP,
  user_location: { city: 'Springfield', region_id: 'US-IL', country_id: 'US' },
  events: [
    { name: 'refill_requested', params: { session_id: '1731234567', engagement_time_msec: '100', page_location: 'https://clinic.example.com/patients/4711?email=x', note: 'Call Jane Doe at 617-555-0123', plan: 'pro' } },
  ],
};

let browser: Browser;
let upstream: Awaited<ReturnType<typeof startGoogleUpstream>>;
let site: Awaited<ReturnType<typeof startSite>>;
let proxy: RunningProxy;
let dir: string;
let base: string;
const pageResults: Record<string, unknown> = {};
const failed: string[] = [];
const failedBeforeClose: string[] = [];
const proxyResponses: { status: number; url: string }[] = [];

beforeAll(async () => {
  upstream = await startGoogleUpstream();
  site = await startSite();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phi-proxy-e2e-ga4-'));
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, `vault:\n  path: vault.jsonl\nupstream: ${upstream.url}\nroutes:\n  - prefix: /ga\n    upstream: ${upstream.url}\n    format: ga4\n`);
  proxy = await startProxy({ configFile, overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' } });
  base = `${proxy.url}/ga`;

  browser = await launchChromium(PAGE_HOST);
  const page = await browser.newPage();
  page.on('requestfailed', (r) => failed.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText ?? '?'}`));
  page.on('response', (r) => { if (r.url().startsWith(proxy.url)) proxyResponses.push({ status: r.status(), url: r.url() }); });
  await page.goto(`http://${PAGE_HOST}:${site.port}/pages/ga.html`, { waitUntil: 'load' });
  // The three transports gtag.js uses, carrying recorded hit shapes.
  Object.assign(pageResults, await page.evaluate(async (base: string, batchQuery: string, lines: string[], pixelQuery: string, fetchQuery: string) => {
    const beacon = window.navigator.sendBeacon(`${base}/g/collect?${batchQuery}`, lines.join('\r\n'));
    const fetched = await window.fetch(`${base}/g/collect?${fetchQuery}`, { method: 'POST', credentials: 'include', body: '' });
    const pixel = await new Promise((resolve) => {
      const img = new window.Image();
      img.onload = () => resolve('load');
      img.onerror = () => resolve('error'); // a 204 is not an image: gtag ignores the outcome
      img.src = `${base}/g/collect?${pixelQuery}`;
    });
    // A CORS fetch with credentials (the stricter case: the proxy must mirror the origin); the
    // beacon above already covers the keepalive transport.
    return { beacon, fetched: { type: fetched.type, status: fetched.status, body: await fetched.text() }, pixel };
  }, base, sharedQuery(), LINES, sharedQuery('&en=page_view&_ee=1&tfd=1200'), sharedQuery('&en=form_start&ep.form_id=intake&_et=300')));
  await waitFor('three /g/collect hits at the upstream', () => upstream.requests.filter((r) => r.path === '/g/collect').length >= 3, 10_000);
  failedBeforeClose.push(...failed);
  await page.close();
});

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await site?.close();
  await upstream?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('GA4 /g/collect through phi-proxy (recorded gtag shapes, real browser transports)', () => {
  it('delivers every hit and event; the browser transports succeed', () => {
    expect(pageResults.beacon).toBe(true);
    expect(pageResults.fetched).toEqual({ type: 'cors', status: 204, body: '' });
    // DevTools reports the answered fetch as ERR_ABORTED (a 204 without body, seen with every
    // fetch variant here); a request counts as failed only if no response came back for it.
    expect(failedBeforeClose.filter((f) => !proxyResponses.some((r) => f.includes(`${r.url}:`)))).toEqual([]);
    expect(proxyResponses.map((r) => r.status)).toEqual([204, 204, 204]);
    const hits = upstream.requests.filter((r) => r.path === '/g/collect');
    expect(hits.map((r) => r.method).sort()).toEqual(['GET', 'POST', 'POST']);
    const names = upstream.hitEvents().map((e) => e.en).sort();
    expect(names).toEqual(['appointment_booked', 'form_start', 'page_view', 'scroll', 'user_engagement']);
  });

  it('keeps the batched hit split into a shared query and one line per event', () => {
    const beacon = upstream.requests.find((r) => r.path === '/g/collect' && r.raw.length > 0)!;
    const lines = beacon.raw.toString('utf8').split('\r\n');
    expect(lines.map((l) => new URLSearchParams(l).get('en'))).toEqual(['appointment_booked', 'scroll', 'user_engagement']);
    const query = new URLSearchParams(beacon.query);
    expect([...query.keys()].slice(0, 9)).toEqual(['v', 'tid', 'gtm', '_p', 'gcs', 'gcd', 'npa', 'dma', 'cid']);
    expect(query.has('en')).toBe(false);
  });

  it('scrubs URLs, title, ids and custom parameters; keeps GA metadata and benign values', () => {
    const cids = new Set<string>();
    for (const e of upstream.hitEvents()) {
      expect(e).toMatchObject({ v: '2', tid: 'G-ABC123XYZ9', gtm: '45je4bk0v9181813597za200', _p: '1731234567890', sid: '1731234567', sct: '3', seg: '1', ul: 'en-us', sr: '1920x1080', gcs: 'G111', 'up.plan': 'pro' });
      expect(e.dl).toBe('https://clinic.example.com/patients/:id/book?utm_source=mail');
      expect(e.dr).toBe('https://search.example.org/search');
      expect(e['up.email']).toBe('[EMAIL]');
      expect(e.uid).toMatch(/^tok_/);
      expect(e).not.toHaveProperty('_uip');
      cids.add(e.cid!);
    }
    expect(cids.size).toBe(1);
    expect([...cids][0]).toMatch(/^\d{9}\.\d{10}$/);
    const booked = upstream.hitEvents().find((e) => e.en === 'appointment_booked')!;
    expect(booked).toMatchObject({ 'ep.email': '[EMAIL]', 'ep.phone': '[PHONE]', 'ep.appointment_type': 'follow-up', 'epn.slot_count': '3', _et: '5021' });
    expect(booked['ep.note']).toBe('Patient [NAME], SSN [SSN]');
    expect(upstream.hitEvents().find((e) => e.en === 'form_start')).toMatchObject({ 'ep.form_id': 'intake', _et: '300' });
  });

  it('sends no client header to Google', () => {
    for (const r of upstream.requests) for (const h of CLIENT_HEADERS) expect(r.headers[h]).toBeUndefined();
  });
});

describe('GA4 Measurement Protocol through phi-proxy (recorded request shapes)', () => {
  const query = '?measurement_id=G-ABC123XYZ9&api_secret=s3cr3t_Value-1';

  it('scrubs the body, drops user_data and ip_override, keeps ids joinable with gtag hits, and passes 204 back', async () => {
    const res = await fetch(`${base}/mp/collect${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(MP_BODY) });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    const body = upstream.mpBodies().at(-1);
    expect(Object.keys(body)).toEqual(['client_id', 'user_id', 'timestamp_micros', 'user_properties', 'consent', 'user_location', 'events']);
    expect(body.client_id).toBe(upstream.hitEvents()[0]!.cid);
    expect(body.user_id).toBe(upstream.hitEvents()[0]!.uid);
    expect(body.timestamp_micros).toBe('1731234567890123');
    expect(body.consent).toEqual(MP_BODY.consent);
    expect(body.user_properties).toEqual({ plan: { value: 'pro' }, email: { value: '[EMAIL]' } });
    expect(body.user_location).toEqual({ region_id: 'US-IL', country_id: 'US' });
    expect(body.events).toEqual([{ name: 'refill_requested', params: { session_id: '1731234567', engagement_time_msec: '100', page_location: 'https://clinic.example.com/patients/:id', note: 'Call [NAME] at [PHONE]', plan: 'pro' } }]);
    expect(upstream.requests.at(-1)!.query).toBe(query);
  });

  it('passes the debug endpoint\'s validation answer back', async () => {
    const res = await fetch(`${base}/debug/mp/collect${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(MP_BODY) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ validationMessages: [] });
  });

  it('refuses what it cannot decode and never forwards it', async () => {
    const before = upstream.requests.length;
    expect((await fetch(`${base}/mp/collect${query}`, { method: 'POST', body: `{"client_id":"${CID}","user_id":"patient-4711"` })).status).toBe(400);
    expect((await fetch(`${base}/g/collect?v=2&dl=${encodeURIComponent(EMAIL)}`, { method: 'POST', body: 'en=x&ep.a=%E9' })).status).toBe(400);
    expect((await fetch(`${base}/gtag/js?id=G-ABC123XYZ9`)).status).toBe(404);
    expect(upstream.requests.length).toBe(before);
  });
});

describe('GA4 leak search', () => {
  it('lets no planted identifier reach the upstream in any form', () => {
    expect(leaksIn(upstream.haystack(), PLANTED)).toEqual([]);
  });
});
