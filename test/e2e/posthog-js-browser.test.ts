/**
 * posthog-js in real headless Chromium, pointed at phi-proxy (api_host) on another origin, with
 * PHI in the page URL (query and fragment), the title and the captured properties. The recording
 * upstream must get every event, scrubbed, with the SDK's own benign properties unchanged.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { FLAG_KEY } from './recording-upstream';
import { clientHeadersSeen, foreignHostHeaders, haystackOf, leaksIn, requestsTo, startStack, waitFor, type Stack, launchChromium } from './helpers';

jest.setTimeout(60_000);

const DIST = path.resolve(__dirname, '../../node_modules/posthog-js/dist');
const VERSION = (JSON.parse(fs.readFileSync(path.join(DIST, '..', 'package.json'), 'utf8')) as { version: string }).version;
const TOKEN = 'phc_testtoken';
/** The page's own host name, mapped to 127.0.0.1 inside Chromium: a realistic origin, not an IP. */
const PAGE_HOST = 'clinic.test';
const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Safari/537.36';
const EMAIL = 'jane.doe@example.com';
const PAGE_PATH = '/pages/clinic.html';
const PAGE_QUERY = `?patient=123&email=${encodeURIComponent(EMAIL)}`;
const PAGE_FRAGMENT = '#dob=1985-03-14';
const TITLE = 'Patient 123 - Jane Doe';

const PLANTED = [EMAIL, 'Jane Doe', '1985-03-14', 'dob=1985', 'patient=123', 'patient-123', '555-867-5309', 'Maria Gonzalez', '123-45-6789'];

type Json = Record<string, any>;
/** Only referenced inside functions that puppeteer runs in the page (tsconfig has no DOM lib). */
declare const window: any;
declare const document: any;

// ---------------------------------------------------------------------------------------------
// The site: a static server for the page and posthog-js bundles, and, when asked, PostHog's assets
// host (remote config with session replay on, and the real lazy-loaded scripts).

interface Site {
  url: string;
  requests: { method: string; path: string; host: string | undefined }[];
  close(): Promise<void>;
}

function pageHtml(bundle: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${TITLE}</title>
<script src="/vendor/${bundle}"></script>
<script>
  window.__sent = [];
  window.__errors = [];
  var cfg = window.__PH_CONFIG;
  posthog.init(${JSON.stringify(TOKEN)}, Object.assign({
    person_profiles: 'always',
    autocapture: false,
    request_batching: false,
    capture_pageleave: false,
    before_send: function (event) { window.__sent.push(JSON.parse(JSON.stringify(event))); return event; },
    loaded: function () { window.__phLoaded = true; },
  }, cfg));
</script>
</head><body><h1>Jane Doe</h1><p>Appointment on 1985-03-14</p><button id="book">Book</button></body></html>`;
}

async function startSite(opts: { bundle: string; replayConfig?: boolean }): Promise<Site> {
  const requests: Site['requests'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://site');
    requests.push({ method: req.method ?? 'GET', path: url.pathname, host: req.headers.host });
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(body);
    };
    if (url.pathname === PAGE_PATH) return send(200, 'text/html; charset=utf-8', pageHtml(opts.bundle));
    const vendor = /^\/vendor\/([a-z.-]+\.js)$/.exec(url.pathname);
    if (vendor) return send(200, 'application/javascript', fs.readFileSync(path.join(DIST, vendor[1]!)));
    // As PostHog's assets host (assets_upstream): lazy scripts and remote config with replay on.
    const lazy = /^\/static\/(?:[0-9.]+\/)?([a-z.-]+\.js)$/.exec(url.pathname);
    if (lazy && fs.existsSync(path.join(DIST, lazy[1]!))) return send(200, 'application/javascript', fs.readFileSync(path.join(DIST, lazy[1]!)));
    const config = /^\/array\/([^/]+)\/config(\.js)?$/.exec(url.pathname);
    if (config && opts.replayConfig) {
      const remote = JSON.stringify({
        token: config[1], supportedCompression: ['gzip', 'gzip-js'], hasFeatureFlags: true, autocapture_opt_out: true,
        sessionRecording: { endpoint: '/s/', consoleLogRecordingEnabled: false, recorderVersion: 'v2', sampleRate: null, minimumDurationMilliseconds: null },
      });
      return config[2]
        ? send(200, 'application/javascript', `(window._POSTHOG_REMOTE_CONFIG=window._POSTHOG_REMOTE_CONFIG||{})[${JSON.stringify(config[1])}]={config:${remote},siteApps:[]};`)
        : send(200, 'application/json', remote);
    }
    if (url.pathname === '/favicon.ico') return send(204, 'image/x-icon', '');
    send(404, 'text/plain', 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

// ---------------------------------------------------------------------------------------------

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium(PAGE_HOST);
});
afterAll(async () => {
  await browser?.close();
});

interface Run {
  stack: Stack;
  site: Site;
  page: Page;
  pageUrl: string;
  console: string[];
  failed: string[];
  /** Every response the page got from the proxy: status and URL. */
  proxyResponses: { status: number; url: string }[];
  flagEnabled: unknown;
  /** The events as posthog-js sent them (before_send), by uuid. */
  sent: Json[];
  close(): Promise<void>;
}

/** Loads the page, sends a $pageview (automatic), a PHI capture and an identify, reads a flag. */
async function runPage(opts: { bundle: string; phConfig?: Json; replayConfig?: boolean; expectEvents: string[] }): Promise<Run> {
  const site = await startSite({ bundle: opts.bundle, replayConfig: opts.replayConfig });
  const sitePort = new URL(site.url).port;
  const stack = await startStack(opts.replayConfig ? `assets_upstream: ${site.url}\n` : '');
  // a fresh context per run: posthog-js keeps the identified person in a cookie for the host
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  const run: Run = {
    stack, site, page, pageUrl: `http://${PAGE_HOST}:${sitePort}${PAGE_PATH}${PAGE_QUERY}${PAGE_FRAGMENT}`, console: [], failed: [], proxyResponses: [], flagEnabled: undefined, sent: [],
    close: async () => {
      await context.close().catch(() => undefined);
      await stack.close();
      await site.close();
    },
  };
  try {
    await page.setUserAgent(USER_AGENT);
    page.on('console', (m) => run.console.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => run.console.push(`pageerror: ${String(e)}`));
    page.on('response', (r) => {
      if (r.url().startsWith(stack.proxy.url)) run.proxyResponses.push({ status: r.status(), url: r.url() });
    });
    page.on('requestfailed', (r) => run.failed.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText ?? '?'}`));
    await page.evaluateOnNewDocument((cfg: Json) => {
      window.__PH_CONFIG = cfg;
    }, { api_host: stack.proxy.url, disable_session_recording: !opts.replayConfig, ...opts.phConfig });
    await page.goto(run.pageUrl, { waitUntil: 'load' });
    await page.waitForFunction(() => window.__phLoaded === true, { timeout: 15_000 });
    run.flagEnabled = await page.evaluate(async (email: string, flag: string, replay: boolean) => {
      const ph = window.posthog;
      if (replay) {
        // the recording upstream's /flags answer does not mention replay: start it explicitly
        ph.startSessionRecording(true);
        document.body.insertAdjacentHTML('beforeend', '<p id="dyn">Jane Doe, 1985-03-14</p>');
      }
      ph.capture('appointment_booked', {
        email,
        phone: '555-867-5309',
        note: 'Patient Maria Gonzalez, SSN 123-45-6789, asked to reschedule',
        plan: 'pro',
        appointment_type: 'follow-up',
        slot_count: 3,
      });
      ph.identify('patient-123', { email, name: 'Jane Doe', plan: 'pro' });
      return await new Promise((resolve) => {
        const done = () => resolve(ph.isFeatureEnabled(flag));
        ph.onFeatureFlags(() => { if (ph.isFeatureEnabled(flag) !== undefined) done(); });
        setTimeout(() => resolve(ph.isFeatureEnabled(flag)), 10_000);
      });
    }, EMAIL, FLAG_KEY, !!opts.replayConfig);
    await waitFor(`events ${opts.expectEvents.join(', ')} at the upstream`, () => {
      const names = stack.upstream.events().map((e) => e.event);
      return opts.expectEvents.every((n) => names.includes(n));
    }, 20_000);
    await settle(run);
  } catch (err) {
    const message = `${(err as Error).message}\n${diagnose(run)}`;
    await run.close();
    throw new Error(message);
  }
  return run;
}

/**
 * Waits until every event posthog-js has sent (before_send) is at the upstream and no new one has
 * appeared for a moment; then `run.sent` is the SDK's complete view.
 */
async function settle(run: Run): Promise<void> {
  let last = -1;
  let stableSince = Date.now();
  await waitFor('the upstream to hold every event posthog-js sent', async () => {
    // $snapshot events go to /s/, which the proxy answers itself
    run.sent = (await run.page.evaluate(() => window.__sent as Json[])).filter((e) => e.event !== '$snapshot');
    if (run.sent.length !== last) {
      last = run.sent.length;
      stableSince = Date.now();
    }
    const received = new Set(run.stack.upstream.events().map((e) => e.uuid));
    return run.sent.every((e) => received.has(e.uuid)) && Date.now() - stableSince > 300;
  }, 15_000);
}

/** What happened on the wire, for failure messages. */
function diagnose(run: Run): string {
  return JSON.stringify({
    upstream: run.stack.upstream.requests.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.query)} ${r.headers['content-type'] ?? ''}`),
    upstreamEvents: run.stack.upstream.events().map((e) => e.event),
    proxyResponses: run.proxyResponses.map((r) => `${r.status} ${r.url}`),
    failed: run.failed,
    console: run.console.slice(0, 30),
    site: run.site.requests.map((r) => `${r.method} ${r.path}`),
  }, null, 1);
}

const URL_PROPS = ['$current_url', '$session_entry_url', '$initial_current_url', '$referrer', '$initial_referrer', '$session_entry_referrer'];

/** The assertions shared by every page run. */
function expectScrubbedDelivery(run: Run, expectedContentType: RegExp): void {
  const { stack } = run;
  const received = stack.upstream.events() as Json[];
  const origin = `http://${PAGE_HOST}:${new URL(run.site.url).port}`;

  // every event the SDK sent arrived once, uuid unchanged
  const sentUuids = run.sent.map((e) => e.uuid as string).filter(Boolean);
  expect(sentUuids.length).toBe(run.sent.length);
  const receivedUuids = received.map((e) => e.uuid);
  for (const uuid of sentUuids) expect(receivedUuids.filter((u) => u === uuid)).toHaveLength(1);
  expect(received.length).toBe(sentUuids.length);

  // nothing planted arrives, in any form (also the page URL's query and fragment, the title)
  expect(leaksIn(haystackOf(stack.upstream), PLANTED)).toEqual([]);
  const decoded = JSON.stringify(stack.upstream.requests.map((r) => r.json));
  expect(decoded).not.toMatch(/\b(?:Jane|Doe|Gonzalez)\b/);

  // benign properties arrive exactly as posthog-js set them
  for (const sent of run.sent) {
    const got = received.find((e) => e.uuid === sent.uuid)!;
    expect(got.event).toBe(sent.event);
    for (const key of ['$browser', '$os', '$lib', '$lib_version', '$screen_height', '$screen_width', '$browser_version', '$device_type', '$raw_user_agent', 'token']) {
      expect(got.properties?.[key]).toEqual(sent.properties[key]);
    }
    expect(got.properties?.$browser).toBe('Chrome');
    expect(got.properties?.$os).toBe('Windows');
    expect(got.properties?.$lib).toBe('web');
    expect(got.properties?.$lib_version).toBe(VERSION);
    // URLs: scheme + host + path only
    for (const key of URL_PROPS) {
      const value = got.properties?.[key] ?? got.$set_once?.[key] ?? got.properties?.$set_once?.[key];
      if (typeof value === 'string' && value !== '$direct') expect(value).toBe(`${origin}${PAGE_PATH}`);
    }
    expect(got.properties?.$current_url).toBe(`${origin}${PAGE_PATH}`);
    expect(got.properties?.$pathname).toBe(PAGE_PATH);
  }
  const booked = received.find((e) => e.event === 'appointment_booked')!;
  expect(booked.properties).toMatchObject({ plan: 'pro', appointment_type: 'follow-up', slot_count: 3 });
  const pageview = received.find((e) => e.event === '$pageview')!;
  expect(String(pageview.properties.title)).not.toContain('Jane');

  const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  // one surrogate for the person, everywhere; the anonymous id's surrogate links the merge
  const identify = received.find((e) => e.event === '$identify')!;
  const personToken = identify.properties.distinct_id as string;
  const anonToken = pageview.properties.distinct_id as string;
  expect(personToken).toMatch(/^tok_/);
  // posthog-js mints its anonymous id as a UUIDv7: the surrogate is a UUIDv7 too (PostHog relies
  // on the shape), with the same creation time and new random bits, never the SDK's own id.
  expect(anonToken).toMatch(UUID_V7);
  const sentAnonIds = new Set(run.sent.map((e) => e.properties?.distinct_id).filter((id) => typeof id === 'string' && UUID_V7.test(id)));
  expect(sentAnonIds.size).toBeGreaterThan(0);
  expect(sentAnonIds.has(anonToken)).toBe(false);
  expect(stack.upstream.everything()).not.toContain([...sentAnonIds][0]);
  expect(anonToken).not.toBe(personToken);
  expect(identify.properties.$anon_distinct_id).toBe(anonToken);
  expect(identify.properties.$user_id).toBe(personToken);
  expect(booked.properties.distinct_id).toBe(anonToken); // captured before identify
  for (const e of received) expect([anonToken, personToken]).toContain(e.properties.distinct_id);
  expect(identify.$set?.plan ?? identify.properties.$set?.plan).toBe('pro');
  const flagBodies = requestsTo(stack.upstream, /^\/flags\/?$/).map((r) => r.json as Json);
  expect(flagBodies.length).toBeGreaterThan(0);
  expect(flagBodies.map((b) => b.distinct_id)).toContain(personToken);
  for (const b of flagBodies) expect(String(b.distinct_id)).toMatch(/^(?:tok_[A-Za-z0-9_-]{20}|[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$/);

  // transport: the expected content type, consistent lengths, no client headers, upstream's Host
  for (const r of requestsTo(stack.upstream, /^\/(?:e|i\/v0\/e)\/?$/)) {
    expect(String(r.headers['content-type'])).toMatch(expectedContentType);
    if (r.method === 'POST') expect(Number(r.headers['content-length'])).toBe(r.raw.length);
  }
  expect(clientHeadersSeen(stack.upstream)).toEqual([]);
  expect(foreignHostHeaders(stack.upstream)).toEqual([]);

  // CORS worked: no console complaints, no failed requests to the proxy
  expect(run.console.filter((m) => /cors|access-control|blocked/i.test(m))).toEqual([]);
  expect(run.failed.filter((f) => f.includes(stack.proxy.url))).toEqual([]);
  // and the remote config script came through the proxy
  expect(stack.upstream.requests.some((r) => r.path === `/array/${TOKEN}/config.js`) || run.site.requests.some((r) => r.path === `/array/${TOKEN}/config.js`)).toBe(true);
}

describe('posthog-js (array.full.js) in Chromium through phi-proxy', () => {
  let run: Run;
  beforeAll(async () => {
    run = await runPage({ bundle: 'array.full.js', expectEvents: ['$pageview', 'appointment_booked', '$identify'] });
  });
  afterAll(async () => {
    await run?.close();
  });

  it('reads the feature flag through the proxy', () => {
    expect(run.flagEnabled).toBe(true);
  });
  it('delivers every event, scrubbed, with benign properties unchanged (gzip text/plain, no preflight)', () => {
    expectScrubbedDelivery(run, /^text\/plain/);
    for (const r of requestsTo(run.stack.upstream, /^\/(?:e|i\/v0\/e|flags)\/?$/)) expect(r.raw[0]).toBe(0x1f);
  });
  it('no session recording request was made or forwarded', () => {
    expect(requestsTo(run.stack.upstream, /^\/s\/?$/)).toEqual([]);
  });
});

describe('posthog-js with disable_compression (plain JSON, CORS preflight)', () => {
  let run: Run;
  beforeAll(async () => {
    run = await runPage({ bundle: 'array.full.js', phConfig: { disable_compression: true }, expectEvents: ['$pageview', 'appointment_booked', '$identify'] });
  });
  afterAll(async () => {
    await run?.close();
  });

  it('reads the feature flag through the proxy', () => {
    expect(run.flagEnabled).toBe(true);
  });
  it('delivers every event, scrubbed, as plain JSON', () => {
    expectScrubbedDelivery(run, /^application\/json/);
    for (const r of requestsTo(run.stack.upstream, /^\/(?:e|i\/v0\/e)\/?$/)) expect(r.raw[0]).toBe('{'.charCodeAt(0));
  });
});

describe('posthog-js lazy bundle (array.js): lazy scripts via /static/ and session replay to /s/', () => {
  let run: Run;
  beforeAll(async () => {
    run = await runPage({ bundle: 'array.js', replayConfig: true, expectEvents: ['$pageview', 'appointment_booked', '$identify'] });
    // replay flushes on its own schedule; wait for its first /s/ at the proxy's local answer
    try {
      await waitFor('a session recording request from the page', () => sResponses().length > 0, 20_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${diagnose(run)}`);
    }
    await settle(run);
  });
  afterAll(async () => {
    await run?.close();
  });
  const sResponses = () => run.proxyResponses.filter((r) => new URL(r.url).pathname.replace(/\/$/, '') === '/s');

  it('reads the feature flag through the proxy', () => {
    expect(run.flagEnabled).toBe(true);
  });
  it('lazy scripts and the remote config came from the assets host through the proxy', () => {
    const assets = run.site.requests.filter((r) => r.path.startsWith('/static/') || r.path.startsWith('/array/'));
    expect(assets.map((r) => r.path)).toEqual(expect.arrayContaining([`/array/${TOKEN}/config.js`]));
    expect(assets.some((r) => /^\/static\/.*lazy-recorder\.js$/.test(r.path))).toBe(true);
    // fetched by the proxy (Host is the assets host's own), not by the browser directly
    for (const r of assets) expect(r.host).toBe(new URL(run.site.url).host);
  });
  it('session recordings are answered by the proxy and never forwarded', () => {
    expect(sResponses().length).toBeGreaterThan(0);
    for (const r of sResponses()) expect(r.status).toBe(200);
    expect(requestsTo(run.stack.upstream, /^\/s\/?$/)).toEqual([]);
  });
  it('delivers every event, scrubbed', () => {
    expectScrubbedDelivery(run, /^text\/plain/);
  });
});
