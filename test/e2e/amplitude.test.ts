/**
 * Amplitude's real SDKs through phi-proxy (`format: amplitude`) to a recording upstream that
 * decodes independently and answers as Amplitude does: @amplitude/analytics-node (`/2/httpapi`,
 * `/batch`, a 429 naming the surrogate user and device ids, which the SDK must still match to its
 * own events), a legacy amplitude-js `e=` form whose checksum must verify over the scrubbed `e`,
 * and @amplitude/analytics-browser's self-contained UMD bundle in headless Chromium on another
 * origin (JSON with a preflight, gzip with Content-Encoding, a text/plain beacon).
 *
 * The browser bundle is not installable from this registry (a missing dependency), so the test
 * takes it from `npm pack @amplitude/analytics-browser@2.48.1` into node_modules/.cache once.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
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
const amplitudeNode = require('@amplitude/analytics-node') as { createInstance(): any; Identify: new () => any };
const BROWSER_PACKAGE = '@amplitude/analytics-browser@2.48.1';
const BROWSER_CACHE = path.resolve(__dirname, '../../node_modules/.cache/phi-proxy-e2e/amplitude-analytics-browser-2.48.1');
const BROWSER_BUNDLE = path.join(BROWSER_CACHE, 'amplitude-min.umd.js');

const API_KEY = 'amp_api_key_0123456789';
const EMAIL = 'jane.doe@example.com';
const PHONE = '555-867-5309';
const NOTE = 'Patient Maria Gonzalez, SSN 123-45-6789, asked to reschedule';
const CLIENT_IP = '203.0.113.7';
const PHI_URL = `https://portal.example.org/patients/8812734/chart?patient=123&email=${encodeURIComponent(EMAIL)}`;
const PLANTED = [EMAIL, 'Jane Doe', PHONE, 'Maria Gonzalez', '123-45-6789', 'patient=123', 'patient-123', '8812734', CLIENT_IP, 'dob=1985', 'device-jane-1', 'AEBE52E7-03EE-455A-B3C4-E57283966239', 'Springfield'];

type Json = Record<string, any>;
declare const window: any;

/** @amplitude/analytics-browser's UMD bundle, from the npm tarball (cached under node_modules/.cache). */
function browserBundle(): string {
  if (!fs.existsSync(BROWSER_BUNDLE)) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'amp-pack-'));
    try {
      const tgz = execFileSync('npm', ['pack', BROWSER_PACKAGE, '--silent', '--pack-destination', tmp], { encoding: 'utf8', timeout: 60_000 }).trim().split('\n').pop()!;
      execFileSync('tar', ['xzf', path.join(tmp, tgz), '-C', tmp, 'package/lib/scripts/amplitude-min.umd.js'], { timeout: 30_000 });
      fs.mkdirSync(BROWSER_CACHE, { recursive: true });
      fs.copyFileSync(path.join(tmp, 'package/lib/scripts/amplitude-min.umd.js'), BROWSER_BUNDLE);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  return fs.readFileSync(BROWSER_BUNDLE, 'utf8');
}

// ---------------------------------------------------------------------------------------------
// Amplitude stand-in

interface Got {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  /** The upload as decoded here: V2 JSON, or the legacy form's fields with `e` parsed. */
  payload: Json | undefined;
}

interface Upstream {
  url: string;
  got: Got[];
  /** 'ok', or '429-quota': every user and device of the upload is over its daily quota. */
  mode: 'ok' | '429-quota';
  events(): Json[];
  close(): Promise<void>;
}

function decodeUpload(headers: http.IncomingHttpHeaders, raw: Buffer): Json {
  const text = (headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw).toString('utf8');
  if (text.trimStart().startsWith('{')) return JSON.parse(text) as Json;
  const form = Object.fromEntries(new URLSearchParams(text));
  return { ...form, e: JSON.parse(form.e ?? 'null'), e_text: form.e };
}

async function startAmplitudeUpstream(): Promise<Upstream> {
  const got: Got[] = [];
  const up: Upstream = {
    url: '', got, mode: 'ok',
    events: () => got.flatMap((g) => (g.payload?.events ?? g.payload?.e ?? []) as Json[]),
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://upstream');
      const raw = Buffer.concat(chunks);
      let payload: Json | undefined;
      try {
        payload = decodeUpload(req.headers, raw);
      } catch {
        payload = undefined;
      }
      got.push({ method: req.method ?? 'GET', path: url.pathname + url.search, headers: req.headers, raw, payload });
      const send = (status: number, type: string, body: string) => {
        res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
        res.end(body);
      };
      if (url.pathname === '/') return send(200, 'text/plain', 'success');
      const events = (payload?.events ?? []) as Json[];
      if (up.mode === '429-quota') {
        return send(429, 'application/json', JSON.stringify({
          code: 429, error: 'Too many requests for some devices and users', eps_threshold: 30,
          throttled_devices: {}, throttled_users: {}, throttled_events: [],
          exceeded_daily_quota_users: Object.fromEntries(events.map((e) => [e.user_id, 1_000_001])),
          exceeded_daily_quota_devices: Object.fromEntries(events.filter((e) => e.device_id).map((e) => [e.device_id, 1_000_001])),
        }));
      }
      send(200, 'application/json', JSON.stringify({ code: 200, events_ingested: events.length, payload_size_bytes: raw.length, server_upload_time: Date.now() }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  up.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  up.close = () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return up;
}

function haystack(up: Upstream): string {
  return up.got.map((g) => [g.method, g.path, decodeURIComponent(g.path), JSON.stringify(g.headers), g.raw.toString('latin1'),
    (() => { try { return zlib.gunzipSync(g.raw).toString('utf8'); } catch { return ''; } })(), JSON.stringify(g.payload)].join('\n')).join('\n');
}

interface Stack {
  upstream: Upstream;
  proxy: RunningProxy;
  close(): Promise<void>;
}

async function startAmplitudeStack(): Promise<Stack> {
  const upstream = await startAmplitudeUpstream();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phi-proxy-amplitude-'));
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, `vault:\n  path: vault.jsonl\nformat: amplitude\nupstream: ${upstream.url}\n`);
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

const BENIGN = { plan: 'pro', appointment_type: 'follow-up', slot_count: 3 };

// ---------------------------------------------------------------------------------------------

describe('@amplitude/analytics-node through phi-proxy', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startAmplitudeStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('scrubs /2/httpapi and /batch uploads; the SDK sees code 200 for every event', async () => {
    const results: Json[] = [];
    for (const serverPath of ['/2/httpapi', '/batch']) {
      const amp = amplitudeNode.createInstance();
      await amp.init(API_KEY, { serverUrl: `${stack.proxy.url}${serverPath}`, useBatch: serverPath === '/batch', flushQueueSize: 1, flushIntervalMillis: 50, logLevel: 0 }).promise;
      const options = {
        user_id: 'patient-123', device_id: 'device-jane-1', ip: CLIENT_IP, city: 'Springfield', location_lat: 39.78, location_lng: -89.65,
        idfa: 'AEBE52E7-03EE-455A-B3C4-E57283966239', session_id: 1795336768780, insert_id: `ins-${serverPath}`,
      };
      results.push(await amp.track('Appointment Booked', { email: EMAIL, phone: PHONE, note: NOTE, page: PHI_URL, ...BENIGN }, options).promise);
      const identify = new amplitudeNode.Identify().set('email', EMAIL).set('name', 'Jane Doe').set('plan', 'pro');
      results.push(await amp.identify(identify, { user_id: 'patient-123', device_id: 'device-jane-1', insert_id: `ins-id-${serverPath}` }).promise);
      await amp.flush().promise;
    }
    expect(results.map((r) => r.code)).toEqual([200, 200, 200, 200]);

    const { upstream } = stack;
    expect(upstream.got.map((g) => `${g.method} ${g.path}`)).toEqual(['POST /2/httpapi', 'POST /2/httpapi', 'POST /batch', 'POST /batch']);
    expect(leaksIn(haystack(upstream), PLANTED)).toEqual([]);
    for (const g of upstream.got) expect(g.payload).toMatchObject({ api_key: API_KEY });

    const events = upstream.events();
    expect(events.map((e) => e.insert_id).sort()).toEqual(['ins-/2/httpapi', 'ins-/batch', 'ins-id-/2/httpapi', 'ins-id-/batch']);
    const user = events[0]!.user_id as string;
    expect(user).not.toBe('patient-123');
    for (const e of events) {
      expect(e.user_id).toBe(user);
      expect(e.device_id).not.toBe('device-jane-1');
      expect(e.library).toMatch(/^amplitude-node-ts\//);
      for (const gone of ['ip', 'city', 'location_lat', 'location_lng', 'idfa']) expect(e).not.toHaveProperty(gone);
    }
    const tracked = events.filter((e) => e.event_type === 'Appointment Booked');
    for (const e of tracked) {
      expect(e.session_id).toBe(1795336768780);
      expect(e.event_properties).toMatchObject({ ...BENIGN, email: '[EMAIL]', phone: '[PHONE]', page: 'https://portal.example.org/patients/:id/chart' });
    }
    const identifies = events.filter((e) => e.event_type === '$identify');
    for (const e of identifies) expect(e.user_properties).toMatchObject({ $set: { email: '[EMAIL]', name: '[NAME]', plan: 'pro' } });
  });

  it('maps the surrogate ids of a 429 back, so the SDK drops exactly its own over-quota events at once', async () => {
    const before = stack.upstream.got.length;
    stack.upstream.mode = '429-quota';
    try {
      const amp = amplitudeNode.createInstance();
      await amp.init(API_KEY, { serverUrl: `${stack.proxy.url}/2/httpapi`, flushQueueSize: 1, flushIntervalMillis: 50, logLevel: 0 }).promise;
      const started = Date.now();
      const result = await amp.track('Over Quota', { ...BENIGN }, { user_id: 'patient-123', device_id: 'device-jane-1' }).promise;
      // matched on the SDK's own user_id: fulfilled with 429 immediately, not retried with backoff
      expect(result.code).toBe(429);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(stack.upstream.got.length - before).toBe(1);
      const sent = stack.upstream.got[before]!.payload!.events[0];
      expect(sent.user_id).not.toBe('patient-123');
    } finally {
      stack.upstream.mode = 'ok';
    }
  });

  it('forwards a legacy amplitude-js e= form with the checksum recomputed over the scrubbed e', async () => {
    const e = JSON.stringify([{ device_id: 'device-jane-1', user_id: 'patient-123', timestamp: 1795336768793, event_id: 1, session_id: 1795336768780, event_type: 'Appointment Booked',
      event_properties: { email: EMAIL, ...BENIGN }, api_properties: { tracking_options: { city: false } }, library: { name: 'amplitude-js', version: '8.21.10' }, sequence_number: 4, uuid: 'u-1' }]);
    const uploadTime = '1795336768800';
    const body = new URLSearchParams({ client: API_KEY, e, v: '2', upload_time: uploadTime, checksum: createHash('md5').update(`2${API_KEY}${e}${uploadTime}`).digest('hex') });
    const res = await fetch(`${stack.proxy.url}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' }, body: body.toString() });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('success');
    const got = stack.upstream.got[stack.upstream.got.length - 1]!;
    expect(got.path).toBe('/');
    const form = got.payload!;
    expect(form.checksum).toBe(createHash('md5').update(`2${API_KEY}${form.e_text}${uploadTime}`).digest('hex'));
    expect(form.e[0]).toMatchObject({ session_id: 1795336768780, sequence_number: 4, uuid: 'u-1', api_properties: { tracking_options: { city: false } }, event_properties: { email: '[EMAIL]', ...BENIGN } });
    expect(leaksIn(haystack(stack.upstream), PLANTED)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// @amplitude/analytics-browser in Chromium

const PAGE_HOST = 'clinic.test';
const PAGE_PATH = '/pages/amplitude.html';
const PAGE_QUERY = `?patient=123&email=${encodeURIComponent(EMAIL)}`;
const TITLE = 'Patient 123 - Jane Doe';
const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Safari/537.36';

async function startSite(bundle: string): Promise<{ url: string; close(): Promise<void> }> {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${TITLE}</title>
<script src="/vendor/amplitude-min.umd.js"></script></head><body><h1>Jane Doe</h1></body></html>`;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://site');
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(body);
    };
    if (url.pathname === PAGE_PATH) return send(200, 'text/html; charset=utf-8', html);
    if (url.pathname === '/vendor/amplitude-min.umd.js') return send(200, 'application/javascript', bundle);
    send(404, 'text/plain', 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

describe('@amplitude/analytics-browser in Chromium through phi-proxy', () => {
  let browser: Browser;
  let stack: Stack;
  let site: Awaited<ReturnType<typeof startSite>>;
  beforeAll(async () => {
    const bundle = browserBundle();
    [stack, site] = await Promise.all([startAmplitudeStack(), startSite(bundle)]);
    browser = await launchChromium(PAGE_HOST);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await site?.close();
  });

  it('scrubs JSON, gzip and beacon uploads; every track resolves with code 200', async () => {
    const page = await browser.newPage();
    const proxyResponses: string[] = [];
    const failed: string[] = [];
    page.on('response', (r) => { if (r.url().startsWith(stack.proxy.url)) proxyResponses.push(`${r.status()} ${r.request().method()} ${r.url()}`); });
    page.on('requestfailed', (r) => failed.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText ?? '?'}`));
    await page.setUserAgent(USER_AGENT);
    await page.goto(`http://${PAGE_HOST}:${new URL(site.url).port}${PAGE_PATH}${PAGE_QUERY}#dob=1985-03-14`, { waitUntil: 'load' });

    const result = await page.evaluate(async (proxy: string, key: string, email: string, phone: string, note: string) => {
      const amp = window.amplitude;
      await amp.init(key, 'patient-123', {
        serverUrl: `${proxy}/2/httpapi`, fetchRemoteConfig: false, flushIntervalMillis: 100, flushQueueSize: 1, enableRequestBodyCompression: true, logLevel: 0,
        autocapture: { pageViews: true, attribution: true, sessions: false, formInteractions: false, fileDownloads: false, elementInteractions: false },
      }).promise;
      const deviceId = amp.getDeviceId();
      const codes: number[] = [];
      codes.push((await amp.track('Appointment Booked', { email, phone, note, plan: 'pro', appointment_type: 'follow-up', slot_count: 3 }).promise).code);
      codes.push((await amp.identify(new amp.Identify().set('email', email).set('name', 'Jane Doe').set('plan', 'pro')).promise).code);
      // ≥ 2 KiB: gzipped with Content-Encoding (enableRequestBodyCompression)
      codes.push((await amp.track('Large Upload', { details: 'benign-'.repeat(400), plan: 'pro', email }).promise).code);
      amp.setTransport('beacon');
      codes.push((await amp.track('Left Page', { duration_seconds: 35, email }).promise).code);
      return { deviceId, codes };
    }, stack.proxy.url, API_KEY, EMAIL, PHONE, NOTE);

    const { upstream } = stack;
    await waitFor('the beacon at the upstream', () => upstream.events().some((e) => e.event_type === 'Left Page'), 10_000);
    await page.close();

    expect(result.codes).toEqual([200, 200, 200, 200]);
    expect(failed).toEqual([]);
    expect(proxyResponses.filter((r) => !r.startsWith('200 ') && !r.startsWith('204 '))).toEqual([]);

    // the three shapes arrived: JSON, gzip by Content-Encoding, text/plain beacon
    expect(upstream.got.some((g) => g.headers['content-encoding'] === 'gzip')).toBe(true);
    expect(upstream.got.some((g) => String(g.headers['content-type']).startsWith('text/plain'))).toBe(true);
    expect(upstream.got.some((g) => String(g.headers['content-type']).startsWith('application/json') && g.headers['content-encoding'] === undefined)).toBe(true);

    const events = upstream.events();
    const types = events.map((e) => e.event_type);
    expect(types).toEqual(expect.arrayContaining(['[Amplitude] Page Viewed', 'Appointment Booked', '$identify', 'Large Upload', 'Left Page']));
    expect(new Set(events.map((e) => e.insert_id)).size).toBe(events.length);

    expect(leaksIn(haystack(upstream), [...PLANTED, result.deviceId as string])).toEqual([]);
    expect(JSON.stringify(events)).not.toMatch(/\b(?:Jane|Doe|Gonzalez)\b/);

    const pageUrl = `http://${PAGE_HOST}:${new URL(site.url).port}${PAGE_PATH}`;
    for (const e of events) {
      expect(e.user_id).not.toBe('patient-123');
      expect(e.device_id).not.toBe(result.deviceId);
      expect(e).not.toHaveProperty('ip');
      expect(typeof e.session_id).toBe('number');
      expect(e).toMatchObject({ platform: 'Web', language: expect.any(String), library: 'amplitude-ts/2.48.1', user_agent: USER_AGENT });
      const location = e.event_properties?.['[Amplitude] Page Location'];
      if (location !== undefined) expect(location).toBe(pageUrl);
    }
    expect(new Set(events.map((e) => e.user_id)).size).toBe(1);
    expect(events.find((e) => e.event_type === 'Appointment Booked')!.event_properties).toMatchObject({ email: '[EMAIL]', phone: '[PHONE]', plan: 'pro', appointment_type: 'follow-up', slot_count: 3 });
    expect(events.find((e) => e.event_type === 'Large Upload')!.event_properties.details).toBe('benign-'.repeat(400));
    expect(events.find((e) => e.event_type === '$identify' && e.user_properties?.$set?.email !== undefined)?.user_properties).toMatchObject({ $set: { email: '[EMAIL]', name: '[NAME]', plan: 'pro' } });
  });
});
