/**
 * Mixpanel's real SDKs through phi-proxy (`format: mixpanel`) to a recording upstream that
 * decodes independently and answers as Mixpanel does: the `mixpanel` Node library (GET ?data=,
 * POST form batches, /import with api_key, verbose and plain answers) and mixpanel-browser in
 * headless Chromium on another origin (XHR form batches with credentials, sendBeacon, /engage,
 * feature flags, remote settings). Nothing planted may arrive in any form, benign properties must
 * arrive unchanged, every event once, and the SDKs must see success.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { Browser } from 'puppeteer-core';
import { startProxy, type RunningProxy } from '../../src/proxy/server';
import { leaksIn, waitFor, launchChromium } from './helpers';

jest.setTimeout(60_000);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Mixpanel = require('mixpanel') as { init(token: string, config: Record<string, unknown>): any };
const BROWSER_BUNDLE = path.resolve(__dirname, '../../node_modules/mixpanel-browser/dist/mixpanel.umd.js');
const BROWSER_VERSION = (JSON.parse(fs.readFileSync(path.resolve(BROWSER_BUNDLE, '../../package.json'), 'utf8')) as { version: string }).version;

const TOKEN = 'mp_token';
const EMAIL = 'jane.doe@example.com';
const PHONE = '555-867-5309';
const NOTE = 'Patient Maria Gonzalez, SSN 123-45-6789, asked to reschedule';
const CLIENT_IP = '203.0.113.7';
const PHI_URL = `https://portal.example.org/patients/8812734/chart?patient=123&email=${encodeURIComponent(EMAIL)}`;
const PLANTED = [EMAIL, 'Jane Doe', PHONE, 'Maria Gonzalez', '123-45-6789', 'patient=123', 'patient-123', '8812734', CLIENT_IP, 'dob=1985'];
const FLAG_KEY = 'beta-feature';

type Json = Record<string, any>;
declare const window: any;

// ---------------------------------------------------------------------------------------------
// Mixpanel stand-in

interface Got {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  /** `data` (or the flags `context`) decoded here, independently of phi-proxy. */
  payload: unknown;
}

function decodeData(data: string): unknown {
  return JSON.parse(/^\s*[[{]/.test(data) ? data : Buffer.from(data, 'base64').toString('utf8'));
}

function decode(method: string, p: string, query: URLSearchParams, headers: http.IncomingHttpHeaders, raw: Buffer): { payload: unknown; verbose: boolean } {
  if (/^\/flags\/?$/.test(p)) return { payload: JSON.parse(query.get('context') ?? 'null'), verbose: true };
  if (method === 'GET') return { payload: query.has('data') ? decodeData(query.get('data')!) : undefined, verbose: query.get('verbose') === '1' };
  const text = (headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw).toString('utf8');
  if (/^\s*[[{]/.test(text)) return { payload: JSON.parse(text), verbose: query.get('verbose') === '1' };
  const form = new URLSearchParams(text);
  return { payload: decodeData(form.get('data') ?? ''), verbose: query.get('verbose') === '1' || form.get('verbose') === '1' };
}

interface Upstream {
  url: string;
  got: Got[];
  /** Every track/import event and engage/groups update received, flattened. */
  items(re?: RegExp): Json[];
  close(): Promise<void>;
}

async function startMixpanelUpstream(): Promise<Upstream> {
  const got: Got[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://upstream');
      const raw = Buffer.concat(chunks);
      let decoded: { payload: unknown; verbose: boolean };
      try {
        decoded = decode(req.method ?? 'GET', url.pathname, url.searchParams, req.headers, raw);
      } catch {
        decoded = { payload: 'UNDECODABLE', verbose: false };
      }
      got.push({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, raw, payload: decoded.payload });
      let type = 'application/json';
      let body: string;
      if (/^\/flags\/?$/.test(url.pathname)) body = JSON.stringify({ flags: { [FLAG_KEY]: { variant_key: 'on', variant_value: true, experiment_id: null, is_experiment_active: false, is_qa_tester: false } } });
      else if (/^\/settings\/?$/.test(url.pathname)) body = JSON.stringify({ sdk_config: { config: { batch_flush_interval_ms: 200 } } });
      else if (decoded.verbose) body = '{"status":1,"error":null}';
      else {
        type = 'text/plain';
        body = '1';
      }
      res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    got,
    items: (re = /^\/(?:track|import|engage|groups)\/?$/) => got.filter((g) => re.test(g.path)).flatMap((g) => (Array.isArray(g.payload) ? g.payload : [g.payload]) as Json[]),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Everything the upstream received, raw and decoded, as one string to search for leaks. */
function haystack(up: Upstream): string {
  return up.got.map((g) => [g.method, g.path, g.query.toString(), decodeURIComponent(g.query.toString()), JSON.stringify(g.headers), g.raw.toString('latin1'),
    (() => { try { return zlib.gunzipSync(g.raw).toString('utf8'); } catch { return ''; } })(), JSON.stringify(g.payload)].join('\n')).join('\n');
}

interface Stack {
  upstream: Upstream;
  proxy: RunningProxy;
  close(): Promise<void>;
}

async function startMixpanelStack(): Promise<Stack> {
  const upstream = await startMixpanelUpstream();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phi-proxy-mixpanel-'));
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, `vault:\n  path: vault.jsonl\nformat: mixpanel\nupstream: ${upstream.url}\n`);
  const proxy = await startProxy({ configFile, overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' } });
  return {
    upstream, proxy,
    close: async () => {
      await proxy.close();
      await upstream.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function cb<T = unknown>(run: (done: (err: T) => void) => void): Promise<T> {
  return new Promise((resolve) => run(resolve));
}

// ---------------------------------------------------------------------------------------------

describe('mixpanel (node library) through phi-proxy', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startMixpanelStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('scrubs GET tracks, form batches, profile and group updates and /import, and the SDK sees success', async () => {
    const host = stack.proxy.url.replace(/^http:\/\//, '');
    const mp = Mixpanel.init(TOKEN, { host, protocol: 'http', keepAlive: false, geolocate: true, key: 'apikey0123456789' });
    const verboseMp = Mixpanel.init(TOKEN, { host, protocol: 'http', keepAlive: false, verbose: true });
    const props = { distinct_id: 'patient-123', email: EMAIL, ip: CLIENT_IP, $current_url: PHI_URL, note: NOTE, plan: 'pro', appointment_type: 'follow-up', slot_count: 3 };

    const errors = [
      await cb((done) => mp.track('Appointment Booked', { ...props, $insert_id: 'ins-track-1' }, done)),
      await cb((done) => verboseMp.track('Verbose Event', { ...props, $insert_id: 'ins-verbose-1' }, done)),
      await cb((done) => mp.people.set('patient-123', { $email: EMAIL, $name: 'Jane Doe', $phone: PHONE, plan: 'pro' }, done)),
      await cb((done) => mp.groups.set('company', 'acme', { $name: 'Acme', plan: 'pro' }, done)),
      await cb((done) => mp.track_batch([1, 2, 3].map((n) => ({ event: 'Batch Event', properties: { ...props, n, time: 1795336751, $insert_id: `ins-batch-${n}` } })), done)),
      await cb((done) => mp.import('Imported Visit', 1795336751, { ...props, $insert_id: 'ins-import-1' }, done)),
    ];
    expect(errors.map((e) => (Array.isArray(e) && e.length === 0 ? undefined : e ?? undefined))).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);

    const { upstream } = stack;
    expect(upstream.got.map((g) => `${g.method} ${g.path}`).sort()).toEqual(['GET /engage', 'GET /groups', 'GET /import', 'GET /track', 'GET /track', 'POST /track'].sort());
    // ip=1 (geolocate) never reaches Mixpanel; api_key does
    for (const g of upstream.got) expect(g.query.get('ip')).toBe('0');
    expect(upstream.got.find((g) => g.path === '/import')!.query.get('api_key')).toBe('apikey0123456789');
    expect(upstream.got.find((g) => g.method === 'POST')!.headers['content-type']).toBe('application/x-www-form-urlencoded');

    expect(leaksIn(haystack(upstream), PLANTED)).toEqual([]);

    const events = upstream.items(/^\/(?:track|import)$/);
    expect(events.map((e) => e.properties.$insert_id).sort()).toEqual(['ins-batch-1', 'ins-batch-2', 'ins-batch-3', 'ins-import-1', 'ins-track-1', 'ins-verbose-1']);
    const surrogate = events[0]!.properties.distinct_id as string;
    expect(surrogate).not.toBe('patient-123');
    for (const e of events) {
      expect(e.properties).toMatchObject({ distinct_id: surrogate, token: TOKEN, plan: 'pro', appointment_type: 'follow-up', slot_count: 3, email: '[EMAIL]', $current_url: 'https://portal.example.org/patients/:id/chart' });
      expect(e.properties).not.toHaveProperty('ip');
    }
    for (const e of events.filter((x) => x.event !== 'Batch Event')) expect(e.properties).toMatchObject({ mp_lib: 'node', $lib_version: '0.24.0' });
    const engage = upstream.items(/^\/engage$/)[0]!;
    expect(engage).toMatchObject({ $token: TOKEN, $distinct_id: surrogate, $set: { $email: '[EMAIL]', $name: '[NAME]', $phone: '[PHONE]', plan: 'pro' } });
    expect(upstream.items(/^\/groups$/)[0]).toMatchObject({ $token: TOKEN, $group_key: 'company', $group_id: 'acme', $set: { plan: 'pro' } });
  });

  it('answers session replay locally and never forwards it', async () => {
    const before = stack.upstream.got.length;
    const res = await fetch(`${stack.proxy.url}/record/?format=gzip&distinct_id=patient-123&%24current_url=${encodeURIComponent(PHI_URL)}`, {
      method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: zlib.gzipSync(JSON.stringify([{ type: 2, data: { text: 'Jane Doe' } }])),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ code: 200, status: 'OK' });
    expect(stack.upstream.got.length).toBe(before);
  });

  it('refuses what it cannot decode, and unknown paths, without forwarding', async () => {
    const before = stack.upstream.got.length;
    const bad = await fetch(`${stack.proxy.url}/track/`, { method: 'POST', body: `data=${encodeURIComponent('not base64 %%% jane.doe@example.com')}` });
    expect(bad.status).toBe(400);
    const unknown = await fetch(`${stack.proxy.url}/api/2.0/engage?distinct_id=patient-123`);
    expect(unknown.status).toBe(404);
    expect(stack.upstream.got.length).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------
// mixpanel-browser in Chromium

const PAGE_HOST = 'clinic.test';
const PAGE_PATH = '/pages/mixpanel.html';
const PAGE_QUERY = `?patient=123&email=${encodeURIComponent(EMAIL)}`;
const TITLE = 'Patient 123 - Jane Doe';
const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Safari/537.36';

function pageHtml(): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${TITLE}</title>
<script src="/vendor/mixpanel.umd.js"></script>
<script>
  window.__sent = [];
  mixpanel.init(${JSON.stringify(TOKEN)}, Object.assign({
    track_pageview: true,
    batch_flush_interval_ms: 200,
    flags: true,
    remote_settings_mode: 'fallback',
    hooks: {
      before_send_events: function (e) { window.__sent.push(JSON.parse(JSON.stringify(e))); return e; },
      before_send_people: function (e) { window.__sent.push(JSON.parse(JSON.stringify(e))); return e; },
    },
    loaded: function () { window.__mpLoaded = true; },
  }, window.__MP_CONFIG));
</script>
</head><body><h1>Jane Doe</h1></body></html>`;
}

async function startSite(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://site');
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(body);
    };
    if (url.pathname === PAGE_PATH) return send(200, 'text/html; charset=utf-8', pageHtml());
    if (url.pathname === '/vendor/mixpanel.umd.js') return send(200, 'application/javascript', fs.readFileSync(BROWSER_BUNDLE));
    send(404, 'text/plain', 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

describe('mixpanel-browser in Chromium through phi-proxy', () => {
  let browser: Browser;
  let stack: Stack;
  let site: Awaited<ReturnType<typeof startSite>>;
  beforeAll(async () => {
    [stack, site] = await Promise.all([startMixpanelStack(), startSite()]);
    browser = await launchChromium(PAGE_HOST);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await site?.close();
  });

  it('scrubs XHR batches, beacons, profile updates and flags calls; the SDK sees success and reads its flag', async () => {
    const page = await browser.newPage();
    const proxyResponses: string[] = [];
    const failed: string[] = [];
    const consoleLines: string[] = [];
    page.on('response', (r) => { if (r.url().startsWith(stack.proxy.url)) proxyResponses.push(`${r.status()} ${r.request().method()} ${r.url().split('?')[0]}`); });
    page.on('requestfailed', (r) => failed.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText ?? '?'}`));
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    await page.setUserAgent(USER_AGENT);
    await page.evaluateOnNewDocument((cfg: Json) => { window.__MP_CONFIG = cfg; }, { api_host: stack.proxy.url });
    const pageUrl = `http://${PAGE_HOST}:${new URL(site.url).port}${PAGE_PATH}${PAGE_QUERY}#dob=1985-03-14`;
    await page.goto(pageUrl, { waitUntil: 'load' });
    await page.waitForFunction(() => window.__mpLoaded === true, { timeout: 15_000 });

    const result = await page.evaluate(async (email: string, phone: string, note: string, flag: string) => {
      const mp = window.mixpanel;
      const deviceId = mp.get_property('$device_id');
      const callbacks: unknown[] = (window.__callbacks = []);
      mp.track('Appointment Booked', { email, phone, note, plan: 'pro', appointment_type: 'follow-up', slot_count: 3 }, (r: unknown) => callbacks.push(r));
      mp.identify('patient-123');
      mp.people.set({ $email: email, $name: 'Jane Doe', $phone: phone, plan: 'pro' }, (r: unknown) => callbacks.push(r));
      mp.track('Left Page', { duration_seconds: 35, email }, { transport: 'sendBeacon', send_immediately: true }, (r: unknown) => callbacks.push(r));
      const flagValue = await Promise.race([mp.flags.get_variant_value(flag, 'fallback'), new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
      return { deviceId, flagValue };
    }, EMAIL, PHONE, NOTE, FLAG_KEY);

    const { upstream } = stack;
    const diag = async () => JSON.stringify({ sent: await page.evaluate(() => window.__sent), items: upstream.items(), callbacks: await page.evaluate(() => window.__callbacks), got: upstream.got.map((g) => `${g.method} ${g.path}`), proxyResponses, failed, console: consoleLines.slice(0, 20) }, null, 1);
    try {
      await waitFor('every event and profile update at the upstream', async () => {
        const sent = (await page.evaluate(() => window.__sent as Json[])).filter((e) => e.event);
        const received = new Set(upstream.items(/^\/track\/?$/).map((e) => e.properties.$insert_id));
        const names = upstream.items(/^\/track\/?$/).map((e) => e.event);
        return sent.length > 0 && sent.every((e) => received.has(e.properties.$insert_id)) && ['$mp_web_page_view', 'Appointment Booked', '$identify', 'Left Page', '$experiment_started'].every((n) => names.includes(n))
          && upstream.items(/^\/engage\/?$/).some((u) => u.$set?.$email !== undefined) && (await page.evaluate(() => window.__callbacks.length as number)) === 3;
      }, 20_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${await diag()}`);
    }
    const sent = await page.evaluate(() => window.__sent as Json[]);
    const callbacks = await page.evaluate(() => window.__callbacks as unknown[]);
    await page.close();

    // success as the SDK sees it: flags read, callbacks report success, nothing failed or retried
    expect(result.flagValue).toBe(true);
    expect(callbacks).toHaveLength(3);
    for (const r of callbacks) expect(r === 1 || (r as Json)?.status === 1).toBe(true);
    expect(failed).toEqual([]);
    expect(proxyResponses.filter((r) => !r.startsWith('200 ') && !r.startsWith('204 '))).toEqual([]);
    const received = upstream.items(/^\/track\/?$/);
    const sentEvents = sent.filter((e) => e.event);
    // no retries: every $insert_id once (the hooks see batched events at flush time, so compare that way)
    expect(new Set(received.map((r) => r.properties.$insert_id)).size).toBe(received.length);
    expect(received.map((r) => r.event)).toEqual(expect.arrayContaining(['$mp_web_page_view', 'Appointment Booked', '$identify', 'Left Page', '$experiment_started']));
    for (const e of sentEvents) expect(received.filter((r) => r.properties.$insert_id === e.properties.$insert_id)).toHaveLength(1);

    // the wire: XHR form with credentials-capable CORS, the beacon as text/plain, flags and settings
    const paths = upstream.got.map((g) => `${g.method} ${g.path}`);
    expect(paths).toEqual(expect.arrayContaining(['POST /track/', 'POST /engage/', 'GET /flags/', 'GET /settings/']));
    expect(upstream.got.some((g) => g.path === '/track/' && String(g.headers['content-type']).startsWith('text/plain'))).toBe(true);
    for (const g of upstream.got.filter((x) => /^\/(track|engage)\/$/.test(x.path))) expect(g.query.get('ip')).toBe('0');

    // nothing planted arrives: page URL query and fragment, title, properties, profile, device id
    expect(leaksIn(haystack(upstream), [...PLANTED, result.deviceId as string])).toEqual([]);
    expect(JSON.stringify(upstream.got.map((g) => g.payload))).not.toMatch(/\b(?:Jane|Doe|Gonzalez)\b/);

    // benign properties arrive as the SDK set them; ids are surrogates with Mixpanel's own shapes
    for (const e of sentEvents) {
      const got = received.find((r) => r.properties.$insert_id === e.properties.$insert_id)!;
      expect(got.event).toBe(e.event);
      for (const key of ['$os', '$browser', '$browser_version', '$lib_version', 'mp_lib', 'token', 'time', '$screen_height', '$screen_width', 'current_domain', 'plan', 'appointment_type', 'slot_count', 'duration_seconds',
        'Experiment name', 'Variant name', 'Variant fetch start time', 'Variant fetch complete time', 'Variant fetch latency (ms)']) {
        expect(got.properties[key]).toEqual(e.properties[key]);
      }
      expect(got.properties.$lib_version).toBe(BROWSER_VERSION);
      expect(got.properties.$device_id).not.toBe(result.deviceId);
      if (String(e.properties.distinct_id).startsWith('$device:')) expect(got.properties.distinct_id).toBe(`$device:${got.properties.$device_id}`);
      if (got.properties.$current_url !== undefined) expect(got.properties.$current_url).toBe(`http://${PAGE_HOST}:${new URL(site.url).port}${PAGE_PATH}`);
      expect(got.properties).not.toHaveProperty('current_url_search');
    }
    const identified = received.find((r) => r.event === 'Appointment Booked')!;
    expect(identified.properties.email).toBe('[EMAIL]');
    const engage = upstream.items(/^\/engage\/?$/);
    const profile = engage.find((u) => u.$set?.$email !== undefined);
    expect(profile).toMatchObject({ $token: TOKEN, $distinct_id: received.find((r) => r.event === '$identify')!.properties.distinct_id, $set: { $email: '[EMAIL]', $name: '[NAME]', $phone: '[PHONE]', plan: 'pro' } });
    const flags = upstream.got.find((g) => g.path === '/flags/')!;
    expect(flags.query.get('token')).toBe(TOKEN);
    expect((flags.payload as Json).device_id).not.toBe(result.deviceId);
  });
});
