/**
 * The real posthog-node SDK sends through phi-proxy (default Safe Harbor pack) to a recording
 * upstream, in its three wire modes: gzip JSON to /batch/ (default), plain JSON
 * (`disableCompression`), and capture V1 (`POSTHOG_CAPTURE_MODE=v1` → /i/v1/analytics/events).
 */
import { randomUUID } from 'node:crypto';
import * as zlib from 'node:zlib';
import { PostHog } from 'posthog-node';
import { FLAG_KEY } from './recording-upstream';
import { clientHeadersSeen, foreignHostHeaders, haystackOf, leaksIn, requestsTo, startStack, type Stack } from './helpers';

jest.setTimeout(30_000);

const DISTINCT_ID = 'patient-123';
const EMAIL = 'jane.doe@example.com';
const PHONE = '(617) 253-1000';
const PATH_ID = '8675309';
const CURRENT_URL = `https://clinic.example.com/patients/${PATH_ID}/chart?email=${encodeURIComponent(EMAIL)}&utm_source=newsletter`;
const CLIENT_IP = '203.0.113.7';
const FORWARDED_IP = '198.51.100.23';
const SSN = '123-45-6789';
const NOTE_NAME = 'Maria Gonzalez';

/** Every identifier the scenario plants, in the form the app passes it. */
const PLANTED = [
  DISTINCT_ID, EMAIL, 'Jane Doe', PHONE, '253-1000', '2531000', '1985-03-14', '02139', PATH_ID, CLIENT_IP, FORWARDED_IP,
  SSN, '123456789', NOTE_NAME, 'Gonzalez', 'ph_session_secret',
];

const BENIGN = {
  plan: 'pro-annual',
  price: 49.99,
  currency: 'USD',
  button_text: 'Upgrade now',
  item_count: 3,
  seats: 12,
  is_trial: false,
  $browser: 'Chrome',
  $browser_version: '120.0.6099.109',
  $os: 'Mac OS X',
  $device_type: 'Desktop',
  $screen_width: 1920,
  tags: ['billing', 'upgrade'],
};

type Json = Record<string, any>;

interface SdkSide {
  /** Events as posthog-node built them (decoded from what it handed to fetch). */
  events: Json[];
  flagBodies: Json[];
  errors: unknown[];
  flagValue: unknown;
  captureUuids: string[];
}

function bodyBytes(body: unknown): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(new Uint8Array(body));
  throw new Error(`unexpected body type ${Object.prototype.toString.call(body)}`);
}

/**
 * A fetch for posthog-node that records what the SDK sends (its own view, before the proxy) and
 * adds the headers a browser or load balancer would add, which the proxy must strip.
 */
function recordingFetch(sdk: SdkSide): (url: string, options: any) => Promise<any> {
  return async (url, options) => {
    const headers = new Headers(options?.headers ?? {});
    if (options?.body !== undefined) {
      let bytes = bodyBytes(options.body);
      if ((headers.get('content-encoding') ?? '').includes('gzip')) bytes = zlib.gunzipSync(bytes);
      const json = JSON.parse(bytes.toString('utf8')) as Json;
      const path = new URL(url).pathname;
      if (/^\/flags\/?$/.test(path)) sdk.flagBodies.push(json);
      else sdk.events.push(...(Array.isArray(json.batch) ? json.batch : [json]));
    }
    headers.set('x-forwarded-for', `${FORWARDED_IP}, 10.0.0.1`);
    headers.set('cookie', 'ph_session=ph_session_secret');
    headers.set('referer', CURRENT_URL);
    return fetch(url, { ...options, headers });
  };
}

async function runScenario(proxyUrl: string, opts: { disableCompression?: boolean; v1?: boolean }): Promise<SdkSide> {
  const sdk: SdkSide = { events: [], flagBodies: [], errors: [], flagValue: undefined, captureUuids: [] };
  const previousMode = process.env.POSTHOG_CAPTURE_MODE;
  if (opts.v1) process.env.POSTHOG_CAPTURE_MODE = 'v1';
  else delete process.env.POSTHOG_CAPTURE_MODE;
  let ph: PostHog;
  try {
    // capture mode is read from the environment in the constructor
    ph = new PostHog('phc_testtoken', {
      host: proxyUrl,
      flushAt: 1,
      flushInterval: 0,
      fetchRetryCount: 0,
      disableCompression: opts.disableCompression ?? false,
      fetch: recordingFetch(sdk) as any,
    });
  } finally {
    if (previousMode === undefined) delete process.env.POSTHOG_CAPTURE_MODE;
    else process.env.POSTHOG_CAPTURE_MODE = previousMode;
  }
  ph.on('error', (err: unknown) => sdk.errors.push(err));

  ph.identify({ distinctId: DISTINCT_ID, properties: { $set: { email: EMAIL, name: 'Jane Doe', phone: PHONE, dob: '1985-03-14', zip: '02139' } } });
  const phiUuid = randomUUID();
  ph.capture({
    distinctId: DISTINCT_ID,
    event: 'appointment_booked',
    uuid: phiUuid,
    properties: {
      email: EMAIL,
      $current_url: CURRENT_URL,
      $ip: CLIENT_IP,
      note: `Callback requested, SSN ${SSN} on file`,
      comment: `Patient ${NOTE_NAME} asked about her lab results`,
      appointment_type: 'follow-up',
    },
  });
  const benignUuid = randomUUID();
  ph.capture({ distinctId: DISTINCT_ID, event: 'plan_upgraded', uuid: benignUuid, properties: BENIGN });
  sdk.captureUuids.push(phiUuid, benignUuid);
  sdk.flagValue = await ph.getFeatureFlag(FLAG_KEY, DISTINCT_ID);
  await ph.shutdown();
  return sdk;
}

const MODES: { name: string; opts: { disableCompression?: boolean; v1?: boolean }; path: RegExp; gzip: boolean }[] = [
  { name: 'default (gzip, /batch/)', opts: {}, path: /^\/batch\/?$/, gzip: true },
  { name: 'disableCompression (plain JSON, /batch/)', opts: { disableCompression: true }, path: /^\/batch\/?$/, gzip: false },
  { name: 'capture V1 (/i/v1/analytics/events, gzip)', opts: { v1: true }, path: /^\/i\/v1\/analytics\/events$/, gzip: true },
];

describe.each(MODES)('posthog-node through phi-proxy: $name', ({ opts, path, gzip }) => {
  let stack: Stack;
  let sdk: SdkSide;

  beforeAll(async () => {
    // getFeatureFlag() is deprecated in posthog-node 5.x but still what most apps call
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    stack = await startStack();
    sdk = await runScenario(stack.proxy.url, opts);
  });
  afterAll(async () => {
    await stack?.close();
    jest.restoreAllMocks();
  });

  const upstreamEvents = () => stack.upstream.events() as Json[];
  const byUuid = (uuid: string) => upstreamEvents().find((e) => e.uuid === uuid) as Json | undefined;
  const sdkEvent = (name: string) => sdk.events.find((e) => e.event === name) as Json;

  it('the SDK saw no errors, and the feature flag evaluated true through the proxy', () => {
    expect(sdk.errors).toEqual([]);
    expect(sdk.flagValue).toBe(true);
  });

  it('sent on the expected path and encoding', () => {
    const capture = requestsTo(stack.upstream, path);
    expect(capture.length).toBeGreaterThan(0);
    for (const r of capture) {
      expect(r.method).toBe('POST');
      expect(r.headers['content-encoding']).toBe(gzip ? 'gzip' : undefined);
      expect(Number(r.headers['content-length'])).toBe(r.raw.length);
      expect(r.json).toBeDefined();
    }
    expect(requestsTo(stack.upstream, /^\/flags\/?$/)).toHaveLength(1);
    // nothing else (no stray paths)
    expect(stack.upstream.requests.every((r) => path.test(r.path) || /^\/flags\/?$/.test(r.path))).toBe(true);
  });

  it('every event arrives, once, with its uuid unchanged', () => {
    const sent = sdk.events.map((e) => e.uuid as string);
    expect(sent).toEqual(expect.arrayContaining(sdk.captureUuids));
    expect(sdk.events.map((e) => e.event).sort()).toEqual(['$feature_flag_called', '$identify', 'appointment_booked', 'plan_upgraded']);
    const received = upstreamEvents();
    expect(received).toHaveLength(sdk.events.length);
    expect(received.map((e) => e.uuid).sort()).toEqual([...sent].sort());
    for (const e of sdk.events) expect(byUuid(e.uuid)?.event).toBe(e.event);
  });

  it('no planted identifier arrives in any form (raw bytes, query, headers, decoded JSON)', () => {
    expect(leaksIn(haystackOf(stack.upstream), PLANTED)).toEqual([]);
    // name parts as words, in the decoded payloads
    const decoded = JSON.stringify(stack.upstream.requests.map((r) => r.json));
    expect(decoded).not.toMatch(/\b(?:Jane|Doe|Maria|Gonzalez)\b/);
  });

  it('benign properties arrive unchanged', () => {
    const sent = sdkEvent('plan_upgraded');
    const got = byUuid(sent.uuid)!;
    expect(got.properties).toEqual(sent.properties);
    expect(got.properties).toMatchObject(BENIGN);
    expect(got.timestamp).toBe(sent.timestamp);
  });

  it('PHI properties are scrubbed but the event stays useful', () => {
    const got = byUuid(sdk.captureUuids[0]!)!.properties as Json;
    expect(got.appointment_type).toBe('follow-up');
    expect(got.$current_url).toMatch(/^https:\/\/clinic\.example\.com\/patients\//);
    expect(got.$current_url).toContain('utm_source=newsletter');
    expect(got.$current_url).not.toContain('email');
    expect(String(got.note)).toContain('Callback requested');
    expect(String(got.comment)).toContain('asked about her lab results');
    const identify = byUuid(sdkEvent('$identify').uuid)!;
    const set = (identify.properties?.$set ?? identify.$set) as Json;
    expect(set).toBeDefined();
    expect(String(set.dob)).toBe('1985'); // dates keep the year
    expect(String(set.zip)).toMatch(/^021/); // ZIPs keep three digits
  });

  it('distinct_id is the same tok_ surrogate in every event and in the /flags body', () => {
    const ids = new Set<unknown>();
    for (const e of upstreamEvents()) {
      ids.add(e.distinct_id);
      if (e.properties?.distinct_id !== undefined) ids.add(e.properties.distinct_id);
    }
    const flags = requestsTo(stack.upstream, /^\/flags\/?$/)[0]!.json as Json;
    ids.add(flags.distinct_id);
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^tok_[A-Za-z0-9_-]{10,}$/);
    expect(sdk.flagBodies[0]!.distinct_id).toBe(DISTINCT_ID);
  });

  it('no client headers reached upstream, and Host is the upstream\'s own', () => {
    expect(clientHeadersSeen(stack.upstream)).toEqual([]);
    expect(foreignHostHeaders(stack.upstream)).toEqual([]);
  });
});
