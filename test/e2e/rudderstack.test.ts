/**
 * RudderStack's real SDKs through phi-proxy (format `rudderstack`, rules/rudderstack.yaml + Safe
 * Harbor) to a recording upstream on 127.0.0.1 that decodes independently:
 *  - @rudderstack/rudder-sdk-node: gzip JSON labelled application/x-www-form-urlencoded on /v1/batch;
 *  - @rudderstack/analytics-js v3 (UMD bundle) in headless Chromium on another origin: the source
 *    config through the proxy, then `/v1/{type}` (XhrQueue), `/v1/batch` (XhrQueue batching) and
 *    `/beacon/v1/batch?writeKey=` (BeaconQueue). The AnonymousId header must be base64 of the
 *    scrubbed anonymousId, never the one the browser sent.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import Analytics from '@rudderstack/rudder-sdk-node';
import type { Browser } from 'puppeteer-core';
import type { Recorded } from './recording-upstream';
import { clientHeadersSeen, foreignHostHeaders, haystackOf, leaksIn, requestsTo, startStack, waitFor, type Stack, launchChromium } from './helpers';

jest.setTimeout(30_000);

type Json = Record<string, any>;
declare const window: any;
declare const rudderanalytics: any;
declare const XMLHttpRequest: any;
declare const navigator: any;

const WRITE_KEY = '2RsWriteKey0123456789abcdef';
const BASIC = `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`;
const USER_ID = 'patient-123';
const EMAIL = 'jane.doe@example.com';
const PHONE = '(617) 253-1000';
const SSN = '123-45-6789';
const CLIENT_IP = '203.0.113.7';
const GROUP_ID = 'household-doe-77';
const PAGE_URL = `https://clinic.example.com/patients/8675309/chart?email=${encodeURIComponent(EMAIL)}&utm_source=newsletter`;
const BENIGN = { plan: 'pro-annual', price: 49.99, currency: 'USD', button_text: 'Upgrade now', item_count: 3, is_trial: false, tags: ['billing', 'upgrade'] };
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

function upstreamEvents(stack: Stack, re = /^\/(?:beacon\/)?v1\/(?:track|identify|page|group|alias|screen|batch)$/): Json[] {
  return requestsTo(stack.upstream, re).flatMap((r: Recorded) => {
    const j = r.json as Json | undefined;
    if (!j) return [];
    return Array.isArray(j.batch) ? (j.batch as Json[]) : [j];
  });
}

/** RudderStack's control plane (assets_upstream): the source config, with one device-mode destination the proxy must remove. */
interface ConfigServer {
  url: string;
  requests: { path: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}
async function startConfigServer(): Promise<ConfigServer> {
  const requests: ConfigServer['requests'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://cp');
    requests.push({ path: url.pathname + url.search, headers: req.headers });
    const ok = url.pathname === '/sourceConfig/';
    const body = ok
      ? JSON.stringify({
          isHosted: true,
          source: {
            config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } }, id: 'src-1', name: 'clinic web', writeKey: url.searchParams.get('writeKey'), workspaceId: 'ws-1', enabled: true,
            destinations: [{ id: 'dst-1', enabled: true, config: { connectionMode: 'device', measurementId: 'G-1' }, destinationDefinition: { name: 'GA4', displayName: 'Google Analytics 4 (GA4)' } }],
          },
        })
      : 'not found';
    res.writeHead(ok ? 200 : 404, { 'content-type': ok ? 'application/json' : 'text/plain', 'content-length': Buffer.byteLength(body) });
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

describe('@rudderstack/rudder-sdk-node through phi-proxy', () => {
  let stack: Stack;
  const errors: unknown[] = [];
  const flushed: unknown[] = [];

  beforeAll(async () => {
    stack = await startStack('format: rudderstack\n');
    const client = new Analytics(WRITE_KEY, { dataPlaneUrl: stack.proxy.url, flushAt: 3, flushInterval: 100, retryCount: 0, logLevel: 'error', errorHandler: (err: unknown) => errors.push(err) });
    const context = { ip: CLIENT_IP, page: { url: PAGE_URL, title: 'Chart of Jane Doe' }, device: { id: 'dev-jane-0001', name: "Jane's iPhone" } };
    client.identify({ userId: USER_ID, traits: { email: EMAIL, name: 'Jane Doe', phone: PHONE, birthday: '1985-03-14' }, context });
    client.track({ userId: USER_ID, event: 'Appointment Booked', properties: { email: EMAIL, note: `Callback requested, SSN ${SSN} on file`, appointment_type: 'follow-up' }, context });
    client.page({ userId: USER_ID, name: 'Patient Chart', properties: { url: PAGE_URL }, context });
    client.group({ userId: USER_ID, groupId: GROUP_ID, traits: { plan: 'family' } });
    client.alias({ userId: USER_ID, previousId: 'anon-jane-555' });
    client.track({ userId: USER_ID, event: 'Plan Upgraded', properties: BENIGN });
    await new Promise<void>((resolve) => client.flush((err?: unknown) => { flushed.push(err); resolve(); }));
    await waitFor('six events upstream', () => upstreamEvents(stack).length >= 6);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('sends gzip labelled as a form, and the SDK sees success without retries', () => {
    expect(errors).toEqual([]);
    expect(flushed).toEqual([undefined]);
    const batches = requestsTo(stack.upstream, /^\/v1\/batch$/);
    expect(batches.length).toBeGreaterThanOrEqual(2);
    for (const r of batches) {
      expect(r.headers['content-encoding']).toBe('gzip');
      expect(r.raw[0]).toBe(0x1f);
      expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(r.headers.authorization).toBe(BASIC);
      expect(r.headers.anonymousid).toBeUndefined();
    }
    expect(stack.upstream.requests.every((r) => r.path === '/v1/batch')).toBe(true);
  });

  it('every event arrives once', () => {
    const got = upstreamEvents(stack);
    expect(got.map((e) => e.type).sort()).toEqual(['alias', 'group', 'identify', 'page', 'track', 'track']);
    expect(new Set(got.map((e) => e.messageId)).size).toBe(6);
  });

  it('no planted identifier arrives; benign properties do; ids are surrogates', () => {
    const planted = [USER_ID, EMAIL, 'Jane Doe', PHONE, '253-1000', '1985-03-14', SSN, CLIENT_IP, GROUP_ID, 'anon-jane-555', 'dev-jane-0001', "Jane's iPhone", '8675309'];
    expect(leaksIn(haystackOf(stack.upstream), planted)).toEqual([]);
    const got = upstreamEvents(stack);
    expect(got.find((e) => e.event === 'Plan Upgraded')!.properties).toEqual(BENIGN);
    expect(new Set(got.map((e) => e.userId)).size).toBe(1);
    expect(got[0]!.userId).toMatch(/^tok_/);
    const identify = got.find((e) => e.type === 'identify')!;
    expect(identify.context.library).toEqual({ name: 'analytics-node', version: expect.any(String) });
    expect(identify.context.ip).toBeUndefined();
    expect(identify.context.page.url).toBe('https://clinic.example.com/patients/:id/chart?utm_source=newsletter');
    expect(identify.context.traits).toMatchObject({ email: '[EMAIL]', phone: '[PHONE]', birthday: '1985' });
  });
});

// ---------------------------------------------------------------------------------------------

/** require.resolve → …/dist/npm/modern/cjs/index.cjs; the UMD bundle is dist/npm/modern/bundled/umd/index.js. */
const UMD = path.resolve(path.dirname(require.resolve('@rudderstack/analytics-js')), '..', 'bundled', 'umd', 'index.js');
const PAGE_HOST = 'clinic.test';
const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Safari/537.36';
const PAGE_PATH = '/pages/rudder.html';
const PAGE_QUERY = `?patient=123&email=${encodeURIComponent(EMAIL)}`;
const PAGE_FRAGMENT = '#dob=1985-03-14';
const TITLE = 'Patient Chart - Jane Doe';
const PLANTED_BROWSER = [EMAIL, 'Jane Doe', '1985-03-14', 'dob=1985', 'patient=123', USER_ID, PHONE, '253-1000', SSN, GROUP_ID];

/** The page records what the SDK hands to XHR and sendBeacon: the SDK's own view, before the proxy. */
const RECORDER = `
window.__sent = [];
(function () {
  var open = XMLHttpRequest.prototype.open, send = XMLHttpRequest.prototype.send, setHeader = XMLHttpRequest.prototype.setRequestHeader;
  XMLHttpRequest.prototype.open = function (m, u) { this.__req = { url: String(u), headers: {} }; return open.apply(this, arguments); };
  XMLHttpRequest.prototype.setRequestHeader = function (k, v) { if (this.__req) this.__req.headers[k.toLowerCase()] = v; return setHeader.apply(this, arguments); };
  XMLHttpRequest.prototype.send = function (body) {
    var x = this;
    if (x.__req && typeof body === 'string') { x.__req.body = body; x.addEventListener('loadend', function () { x.__req.status = x.status; }); window.__sent.push(x.__req); }
    return send.apply(this, arguments);
  };
  var beacon = navigator.sendBeacon.bind(navigator);
  navigator.sendBeacon = function (u, data) {
    var req = { url: String(u), headers: {}, beacon: true };
    window.__sent.push(req);
    if (data && data.text) data.text().then(function (t) { req.body = t; });
    req.status = beacon(u, data) ? 'queued' : 'refused';
    return req.status === 'queued';
  };
})();`;

async function startSite(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://site');
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(body);
    };
    if (url.pathname === PAGE_PATH) {
      return send(200, 'text/html; charset=utf-8', `<!doctype html><html><head><meta charset="utf-8"><title>${TITLE}</title><script>${RECORDER}</script><script src="/vendor/rudder.js"></script></head><body><h1>Jane Doe</h1></body></html>`);
    }
    if (url.pathname === '/vendor/rudder.js') return send(200, 'application/javascript', fs.readFileSync(UMD));
    send(404, 'text/plain', 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

describe('@rudderstack/analytics-js v3 in Chromium through phi-proxy', () => {
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
    { mode: 'XhrQueue, one request per event (/v1/{type})', loadOptions: {}, paths: /^\/v1\/(?:identify|track|page|group)$/, header: true },
    { mode: 'XhrQueue batching (/v1/batch)', loadOptions: { queueOptions: { batch: { enabled: true, maxItems: 20, flushInterval: 300 } } }, paths: /^\/v1\/batch$/, header: true },
    { mode: 'BeaconQueue (/beacon/v1/batch?writeKey=)', loadOptions: { useBeacon: true, beaconQueueOptions: { maxItems: 20, flushQueueInterval: 300 } }, paths: /^\/beacon\/v1\/batch$/, header: false },
  ])('$mode', async ({ loadOptions, paths, header }) => {
    const configServer = await startConfigServer();
    const stack = await startStack(`format: rudderstack\nassets_upstream: ${configServer.url}\n`);
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

      const anonymousId = (await page.evaluate(
        async (cfg: Json) => {
          const ra = new rudderanalytics.RudderAnalytics();
          await new Promise<void>((resolve) => {
            ra.load(cfg.writeKey, cfg.dataPlane, { configUrl: cfg.dataPlane, logLevel: 'ERROR', onLoaded: () => resolve(), ...cfg.loadOptions });
          });
          ra.identify(cfg.userId, { email: cfg.email, name: 'Jane Doe', phone: cfg.phone, birthday: '1985-03-14' });
          ra.track('Appointment Booked', { email: cfg.email, note: `Callback requested, SSN ${cfg.ssn} on file`, appointment_type: 'follow-up' });
          ra.page('Charts', 'Patient Chart');
          ra.group(cfg.groupId, { plan: 'family' });
          ra.track('Plan Upgraded', cfg.benign);
          return ra.getAnonymousId() as string;
        },
        { writeKey: WRITE_KEY, dataPlane: stack.proxy.url, userId: USER_ID, email: EMAIL, phone: PHONE, ssn: SSN, groupId: GROUP_ID, benign: BENIGN, loadOptions },
      )) as string;

      const received = await waitFor('every browser event upstream', () => {
        const got = upstreamEvents(stack, paths);
        return got.length >= 5 ? got : undefined;
      });
      const sent = (await waitFor('the SDK side of every request', async () => {
        const s = (await page.evaluate(() => window.__sent)) as Json[];
        const done = s.filter((r) => r.url.startsWith(stack.proxy.url) && r.body !== undefined && r.status !== undefined);
        return done.length > 0 && done.length === s.filter((r) => r.url.startsWith(stack.proxy.url)).length ? done : undefined;
      })) as Json[];
      const sentEvents = sent.flatMap((r) => { const j = JSON.parse(r.body) as Json; return Array.isArray(j.batch) ? j.batch : [j]; }) as Json[];

      // config through the proxy (query limited to the SDK's parameters), from the control plane
      expect(configServer.requests).toHaveLength(1);
      expect(configServer.requests[0]!.path).toMatch(new RegExp(`^/sourceConfig/\\?p=npm&v=[0-9.]+&build=modern&writeKey=${WRITE_KEY}&lockIntegrationsVersion=true&lockPluginsVersion=true$`));
      expect(configServer.requests[0]!.headers.authorization).toBe(BASIC);
      // the browser only ever talked to the page's own site and the proxy (the device-mode destination was removed)
      for (const u of requested) expect(u.startsWith(`http://${PAGE_HOST}:${sitePort}/`) || u.startsWith(stack.proxy.url)).toBe(true);
      // the SDK saw success; nothing was retried
      expect(proxyResponses.filter((r) => r.status >= 400)).toEqual([]);
      for (const r of sent) expect(r.status === 200 || r.status === 'queued').toBe(true);
      expect(sentEvents.map((e) => e.type).sort()).toEqual(['group', 'identify', 'page', 'track', 'track']);
      expect(requestsTo(stack.upstream, paths)).toHaveLength(sent.length);
      expect(received.map((e) => e.messageId).sort()).toEqual(sentEvents.map((e) => e.messageId).sort());
      expect(stack.upstream.requests.every((r) => paths.test(r.path))).toBe(true);

      // AnonymousId: the browser sent base64(its id); upstream gets base64(the scrubbed id) or nothing (beacon)
      expect(received.every((e) => e.anonymousId !== anonymousId && /^[0-9a-f-]{36}$/.test(e.anonymousId))).toBe(true);
      expect(new Set(received.map((e) => e.anonymousId)).size).toBe(1);
      for (const r of requestsTo(stack.upstream, paths)) {
        const first = (Array.isArray((r.json as Json).batch) ? (r.json as Json).batch[0] : r.json) as Json;
        if (header) {
          expect(sent.every((s) => s.headers.anonymousid === b64(anonymousId))).toBe(true);
          expect(r.headers.anonymousid).toBe(b64(first.anonymousId));
          expect(r.headers.authorization).toBe(BASIC);
        } else {
          expect(r.headers.anonymousid).toBeUndefined();
          expect(r.query).toEqual({ writeKey: WRITE_KEY });
        }
      }
      expect(leaksIn(haystackOf(stack.upstream), [...PLANTED_BROWSER, anonymousId, b64(anonymousId)])).toEqual([]);
      expect(JSON.stringify(received)).not.toMatch(/\b(?:Jane|Doe)\b/);

      // benign properties and SDK metadata arrive unchanged; PHI fields are scrubbed
      const benign = received.find((e) => e.event === 'Plan Upgraded')!;
      const benignSent = sentEvents.find((e) => e.event === 'Plan Upgraded')!;
      expect(benign.properties).toEqual(BENIGN);
      expect(benign.context.library).toEqual(benignSent.context.library);
      expect(benign.context.sessionId).toBe(benignSent.context.sessionId);
      expect(benign.originalTimestamp).toBe(benignSent.originalTimestamp);
      expect(benign.context.page.url).toBe(`http://${PAGE_HOST}:${sitePort}${PAGE_PATH}`);
      expect(benign.context.page.tab_url).toBe(`http://${PAGE_HOST}:${sitePort}${PAGE_PATH}`);
      const identify = received.find((e) => e.type === 'identify')!;
      expect(identify.userId).toMatch(/^tok_/);
      expect(identify.context.traits).toMatchObject({ email: '[EMAIL]', name: '[NAME]', phone: '[PHONE]', birthday: '1985' });
      expect(received.find((e) => e.type === 'group')!.groupId).toMatch(/^tok_/);
      expect(clientHeadersSeen(stack.upstream)).toEqual([]);
      expect(foreignHostHeaders(stack.upstream)).toEqual([]);
    } finally {
      await context.close().catch(() => undefined);
      await stack.close();
      await configServer.close();
    }
  });
});
