/**
 * Segment's real SDKs through phi-proxy (format `segment`, rules/segment.yaml + Safe Harbor) to a
 * recording upstream on 127.0.0.1 that decodes independently:
 *  - @segment/analytics-node (`/v1/batch`) with PHI in userId, traits, context.ip, context.page,
 *    context.device, context.location, groupId and previousId;
 *  - the HTTP tracking API (`/v1/track` gzip by Content-Encoding, `/v1/import`);
 *  - @segment/analytics-next (UMD bundle) in headless Chromium on another origin, loaded with
 *    `cdnURL` = the proxy: its settings come through the proxy, rewritten so that events
 *    (`/v1/t /i /p /g`, or `/v1/b` with the batching strategy) and metrics (`/v1/m`) come back.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { Analytics } from '@segment/analytics-node';
import type { Browser } from 'puppeteer-core';
import type { Recorded } from './recording-upstream';
import { clientHeadersSeen, foreignHostHeaders, haystackOf, leaksIn, requestsTo, startStack, waitFor, type Stack, launchChromium } from './helpers';

jest.setTimeout(30_000);

type Json = Record<string, any>;
declare const window: any;
declare const AnalyticsNext: any;

const WRITE_KEY = 'seg_wk_node';
const BASIC = `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`;
const USER_ID = 'patient-123';
const EMAIL = 'jane.doe@example.com';
const PHONE = '(617) 253-1000';
const SSN = '123-45-6789';
const CLIENT_IP = '203.0.113.7';
const DEVICE_ID = 'dev-jane-0001';
const AD_ID = '7A3CBEA0-BDF5-11E4-8DFC-AA07A5B093DB';
const GROUP_ID = 'household-doe-77';
const PREVIOUS_ID = 'anon-jane-555';
const PAGE_URL = `https://clinic.example.com/patients/8675309/chart?email=${encodeURIComponent(EMAIL)}&utm_source=newsletter`;

const PLANTED_NODE = [
  USER_ID, EMAIL, 'Jane Doe', PHONE, '253-1000', '1985-03-14', '12 Main St', 'Springfield', '42.1017', '72.5898', CLIENT_IP, DEVICE_ID, AD_ID,
  GROUP_ID, PREVIOUS_ID, SSN, '8675309', "Jane's iPhone", 'https://janedoe.example.net',
];

const BENIGN = { plan: 'pro-annual', price: 49.99, currency: 'USD', button_text: 'Upgrade now', item_count: 3, is_trial: false, tags: ['billing', 'upgrade'] };

/** Segment-spec events the upstream received (single events and batches), flattened. */
function upstreamEvents(stack: Stack, re = /^\/v1\/(?:t|i|p|g|a|s|b|m|track|identify|page|group|alias|screen|batch|import)$/): Json[] {
  return requestsTo(stack.upstream, re).flatMap((r: Recorded) => {
    const j = r.json as Json | undefined;
    if (!j) return [];
    return Array.isArray(j.batch) ? (j.batch as Json[]) : [j];
  });
}

// ---------------------------------------------------------------------------------------------
// The vendor's CDN (assets_upstream): project settings, as cdn.segment.com serves them.

interface Cdn {
  url: string;
  requests: { method: string; path: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

function settingsFor(writeKey: string): Json {
  const batching = writeKey.endsWith('batch');
  return {
    integrations: {
      'Segment.io': {
        apiKey: writeKey, apiHost: 'api.segment.io/v1', unbundledIntegrations: [], addBundledMetadata: true, maybeBundledConfigIds: {}, versionSettings: { version: '4.4.7', componentTypes: ['browser'] },
        ...(batching ? { deliveryStrategy: { strategy: 'batching', config: { size: 10, timeout: 300 } } } : {}),
      },
      // a device-mode destination: the proxy must remove it (it would send from the browser directly)
      'Google Analytics': { bundlingStatus: 'bundled', trackingId: 'UA-1-1', versionSettings: { version: '2.18.3', componentTypes: ['browser'] } },
    },
    plan: { track: { __default: { enabled: true, integrations: {} } }, identify: { __default: { enabled: true } }, group: { __default: { enabled: true } } },
    edgeFunction: {}, analyticsNextEnabled: true, middlewareSettings: {}, enabledMiddleware: {}, legacyVideoPluginsEnabled: false,
    remotePlugins: [{ name: 'Unreachable Device Mode (Actions)', creationName: 'x', libraryName: 'x', url: 'https://cdn.segment.invalid/x.js', settings: {} }],
    metrics: batching ? { sampleRate: 1, flushTimer: 300 } : { sampleRate: 0 },
  };
}

async function startCdn(): Promise<Cdn> {
  const requests: Cdn['requests'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://cdn');
    requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, headers: req.headers });
    const m = /^\/v1\/projects\/([^/]+)\/settings$/.exec(url.pathname);
    const body = m ? JSON.stringify(settingsFor(m[1]!)) : 'not found';
    res.writeHead(m ? 200 : 404, { 'content-type': m ? 'application/json' : 'text/plain', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

// ---------------------------------------------------------------------------------------------
// analytics-node and the HTTP API

describe('@segment/analytics-node and the HTTP API through phi-proxy', () => {
  let stack: Stack;
  let cdn: Cdn;
  const sdkRequests: Json[] = [];
  const sdkStatuses: number[] = [];
  const errors: unknown[] = [];
  const apiStatuses: number[] = [];

  beforeAll(async () => {
    cdn = await startCdn();
    stack = await startStack(`format: segment\nassets_upstream: ${cdn.url}\n`);
    const analytics = new Analytics({ writeKey: WRITE_KEY, host: stack.proxy.url, maxEventsInBatch: 3, flushInterval: 50, maxRetries: 0 });
    analytics.on('error', (err) => errors.push(err));
    analytics.on('http_request', (r) => sdkRequests.push(JSON.parse(r.body) as Json));
    analytics.on('http_response', (r) => sdkStatuses.push(r.status));

    const context = {
      ip: CLIENT_IP,
      page: { url: PAGE_URL, path: '/patients/8675309/chart', title: 'Chart of Jane Doe', referrer: `https://search.example.com/?q=${encodeURIComponent(PHONE)}` },
      device: { id: DEVICE_ID, advertisingId: AD_ID, name: "Jane's iPhone", manufacturer: 'Apple', model: 'iPhone15,2' },
      location: { city: 'Springfield', country: 'United States', latitude: '42.1017', longitude: '-72.5898' },
      traits: { email: EMAIL },
    };
    analytics.identify({
      userId: USER_ID,
      traits: { email: EMAIL, name: 'Jane Doe', phone: PHONE, birthday: '1985-03-14', website: 'https://janedoe.example.net', address: { street: '12 Main St', city: 'Springfield', state: 'MA', postalCode: '01103', country: 'US' } },
      context,
    });
    analytics.track({ userId: USER_ID, event: 'Appointment Booked', properties: { email: EMAIL, note: `Callback requested, SSN ${SSN} on file`, appointment_type: 'follow-up' }, context });
    analytics.page({ userId: USER_ID, name: 'Patient Chart', properties: { url: PAGE_URL, title: 'Chart of Jane Doe' }, context });
    analytics.group({ userId: USER_ID, groupId: GROUP_ID, traits: { name: 'Doe household', plan: 'family' } });
    analytics.alias({ userId: USER_ID, previousId: PREVIOUS_ID });
    analytics.screen({ userId: USER_ID, name: 'Chart', properties: { section: 'labs' }, context });
    analytics.track({ userId: USER_ID, event: 'Plan Upgraded', properties: BENIGN });
    await analytics.closeAndFlush({ timeout: 10_000 });

    // The HTTP tracking API: gzip by Content-Encoding on /v1/track, a batch on /v1/import.
    const post = async (p: string, body: Json, gzip: boolean) => {
      const text = JSON.stringify(body);
      const res = await fetch(`${stack.proxy.url}${p}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: BASIC, 'x-forwarded-for': '198.51.100.23', ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
        body: gzip ? zlib.gzipSync(text) : text,
      });
      apiStatuses.push(res.status);
      await res.text();
    };
    await post('/v1/track', { userId: USER_ID, event: 'Lab Viewed', messageId: 'api-1', properties: { email: EMAIL }, context: { ip: CLIENT_IP } }, true);
    await post('/v1/import', { batch: [{ type: 'identify', userId: USER_ID, messageId: 'api-2', traits: { phone: PHONE } }, { type: 'track', userId: USER_ID, event: 'Imported', messageId: 'api-3', properties: BENIGN }] }, false);
  });
  afterAll(async () => {
    await stack?.close();
    await cdn?.close();
  });

  const sent = () => sdkRequests.flatMap((r) => r.batch as Json[]);
  const received = () => upstreamEvents(stack);
  const byId = (id: string) => received().find((e) => e.messageId === id);

  it('the SDK saw success for every request, no errors, no retries', () => {
    expect(errors).toEqual([]);
    expect(sdkStatuses.length).toBe(sdkRequests.length);
    expect(sdkStatuses.every((s) => s === 200)).toBe(true);
    expect(apiStatuses).toEqual([200, 200]);
    expect(stack.upstream.requests.some((r) => r.headers['x-retry-count'] !== undefined)).toBe(false);
  });

  it('every event arrives once, on the path it was sent to, with its messageId', () => {
    expect(sent().map((e) => e.type).sort()).toEqual(['alias', 'group', 'identify', 'page', 'screen', 'track', 'track']);
    expect(requestsTo(stack.upstream, /^\/v1\/batch$/)).toHaveLength(sdkRequests.length);
    expect(requestsTo(stack.upstream, /^\/v1\/track$/)).toHaveLength(1);
    expect(requestsTo(stack.upstream, /^\/v1\/import$/)).toHaveLength(1);
    const ids = received().map((e) => e.messageId).sort();
    expect(ids).toEqual([...sent().map((e) => e.messageId), 'api-1', 'api-2', 'api-3'].sort());
    for (const e of sent()) expect(byId(e.messageId)!.type).toBe(e.type);
  });

  it('no planted identifier arrives in any form (raw bytes, query, headers, decoded JSON)', () => {
    expect(leaksIn(haystackOf(stack.upstream), PLANTED_NODE)).toEqual([]);
    expect(JSON.stringify(stack.upstream.requests.map((r) => r.json))).not.toMatch(/\b(?:Jane|Doe)\b/);
  });

  it('benign properties and SDK metadata arrive unchanged; the write key and Basic auth pass', () => {
    const original = sent().find((e) => e.event === 'Plan Upgraded')!;
    const got = byId(original.messageId)!;
    expect(got.properties).toEqual(BENIGN);
    expect(got.timestamp).toBe(original.timestamp);
    expect(got.context.library).toEqual(original.context.library);
    expect(got._metadata).toEqual(original._metadata);
    expect(byId('api-3')!.properties).toEqual(BENIGN);
    for (const r of stack.upstream.requests) expect(r.headers.authorization).toBe(BASIC);
    for (const r of requestsTo(stack.upstream, /^\/v1\/batch$/)) expect((r.json as Json).writeKey).toBe(WRITE_KEY);
  });

  it('PHI fields are scrubbed but the events stay useful', () => {
    const identify = byId(sent().find((e) => e.type === 'identify')!.messageId)!;
    expect(identify.traits).toMatchObject({ email: '[EMAIL]', name: '[NAME]', phone: '[PHONE]', birthday: '1985', website: '[URL]' });
    expect(identify.traits.address).toMatchObject({ state: 'MA', country: 'US' });
    expect(identify.context.ip).toBeUndefined();
    expect(identify.context.page.url).toBe('https://clinic.example.com/patients/:id/chart?utm_source=newsletter');
    expect(identify.context.device).toMatchObject({ advertisingId: '[DEVICE_ID]', name: '[DEVICE_ID]', manufacturer: 'Apple', model: 'iPhone15,2' });
    expect(identify.context.device.id).toMatch(/^tok_/);
    expect(identify.context.location).toEqual({ country: 'United States' });
    const track = byId(sent().find((e) => e.event === 'Appointment Booked')!.messageId)!;
    expect(track.properties.appointment_type).toBe('follow-up');
    expect(String(track.properties.note)).toContain('Callback requested');
    expect(byId('api-1')!.context.ip).toBeUndefined();
  });

  it('userId, groupId and previousId become stable surrogates', () => {
    const userIds = new Set(received().map((e) => e.userId));
    expect(userIds.size).toBe(1);
    expect([...userIds][0]).toMatch(/^tok_[A-Za-z0-9_-]{10,}$/);
    const group = received().find((e) => e.type === 'group')!;
    const alias = received().find((e) => e.type === 'alias')!;
    expect(group.groupId).toMatch(/^tok_/);
    expect(alias.previousId).toMatch(/^tok_/);
    expect(new Set([group.groupId, alias.previousId, [...userIds][0]]).size).toBe(3);
  });

  it('no client headers reached upstream, and Host is the upstream\'s own', () => {
    expect(clientHeadersSeen(stack.upstream)).toEqual([]);
    expect(foreignHostHeaders(stack.upstream)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// analytics-next in Chromium

/** require.resolve('@segment/analytics-next') → …/dist/cjs/index.js; the UMD bundle is in dist/umd. */
const UMD_DIR = path.resolve(path.dirname(require.resolve('@segment/analytics-next')), '..', 'umd');
const PAGE_HOST = 'clinic.test';
const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Safari/537.36';
const PAGE_PATH = '/pages/chart.html';
const PAGE_QUERY = `?patient=123&email=${encodeURIComponent(EMAIL)}`;
const PAGE_FRAGMENT = '#dob=1985-03-14';
const TITLE = 'Patient Chart - Jane Doe';
const PLANTED_BROWSER = [EMAIL, 'Jane Doe', '1985-03-14', 'dob=1985', 'patient=123', USER_ID, PHONE, '253-1000', SSN, '12 Main St', GROUP_ID];

async function startSite(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://site');
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(body);
    };
    if (url.pathname === PAGE_PATH) {
      return send(200, 'text/html; charset=utf-8', `<!doctype html><html><head><meta charset="utf-8"><title>${TITLE}</title><script src="/vendor/index.js"></script></head><body><h1>Jane Doe</h1></body></html>`);
    }
    // the bundle and its lazy chunks (webpack public path "": relative to the page)
    const file = /\/([A-Za-z0-9._-]+\.js)$/.exec(url.pathname)?.[1];
    if (file && fs.existsSync(path.join(UMD_DIR, file))) return send(200, 'application/javascript', fs.readFileSync(path.join(UMD_DIR, file)));
    send(404, 'text/plain', 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

describe('@segment/analytics-next in Chromium through phi-proxy (settings rewritten by the proxy)', () => {
  let browser: Browser;
  let site: Awaited<ReturnType<typeof startSite>>;
  beforeAll(async () => {
    site = await startSite();
    browser = await launchChromium(PAGE_HOST);
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it.each([
    { mode: 'one request per event (/v1/t /i /p /g)', writeKey: 'seg_wk_single', paths: /^\/v1\/[tipg]$/, batching: false },
    { mode: 'batching strategy (/v1/b) and metrics (/v1/m)', writeKey: 'seg_wk_batch', paths: /^\/v1\/b$/, batching: true },
  ])('$mode', async ({ writeKey, paths, batching }) => {
    const cdn = await startCdn();
    const stack = await startStack(`format: segment\nassets_upstream: ${cdn.url}\n`);
    const context = await browser.createBrowserContext();
    try {
      const page = await context.newPage();
      await page.setUserAgent(USER_AGENT);
      const requested: string[] = [];
      const proxyResponses: { status: number; url: string }[] = [];
      page.on('request', (r) => requested.push(r.url()));
      page.on('response', (r) => { if (r.url().startsWith(stack.proxy.url)) proxyResponses.push({ status: r.status(), url: r.url() }); });
      const sitePort = new URL(site.url).port;
      await page.goto(`http://${PAGE_HOST}:${sitePort}${PAGE_PATH}${PAGE_QUERY}${PAGE_FRAGMENT}`, { waitUntil: 'load' });

      const sent = (await page.evaluate(
        async (cfg: Json) => {
          // metrics go to settings.metrics.host with the protocol of the load option (default https)
          const options = cfg.batching ? { integrations: { 'Segment.io': { protocol: 'http' } } } : {};
          const [analytics] = await AnalyticsNext.AnalyticsBrowser.load({ writeKey: cfg.writeKey, cdnURL: cfg.cdnURL }, options);
          const out: Json[] = [];
          const record = (ctx: any) => out.push({ messageId: ctx.event.messageId, type: ctx.event.type, event: ctx.event.event, properties: ctx.event.properties, failed: ctx.failedDelivery()?.reason?.message ?? null });
          record(await analytics.identify(cfg.userId, { email: cfg.email, name: 'Jane Doe', phone: cfg.phone, birthday: '1985-03-14', address: { street: '12 Main St', state: 'MA' } }));
          record(await analytics.track('Appointment Booked', { email: cfg.email, note: `Callback requested, SSN ${cfg.ssn} on file`, appointment_type: 'follow-up' }));
          record(await analytics.page('Charts', 'Patient Chart'));
          record(await analytics.group(cfg.groupId, { plan: 'family' }));
          record(await analytics.track('Plan Upgraded', cfg.benign));
          window.__analytics = analytics;
          return out;
        },
        { writeKey, cdnURL: stack.proxy.url, userId: USER_ID, email: EMAIL, phone: PHONE, ssn: SSN, groupId: GROUP_ID, benign: BENIGN, batching },
      )) as Json[];

      const received = await waitFor('every browser event upstream', () => {
        const got = upstreamEvents(stack, paths);
        return got.length >= sent.length ? got : undefined;
      });
      if (batching) await waitFor('SDK metrics upstream', () => requestsTo(stack.upstream, /^\/v1\/m$/).length > 0);

      // the settings came through the proxy from the CDN (assets upstream), not from the events upstream
      expect(cdn.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /v1/projects/${writeKey}/settings`]);
      expect(cdn.requests[0]!.headers.referer).toBeUndefined();
      expect(cdn.requests[0]!.headers.origin).toBeUndefined();
      // the browser only ever talked to the page's own site and the proxy
      for (const u of requested) expect(u.startsWith(`http://${PAGE_HOST}:${sitePort}/`) || u.startsWith(stack.proxy.url)).toBe(true);
      // the SDK saw success everywhere, nothing is left to retry
      expect(sent.map((s) => s.failed)).toEqual([null, null, null, null, null]);
      expect(proxyResponses.length).toBeGreaterThan(0);
      expect(proxyResponses.filter((r) => r.status >= 400)).toEqual([]);
      expect(stack.upstream.requests.some((r) => r.headers['x-retry-count'] !== undefined)).toBe(false);

      // every event arrives once, on the expected paths
      expect(received.map((e) => e.messageId).sort()).toEqual(sent.map((s) => s.messageId).sort());
      expect(requestsTo(stack.upstream, /^\/v1\//).every((r) => paths.test(r.path) || (batching && r.path === '/v1/m'))).toBe(true);
      for (const r of requestsTo(stack.upstream, paths)) expect(r.headers.authorization).toBe(`Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`);

      // nothing planted arrives; benign properties and the SDK's metadata do
      expect(leaksIn(haystackOf(stack.upstream), PLANTED_BROWSER)).toEqual([]);
      expect(JSON.stringify(received)).not.toMatch(/\b(?:Jane|Doe)\b/);
      const benign = received.find((e) => e.event === 'Plan Upgraded')!;
      expect(benign.properties).toEqual(BENIGN);
      expect(benign.context.library).toEqual({ name: 'analytics.js', version: expect.stringMatching(/^(?:npm:)?next-\d+\.\d+\.\d+$/) });
      expect(benign.context.page.url).toBe(`http://${PAGE_HOST}:${sitePort}${PAGE_PATH}`);
      expect(benign.context.page.search).toBe('');
      const identify = received.find((e) => e.type === 'identify')!;
      expect(identify.userId).toMatch(/^tok_/);
      expect(identify.traits).toMatchObject({ email: '[EMAIL]', name: '[NAME]', phone: '[PHONE]', birthday: '1985' });
      expect(identify.anonymousId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(new Set(received.map((e) => e.anonymousId)).size).toBe(1);
      expect(new Set(received.map((e) => e.userId)).size).toBe(1);
      expect(received.find((e) => e.type === 'group')!.groupId).toMatch(/^tok_/);
      if (batching) {
        const metrics = requestsTo(stack.upstream, /^\/v1\/m$/).flatMap((r) => (r.json as Json).series as Json[]);
        expect(metrics.length).toBeGreaterThan(0);
        for (const m of metrics) expect(m).toMatchObject({ type: 'Counter', metric: expect.stringMatching(/^analytics_js\./) });
      }
      expect(clientHeadersSeen(stack.upstream)).toEqual([]);
      expect(foreignHostHeaders(stack.upstream)).toEqual([]);
    } finally {
      await context.close().catch(() => undefined);
      await stack.close();
      await cdn.close();
    }
  });
});
