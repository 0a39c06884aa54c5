/**
 * Property-based fuzzing of the wire formats and the rule engine (fast-check).
 *
 *  1. Every format, on its known paths and methods, with arbitrary bodies (random bytes, random
 *     JSON, captured payloads mutated byte by byte, also inside gzip), arbitrary headers and query
 *     strings: handle() returns a Handling or throws an InputError (4xx), nothing else, quickly,
 *     and an InputError never quotes the request (a random token planted in it never shows up).
 *     Whatever decodes also goes through scrubBatch and encode without an unexpected exception.
 *  2. A random e-mail planted into a string value (or a property name) of a captured payload never
 *     leaves: the scrubbed, re-encoded request is searched raw, percent-decoded, base64-decoded,
 *     gunzipped, and decoded again by the format itself.
 *  3. The rule engine on arbitrary JSON (tricky keys, long strings, lone surrogates, deep nesting):
 *     scrubEvent returns JSON or throws ScrubError; Object.prototype is never polluted.
 *
 * Time-boxed. Environment:
 *   FUZZ_RUNS=20000     runs per property (default: small, the file takes a few seconds)
 *   FUZZ_SEED=<n>       replay a seed fast-check printed (with FUZZ_PATH=<path> to shrink to it)
 *   FUZZ_BUDGET_MS=<n>  wall-clock budget per property (default: 2 s, or runs × 30 ms with FUZZ_RUNS)
 *   FUZZ_RUN_MS=<n>     the longest one run may take before it counts as a hang (default 3000)
 * Long run:  FUZZ_RUNS=20000 npx jest test/fuzz/decoders.test.ts
 */
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import LZString from 'lz-string';
import { compileRules } from '../../src/engine/compile';
import type { Plan } from '../../src/engine/plan';
import { scrubEvent } from '../../src/engine/scrub';
import { InputError, PhiError, ScrubError } from '../../src/errors';
import { formatFor, FORMAT_NAMES } from '../../src/formats';
import type { DecodedBatch, Handling, IncomingRequest, OutgoingRequest, WireFormat } from '../../src/formats/types';
import { scrubBatch } from '../../src/proxy/pipeline';
import { TokenVault } from '../../src/vault/token-vault';

// ---------------------------------------------------------------------------------------------
// Budget

const RUNS_FROM_ENV = Number(process.env.FUZZ_RUNS ?? '') || undefined;
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? '') || (RUNS_FROM_ENV ? RUNS_FROM_ENV * 30 : 2_000);
const RUN_MS = Number(process.env.FUZZ_RUN_MS ?? '') || 3_000;
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : undefined;
const PATH = process.env.FUZZ_PATH;
/** Jest's own timeout: the budget, plus one slow run, plus shrinking. */
const TEST_TIMEOUT = BUDGET_MS + RUN_MS + 30_000;

function params<T>(defaultRuns: number): fc.Parameters<T> {
  return {
    numRuns: RUNS_FROM_ENV ?? defaultRuns,
    interruptAfterTimeLimit: BUDGET_MS,
    markInterruptAsFailure: false,
    ...(SEED !== undefined ? { seed: SEED } : {}),
    ...(PATH !== undefined ? { path: PATH } : {}),
  };
}

/** Runs `fn`, failing the property if one run takes longer than RUN_MS (a hang or a ReDoS). */
function timed<T>(what: string, fn: () => T): T {
  const start = process.hrtime.bigint();
  try {
    return fn();
  } finally {
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (ms > RUN_MS) throw new Error(`${what} took ${ms.toFixed(0)} ms (limit ${RUN_MS} ms)`);
  }
}

const LIMITS = { maxDecodedBytes: 256 * 1024 };
const plan: Plan = compileRules(undefined, { pseudonymizer: new TokenVault() });
const formats: Record<string, WireFormat> = Object.fromEntries(FORMAT_NAMES.map((n) => [n, formatFor(n)]));

// ---------------------------------------------------------------------------------------------
// Requests

interface Raw {
  method: string;
  /** Path and query, e.g. `/e/?compression=gzip-js`. */
  url: string;
  body?: Buffer | string;
  headers?: Record<string, string>;
}

function toRequest(raw: Raw): IncomingRequest {
  const u = new URL(raw.url, 'http://proxy');
  return {
    method: raw.method, path: u.pathname, query: u.searchParams, headers: raw.headers ?? {},
    body: Buffer.from(raw.body ?? ''), clientIp: '203.0.113.7', publicBaseUrl: 'http://proxy.test:8080/route',
  };
}

/** The request an upstream would get for `out`, read as the SDK's request again. */
function outgoingAsRequest(method: string, headers: Record<string, unknown>, out: OutgoingRequest): IncomingRequest {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...headers, ...out.headers })) if (typeof v === 'string') merged[k] = v;
  const q = out.path.indexOf('?');
  const path = q < 0 ? out.path : out.path.slice(0, q);
  return {
    method, path, query: new URLSearchParams(q < 0 ? '' : out.path.slice(q + 1)), headers: merged,
    body: out.body ?? Buffer.alloc(0), clientIp: '203.0.113.7', publicBaseUrl: 'http://proxy.test:8080/route',
  };
}

// ---------------------------------------------------------------------------------------------
// Captured-looking requests per format (shapes from test/formats/*.test.ts)

interface Template {
  name: string;
  raw: Raw;
  /** The same request with its JSON payload replaced by `text` (for formats that carry JSON). */
  wrap?: (text: string) => Raw;
  /** The payload's JSON text, for `wrap`. */
  json?: string;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const gz = (s: string | Buffer) => zlib.gzipSync(s);
const FORM = 'application/x-www-form-urlencoded';

function jsonTemplate(name: string, method: string, url: string, json: unknown, encode: (text: string) => { url?: string; body?: Buffer | string; headers?: Record<string, string> }): Template {
  const text = JSON.stringify(json);
  const wrap = (t: string): Raw => {
    const e = encode(t);
    return { method, url: e.url ?? url, body: e.body, headers: e.headers };
  };
  return { name, raw: wrap(text), wrap, json: text };
}

// PostHog
const PH_EVENTS = [
  { event: '$pageview', uuid: '0190c1a2-1111-7222-8333-444455556666', properties: { distinct_id: 'u-1', $current_url: 'https://clinic.example.com/book?slot=3', $pathname: '/book', $lib: 'web', note: 'first visit', $set: { plan: 'pro' } }, timestamp: '2026-11-22T08:36:14.611Z' },
  { event: 'Booked', uuid: 'u2', properties: { distinct_id: 'u-1', title: 'Follow-up', tags: ['a', 'b'], count: 3 } },
];
const PH_ENVELOPE = { api_key: 'phc_k', batch: PH_EVENTS, sent_at: '2026-11-22T08:36:14.611Z' };
const POSTHOG: Template[] = [
  jsonTemplate('gzip text/plain', 'POST', '/e/?ver=1.130.0&_=1', PH_ENVELOPE, (t) => ({ body: gz(t), headers: { 'content-type': 'text/plain' } })),
  jsonTemplate('gzip content-encoding', 'POST', '/batch/', PH_ENVELOPE, (t) => ({ body: gz(t), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } })),
  jsonTemplate('compression=gzip-js', 'POST', '/e/?compression=gzip-js&ver=1.130.0&_=1', PH_EVENTS, (t) => ({ body: gz(t) })),
  jsonTemplate('form base64', 'POST', '/e/?compression=base64', PH_ENVELOPE, (t) => ({ body: `data=${encodeURIComponent(b64(t))}`, headers: { 'content-type': FORM } })),
  jsonTemplate('form lz64', 'POST', '/e/?compression=lz64', PH_EVENTS, (t) => ({ body: `data=${encodeURIComponent(LZString.compressToBase64(t))}&compression=lz64`, headers: { 'content-type': FORM } })),
  jsonTemplate('plain JSON', 'POST', '/i/v0/e/', PH_EVENTS[0], (t) => ({ body: t, headers: { 'content-type': 'application/json' } })),
  jsonTemplate('GET data=', 'GET', '/e/', PH_EVENTS[1], (t) => ({ url: `/e/?data=${encodeURIComponent(b64(t))}&ip=1` })),
  jsonTemplate('flags', 'POST', '/flags/?v=2', { token: 'phc_k', distinct_id: 'u-1', person_properties: { plan: 'pro' } }, (t) => ({ body: t })),
  { name: 'config', raw: { method: 'GET', url: '/array/phc_k/config.js' } },
  { name: 'static', raw: { method: 'GET', url: '/static/array.js?v=1' } },
  { name: 'recording', raw: { method: 'POST', url: '/s/', body: gz('[]') } },
];
const POSTHOG_PATHS = ['/e/', '/e', '/i/v0/e/', '/batch/', '/capture/', '/track/', '/engage/', '/i/v0/ai/batch', '/i/v1/analytics/events', '/decide/', '/flags/', '/s/',
  '/array/phc_k/config.js', '/static/array.js', '/flags/definitions', '/api/feature_flag/local_evaluation/', '/api/surveys/', '/api/projects/1/persons'];

// Segment
const SEG_EVENT = { type: 'track', event: 'Plan Upgraded', userId: 'u1', properties: { plan: 'pro', note: 'é', url: 'https://clinic.example.com/x?y=1' }, context: { page: { title: 'Home', referrer: '' } }, messageId: 'm1', writeKey: 'wk_1', sentAt: '2026-11-22T08:36:14.611Z' };
const SEG_BATCH = { batch: [{ type: 'identify', userId: 'u1', traits: { plan: 'pro', company: 'Acme' }, messageId: 'm1' }, SEG_EVENT], writeKey: 'wk_1', sentAt: '2026-11-22T08:36:14.611Z' };
const SEG_METRICS = { series: [{ type: 'Counter', metric: 'analytics_js.invoke', value: 1, tags: { method: 'track', library: 'analytics.js', library_version: 'npm:next-1.84.3' } }] };
const SEGMENT: Template[] = [
  jsonTemplate('single text/plain', 'POST', '/v1/t', SEG_EVENT, (t) => ({ body: t, headers: { 'content-type': 'text/plain' } })),
  jsonTemplate('batch', 'POST', '/v1/batch', SEG_BATCH, (t) => ({ body: t, headers: { 'content-type': 'application/json' } })),
  jsonTemplate('batch gzip content-encoding', 'POST', '/v1/import', SEG_BATCH, (t) => ({ body: gz(t), headers: { 'content-encoding': 'gzip' } })),
  jsonTemplate('batch gzip magic', 'POST', '/v1/b', SEG_BATCH, (t) => ({ body: gz(t), headers: { 'content-type': 'text/plain' } })),
  jsonTemplate('metrics', 'POST', '/v1/m', SEG_METRICS, (t) => ({ body: t, headers: { 'content-type': 'text/plain' } })),
  { name: 'settings', raw: { method: 'GET', url: '/v1/projects/wk_1/settings' } },
  { name: 'asset', raw: { method: 'GET', url: '/analytics.js/v1/wk_1/analytics.min.js' } },
];
const SEGMENT_PATHS = ['/v1/t', '/v1/i', '/v1/p', '/v1/g', '/v1/a', '/v1/s', '/v1/track', '/v1/identify', '/v1/page', '/v1/group', '/v1/alias', '/v1/screen',
  '/v1/b', '/v1/batch', '/v1/import', '/v1/batch/', '/v1/m', '/v1/projects/wk_1/settings', '/analytics.js/v1/wk_1/analytics.min.js', '/next-integrations/actions/x.js'];

// RudderStack
const RS_ANON = '4a060ae1-1111-4222-8333-444455556666';
const RS_EVENT = { userId: 'u1', type: 'identify', channel: 'web', anonymousId: RS_ANON, messageId: 'm1', context: { traits: { plan: 'pro' }, page: { url: 'https://clinic.example.com/' } } };
const RS_BATCH = { batch: [{ userId: 'u1', event: 'Booked', properties: { plan: 'pro', note: 'é' }, type: 'track', channel: 'server', messageId: 'n1' }, RS_EVENT], sentAt: '2026-11-22T08:36:14.700Z' };
const RS_HEADERS = { 'content-type': 'application/json;charset=UTF-8', authorization: `Basic ${b64('wk:')}`, anonymousid: b64(RS_ANON) };
const RUDDERSTACK: Template[] = [
  jsonTemplate('browser single', 'POST', '/v1/track', RS_EVENT, (t) => ({ body: t, headers: RS_HEADERS })),
  jsonTemplate('node gzip batch', 'POST', '/v1/batch', RS_BATCH, (t) => ({ body: gz(t), headers: { 'content-encoding': 'gzip', 'content-type': FORM } })),
  jsonTemplate('beacon', 'POST', '/beacon/v1/batch?writeKey=2AbCdEf9_x', RS_BATCH, (t) => ({ body: t, headers: { 'content-type': 'text/plain;charset=UTF-8' } })),
  { name: 'source config', raw: { method: 'GET', url: '/sourceConfig/?p=npm&v=3.34.1&writeKey=2AbC' } },
  { name: 'metrics', raw: { method: 'POST', url: '/rsaMetrics', body: '{"errors":[]}' } },
];
const RUDDERSTACK_PATHS = ['/v1/track', '/v1/identify', '/v1/page', '/v1/group', '/v1/alias', '/v1/screen', '/v1/batch', '/beacon/v1/batch', '/sourceConfig/', '/rsaMetrics', '/v1/t'];

// Mixpanel
const MP_EVENTS = [
  { event: 'Appointment Booked', properties: { distinct_id: '$device:abc-1', $device_id: 'abc-1', token: 'mp_token', note: 'é ✓', time: 1795336751.021, $current_url: 'https://clinic.example.com/book' } },
  { $token: 'mp_token', $distinct_id: 'u2', $set: { plan: 'pro', $name: 'x' } },
];
const MIXPANEL: Template[] = [
  jsonTemplate('xhr form base64', 'POST', '/track/?verbose=1&ip=1&_=1795336751021', MP_EVENTS, (t) => ({ body: `data=${encodeURIComponent(b64(t))}`, headers: { 'content-type': FORM } })),
  jsonTemplate('form raw JSON', 'POST', '/engage/?ip=1', MP_EVENTS, (t) => ({ body: `data=${encodeURIComponent(t)}`, headers: { 'content-type': FORM } })),
  jsonTemplate('GET data=', 'GET', '/track', MP_EVENTS[0], (t) => ({ url: `/track?ip=0&verbose=0&data=${encodeURIComponent(b64(t))}` })),
  jsonTemplate('import JSON', 'POST', '/import?strict=1&project_id=12345', MP_EVENTS, (t) => ({ body: t, headers: { 'content-type': 'application/json' } })),
  jsonTemplate('import gzip', 'POST', '/import?strict=1', MP_EVENTS, (t) => ({ body: gz(t), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } })),
  jsonTemplate('gzip magic form', 'POST', '/groups/', MP_EVENTS, (t) => ({ body: gz(`data=${encodeURIComponent(b64(t))}`) })),
  jsonTemplate('flags', 'GET', '/flags/', { distinct_id: '$device:abc', device_id: 'abc', custom_properties: { plan: 'pro' } }, (t) => ({ url: `/flags/?context=${encodeURIComponent(t)}&token=mp_token&mp_lib=web` })),
  jsonTemplate('first-time event', 'POST', '/flags/f-1/first-time-events?mp_lib=web', { distinct_id: 'patient-123', project_id: 3, first_time_event_hash: 'h' }, (t) => ({ body: t, headers: { 'content-type': 'application/json' } })),
  { name: 'record', raw: { method: 'POST', url: '/record/?format=gzip', body: gz('[]') } },
  { name: 'settings', raw: { method: 'GET', url: '/settings/?mp_lib=web&sdk_config=1' } },
];
const MIXPANEL_PATHS = ['/track/', '/track', '/engage/', '/groups/', '/import', '/record/', '/flags/', '/flags/f-1/first-time-events', '/settings/', '/flags/definitions', '/decide/'];

// Amplitude
const AMP_EVENTS = [
  { user_id: 'patient-123', device_id: 'dev-1', session_id: 1795336768780, event_type: 'Appointment Booked', event_properties: { note: 'é ✓', page: 'https://clinic.example.com/x' }, user_properties: { plan: 'pro' }, insert_id: 'i1' },
  { user_id: 'patient-456', device_id: 'dev-2', event_type: 'Page', insert_id: 'i2' },
];
const AMP_UPLOAD = { api_key: 'amp_api_key', events: AMP_EVENTS, options: { min_id_length: 1 }, client_upload_time: '2026-11-22T08:36:14.611Z' };
function legacyForm(e: string, apiKey = 'amp_api_key', uploadTime = '1795336768800'): string {
  return new URLSearchParams({ client: apiKey, e, v: '2', upload_time: uploadTime, checksum: createHash('md5').update(`2${apiKey}${e}${uploadTime}`).digest('hex') }).toString();
}
const AMPLITUDE: Template[] = [
  jsonTemplate('v2 JSON', 'POST', '/2/httpapi', AMP_UPLOAD, (t) => ({ body: t, headers: { 'content-type': 'application/json' } })),
  jsonTemplate('v2 gzip', 'POST', '/2/httpapi', AMP_UPLOAD, (t) => ({ body: gz(t), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } })),
  jsonTemplate('batch gzip magic', 'POST', '/batch', AMP_UPLOAD, (t) => ({ body: gz(t), headers: { 'content-type': 'application/json' } })),
  jsonTemplate('legacy form', 'POST', '/', AMP_EVENTS, (t) => ({ body: legacyForm(t), headers: { 'content-type': `${FORM}; charset=UTF-8` } })),
];
const AMPLITUDE_PATHS = ['/2/httpapi', '/2/httpapi/', '/batch', '/', '/identify'];

// GA4
const GA4_PAGE_VIEW = 'v=2&tid=G-ABC123XYZ9&gtm=45je4bk0v9181813597za200&_p=1731234567890&cid=1234567890.1731234567&ul=en-us&sr=1920x1080&_s=1' +
  '&sid=1731234567&sct=1&seg=0&dl=https%3A%2F%2Fclinic.example.com%2Fbook%3Fpatient%3D123&dt=Book%20an%20appointment&en=page_view&ep.note=hello&up.plan=pro&tfd=1234';
const GA4_SHARED = 'v=2&tid=G-ABC123XYZ9&_p=1731234567890&cid=1234567890.1731234567&ul=en-us&_s=3&sid=1731234567&dl=https%3A%2F%2Fclinic.example.com%2F&dt=Home';
const GA4_LINES = 'en=scroll&ep.percent_scrolled=90&ep.label=footer&_et=5021\r\nen=user_engagement&_et=12000&epn.n=3';
const GA4_MP = {
  client_id: '123456.7654321', user_id: 'u-4711', timestamp_micros: '1731234567890123', user_properties: { plan: { value: 'pro' } },
  user_location: { region_id: 'US-IL', country_id: 'US' }, device: { category: 'desktop', browser: 'Chrome' },
  events: [{ name: 'page_view', params: { session_id: '1731234567', page_location: 'https://clinic.example.com/x', page_title: 'Home' } }, { name: 'purchase', params: { value: 12.5, currency: 'USD' } }],
};
const GA4: Template[] = [
  { name: 'GET pixel', raw: { method: 'GET', url: `/g/collect?${GA4_PAGE_VIEW}` } },
  { name: 'beacon, empty body', raw: { method: 'POST', url: `/g/collect?${GA4_PAGE_VIEW}`, body: '', headers: { 'content-type': 'text/plain;charset=UTF-8' } } },
  { name: 'batched lines', raw: { method: 'POST', url: `/g/collect?${GA4_SHARED}`, body: GA4_LINES } },
  { name: 'batched lines gzip', raw: { method: 'POST', url: `/g/collect?${GA4_SHARED}`, body: gz(GA4_LINES), headers: { 'content-encoding': 'gzip' } } },
  jsonTemplate('measurement protocol', 'POST', '/mp/collect?measurement_id=G-ABC123XYZ9&api_secret=s3cr3t_Value-1', GA4_MP, (t) => ({ body: t, headers: { 'content-type': 'application/json' } })),
  jsonTemplate('debug measurement protocol', 'POST', '/debug/mp/collect?measurement_id=G-ABC123XYZ9&api_secret=s3cr3t_Value-1', GA4_MP, (t) => ({ body: t })),
];
const GA4_PATHS = ['/g/collect', '/g/collect/', '/mp/collect', '/debug/mp/collect', '/j/collect', '/gtag/js'];

// Plausible
const PL_CUSTOM = { n: 'Booked', v: 36, u: 'http://clinic.test/pages/p.html?slot=3', d: 'clinic.example.com', r: 'https://www.google.com/', p: { plan: 'pro', note: 'hello' }, i: false, $: { currency: 'USD', amount: 9.99 } };
const PL_LEGACY = { n: 'Signup', u: 'https://clinic.example.com/', d: 'clinic.example.com', r: null, m: JSON.stringify({ plan: 'pro', note: 'hi' }) };
const PLAUSIBLE: Template[] = [
  jsonTemplate('custom event', 'POST', '/api/event', PL_CUSTOM, (t) => ({ body: t, headers: { 'content-type': 'text/plain' } })),
  jsonTemplate('legacy string props', 'POST', '/api/event', PL_LEGACY, (t) => ({ body: t, headers: { 'content-type': 'text/plain' } })),
  jsonTemplate('gzip', 'POST', '/api/event', PL_CUSTOM, (t) => ({ body: gz(t), headers: { 'content-encoding': 'gzip' } })),
  { name: 'script', raw: { method: 'GET', url: '/js/script.js' } },
];
const PLAUSIBLE_PATHS = ['/api/event', '/api/event/', '/js/script.js', '/js/pa-XyZ123.js', '/api/stats'];

// Snowplow
const SP_TP2 = '/com.snowplowanalytics.snowplow/tp2';
const SP_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4';
const SP_CONTEXTS = { schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0', data: [{ schema: 'iglu:com.acme/patient/jsonschema/1-0-0', data: { plan: 'pro', note: 'x' } }] };
const SP_UNSTRUCT = { schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0', data: { schema: 'iglu:com.acme/booked/jsonschema/1-0-0', data: { kind: 'follow-up', note: 'é ü' } } };
const SP_EVENTS = [
  { e: 'pv', url: 'http://a.test/x?slot=3', page: 'Home', co: JSON.stringify(SP_CONTEXTS), eid: 'e1', tv: 'js-4.10.1', uid: 'u-1' },
  { e: 'ue', ue_px: b64url(JSON.stringify(SP_UNSTRUCT)), cx: b64url(JSON.stringify(SP_CONTEXTS)), eid: 'e2', tv: 'node-4.8.0' },
  { e: 'se', se_ca: 'appointment', se_ac: 'book', se_la: 'label', ue_pr: JSON.stringify(SP_UNSTRUCT) },
];
const SP_PIXEL = `stm=1732333333333&e=pv&url=${encodeURIComponent('http://a.test/p?x=1')}&page=Hello%20World&tv=js-4.10.1&cx=${b64url(JSON.stringify(SP_CONTEXTS))}`;
const SNOWPLOW: Template[] = [
  jsonTemplate('tp2', 'POST', SP_TP2, { schema: SP_SCHEMA, data: SP_EVENTS }, (t) => ({ body: t, headers: { 'content-type': 'application/json; charset=UTF-8' } })),
  jsonTemplate('tp2 gzip', 'POST', SP_TP2, { schema: SP_SCHEMA, data: SP_EVENTS }, (t) => ({ body: gz(t), headers: { 'content-encoding': 'gzip' } })),
  { name: 'pixel', raw: { method: 'GET', url: `/i?${SP_PIXEL}` } },
  { name: 'legacy pixel', raw: { method: 'GET', url: `/ice.png?e=pv&ue_pr=${encodeURIComponent(JSON.stringify(SP_UNSTRUCT))}` } },
];
const SNOWPLOW_PATHS = [SP_TP2, `${SP_TP2}/`, '/i', '/ice.png', '/r/tp2', '/tp2'];

// Matomo
const MT_CVAR = '{"1":["plan","pro"],"2":["note","hello"]}';
const MT_HIT = [
  ['action_name', 'Patient portal'], ['idsite', '1'], ['rec', '1'], ['r', '123806'], ['url', 'http://localhost:8788/pages/matomo.html?slot=3'], ['uid', 'u-1'],
  ['_id', '3a8ff93019bdfae2'], ['send_image', '0'], ['dimension1', 'hello'], ['_cvar', MT_CVAR], ['uadata', '{"mobile":false,"platform":"Linux"}'],
  ['ec_items', '[["SKU1","Pen","Care",12.5,1]]'], ['res', '800x600'],
] as const;
const MT_QUERY = MT_HIT.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
const MATOMO: Template[] = [
  { name: 'GET pixel', raw: { method: 'GET', url: `/matomo.php?${MT_QUERY}` } },
  { name: 'POST beacon', raw: { method: 'POST', url: `/matomo.php?${MT_QUERY}`, body: '', headers: { 'content-type': `${FORM}; charset=UTF-8` } } },
  { name: 'POST form', raw: { method: 'POST', url: '/piwik.php', body: MT_QUERY, headers: { 'content-type': `${FORM}; charset=UTF-8` } } },
  jsonTemplate('bulk', 'POST', '/matomo.php', { requests: [`?${MT_QUERY}`, '?idsite=1&rec=1&e_c=Booking&e_a=book&uid=u-2'], send_image: 0 }, (t) => ({ body: t, headers: { 'content-type': 'application/json' } })),
  jsonTemplate('bulk objects', 'POST', '/matomo.php', { requests: [{ idsite: 1, url: 'http://a.test/x y', rec: null, uid: 'u-3' }], token_auth: 't' }, (t) => ({ body: t })),
  { name: 'script', raw: { method: 'GET', url: '/matomo.js?v=5' } },
];
const MATOMO_PATHS = ['/matomo.php', '/piwik.php', '/matomo.js', '/piwik.js', '/matomo.php/x', '/index.php'];

const TEMPLATES: Record<string, { templates: Template[]; paths: string[] }> = {
  posthog: { templates: POSTHOG, paths: POSTHOG_PATHS },
  segment: { templates: SEGMENT, paths: SEGMENT_PATHS },
  rudderstack: { templates: RUDDERSTACK, paths: RUDDERSTACK_PATHS },
  mixpanel: { templates: MIXPANEL, paths: MIXPANEL_PATHS },
  amplitude: { templates: AMPLITUDE, paths: AMPLITUDE_PATHS },
  ga4: { templates: GA4, paths: GA4_PATHS },
  plausible: { templates: PLAUSIBLE, paths: PLAUSIBLE_PATHS },
  snowplow: { templates: SNOWPLOW, paths: SNOWPLOW_PATHS },
  matomo: { templates: MATOMO, paths: MATOMO_PATHS },
};

// ---------------------------------------------------------------------------------------------
// Byte-level mutation

type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; byte: number }
  | { op: 'insert'; at: number; bytes: number[] }
  | { op: 'delete'; at: number; len: number }
  | { op: 'duplicate'; at: number; len: number; to: number }
  | { op: 'truncate'; at: number }
  | { op: 'token'; at: number };

/** Bytes that mean something to one decoder or another. */
const INTERESTING = [...'{}[]",:\\%=&+?/#@.-_ \r\n\t0'].map((c) => c.charCodeAt(0)).concat([0x00, 0x1f, 0x8b, 0x7f, 0x80, 0xc0, 0xc3, 0xe2, 0xed, 0xf0, 0xff]);

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 })) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }), to: fc.nat() }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('token' as const), at: fc.nat() }),
);
const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 4 });

function mutate(input: Buffer, mutations: readonly Mutation[], token: string): Buffer {
  let b = Buffer.from(input);
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    switch (m.op) {
      case 'flip':
        if (b.length > 0) b[at % b.length]! ^= 1 << m.bit;
        break;
      case 'set':
        if (b.length > 0) b[at % b.length] = m.byte;
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
        break;
      case 'duplicate': {
        const chunk = b.subarray(at, at + m.len);
        const to = b.length === 0 ? 0 : m.to % (b.length + 1);
        b = Buffer.concat([b.subarray(0, to), chunk, b.subarray(to)]);
        break;
      }
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'token':
        b = Buffer.concat([b.subarray(0, at), Buffer.from(token), b.subarray(at)]);
        break;
    }
  }
  return b;
}

function gunzipOr(body: Buffer): Buffer {
  if (body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b) {
    try {
      return zlib.gunzipSync(body);
    } catch {
      return body;
    }
  }
  return body;
}

// ---------------------------------------------------------------------------------------------
// Value generators shared by the properties

const ALNUM = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
/** A random token planted in requests: it must never appear in an error message. */
const tokenArb = fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 16, maxLength: 16 }).map((s) => `Q${s}Z`);

const loneSurrogates = fc
  .array(fc.oneof(fc.integer({ min: 0xd800, max: 0xdfff }), fc.integer({ min: 0x20, max: 0x7e })), { maxLength: 12 })
  .map((codes) => String.fromCharCode(...codes));
const phiLike = fc.constantFrom(
  'jane.doe@example.com', '617-555-0123', '(617) 555-0123', '123-45-6789', '1985-03-14', '03/14/1985', '02139', '02139-1234', '198.51.100.7', '2001:db8::1',
  'https://clinic.example.com/patients/4711?email=jane%40example.com#dob=1985-03-14', 'Patient Maria Gonzalez', 'MRN 00012345', '4111 1111 1111 1111',
  'DE89 3704 0044 0532 0130 00', '1HGCM82633A004352', '00:1A:2B:3C:4D:5E', '42 Main Street, Springfield', 'tok_AAAAAAAAAAAAAAAAAAAA', '$device:abc', 'age 93',
);
const longString = fc
  .tuple(fc.constantFrom('a', '1', '1-', 'a@', 'a.', '@a.', 'x@y.', '9 ', '%', 'https://a.b/', 'é', '\ud800', '1.1.', ':1', 'Jane ', '-'), fc.integer({ min: 1_000, max: 40_000 }))
  .map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length)));
const stringArb = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 2, arbitrary: loneSurrogates },
  { weight: 3, arbitrary: phiLike },
  { weight: 1, arbitrary: longString },
);
const TRICKY_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'toJSON', 'then', 'length',
  'email', 'name', 'value', 'label', 'type', 'field', '$set', 'traits', 'properties', 'user_id', 'distinct_id', 'url', '$current_url', 'timestamp', 'country',
  'batch', 'events', 'data', 'jane@example.com', '617-555-0123', '', ' ', '.', 'a.b', '*', '\u0000', '\ud800'];
const keyArb = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...TRICKY_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) });

/** A JSON tree, written out as JSON text so `__proto__` keys become own properties as in JSON.parse. */
type Tree = null | boolean | number | string | { arr: Tree[] } | { obj: [string, Tree][] };
const treeArb: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null), fc.boolean(), fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), stringArb,
    fc.array(tie('tree'), { maxLength: 5 }).map((arr) => ({ arr })),
    fc.array(fc.tuple(keyArb, tie('tree')), { maxLength: 6 }).map((obj) => ({ obj })),
  ),
})).tree;

function treeText(t: Tree): string {
  if (t === null || typeof t !== 'object') return JSON.stringify(t);
  if ('arr' in t) return `[${t.arr.map(treeText).join(',')}]`;
  return `{${t.obj.map(([k, v]) => `${JSON.stringify(k)}:${treeText(v)}`).join(',')}}`;
}

/** Nesting past the engine's limit (64), alternating arrays and objects. */
const deepArb = fc.tuple(fc.integer({ min: 40, max: 3_000 }), fc.constantFrom('arr', 'obj', 'mix'), phiLike).map(([depth, kind, leaf]) => {
  let text = JSON.stringify(leaf);
  for (let i = 0; i < depth; i++) {
    const arr = kind === 'arr' || (kind === 'mix' && i % 2 === 0);
    text = arr ? `[${text}]` : `{"${i % 3 === 0 ? '__proto__' : `k${i}`}":${text}}`;
  }
  return { text, depth };
});

/** Header values, the token among them. */
function headersArb(token: string): fc.Arbitrary<Record<string, string>> {
  const contentType = fc.option(fc.oneof(
    fc.constantFrom('application/json', 'text/plain', FORM, 'text/plain;charset=UTF-8', `${FORM}; charset=UTF-8`, 'application/json; charset=utf-8', 'multipart/form-data', ''),
    fc.string({ maxLength: 20 }),
    fc.constant(`application/${token}`),
  ), { nil: undefined });
  const contentEncoding = fc.option(fc.oneof(
    fc.constantFrom('gzip', 'GZIP', ' gzip ', 'identity', '', 'br', 'deflate', 'gzip, gzip', 'x-gzip', 'gzip;q=1', 'compress', 'zstd'),
    fc.string({ maxLength: 12 }),
    fc.constant(token),
    fc.constant(`gzip ${token}`),
  ), { nil: undefined });
  const anonymousid = fc.option(fc.oneof(fc.constant(b64(token)), fc.string({ maxLength: 20 })), { nil: undefined });
  return fc.record({ contentType, contentEncoding, anonymousid }).map(({ contentType: ct, contentEncoding: ce, anonymousid: aid }) => {
    const h: Record<string, string> = {};
    if (ct !== undefined) h['content-type'] = ct;
    if (ce !== undefined) h['content-encoding'] = ce;
    if (aid !== undefined) h.anonymousid = aid;
    return h;
  });
}

const QUERY_KEYS = ['data', 'compression', 'context', 'writeKey', 'ip', 'verbose', 'e', 'cx', 'co', 'ue_px', 'ue_pr', '_cvar', 'ep.x', 'ep', 'up.email', 'uip', '_uip',
  'cid', 'en', 'idsite', 'url', '__proto__', 'constructor', 'token', 'api_key', 'measurement_id', 'v', '_', 'send_image', 'requests', 'callback', 'flag_key'];

function queryArb(token: string): fc.Arbitrary<[string, string][]> {
  const value = fc.oneof(fc.string({ maxLength: 16 }), fc.constant(token), fc.constant(b64(token)), fc.constant(`{"a":"${token}"}`), fc.constantFrom('1', '0', 'gzip-js', 'base64', 'lz64', '%', '%E0%A4%A', '{', '['));
  return fc.array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 8 })), value), { maxLength: 5 });
}

// ---------------------------------------------------------------------------------------------
// Checks

const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort().join(',');
const ARRAY_PROTO_NAMES = Object.getOwnPropertyNames(Array.prototype).sort().join(',');

function assertNoPollution(): void {
  const names = Object.getOwnPropertyNames(Object.prototype).sort().join(',');
  if (names !== PROTO_NAMES) throw new Error(`Object.prototype polluted: ${names}`);
  if (Object.getOwnPropertyNames(Array.prototype).sort().join(',') !== ARRAY_PROTO_NAMES) throw new Error('Array.prototype polluted');
  for (const key in {}) throw new Error(`Object.prototype has an enumerable ${key}`);
}

/** The error was an InputError (4xx), and its message quotes no 8+ characters of the token. */
function assertInputError(err: unknown, token: string, what: string): void {
  if (!(err instanceof InputError) || !(err instanceof PhiError)) {
    throw new Error(`${what}: unexpected ${(err as Error)?.name ?? typeof err}: ${(err as Error)?.message ?? String(err)}\n${(err as Error)?.stack ?? ''}`);
  }
  if (!(err.status >= 400 && err.status < 500)) throw new Error(`${what}: InputError with status ${err.status}`);
  const message = `${err.message}`;
  for (let i = 0; i + 8 <= token.length; i++) {
    const piece = token.slice(i, i + 8);
    if (message.includes(piece) || message.includes(b64(piece).slice(0, 8))) throw new Error(`${what}: InputError quotes the request: ${message}`);
  }
}

function assertHandlingShape(h: Handling, what: string): void {
  switch (h.kind) {
    case 'events':
      if (!Array.isArray(h.batch.events) || typeof h.batch.encode !== 'function') throw new Error(`${what}: malformed events handling`);
      if (h.batch.envelope !== undefined && (h.batch.envelope === null || typeof h.batch.envelope !== 'object')) throw new Error(`${what}: malformed envelope`);
      return;
    case 'passthrough':
      if (typeof h.path !== 'string' || !h.path.startsWith('/')) throw new Error(`${what}: passthrough path ${JSON.stringify(h.path)}`);
      return;
    case 'respond':
      if (typeof h.response.status !== 'number' || typeof h.response.body !== 'string') throw new Error(`${what}: malformed local response`);
      return;
    case 'unknown':
      return;
    default:
      throw new Error(`${what}: unknown handling kind ${(h as { kind: string }).kind}`);
  }
}

/** scrubBatch then encode: returns the outgoing request, or undefined when refused or all dropped. */
function scrubAndEncode(batch: DecodedBatch, what: string): OutgoingRequest | undefined {
  try {
    const outcome = scrubBatch(plan, batch);
    if (outcome.outgoing === undefined) return undefined;
    const out = outcome.outgoing;
    if (typeof out.path !== 'string' || !out.path.startsWith('/')) throw new Error(`${what}: outgoing path ${JSON.stringify(out.path)}`);
    if (out.body !== undefined && !Buffer.isBuffer(out.body)) throw new Error(`${what}: outgoing body is not a Buffer`);
    return out;
  } catch (err) {
    // A batch (or its envelope) that cannot be scrubbed is refused: that is the contract.
    if (err instanceof ScrubError) return undefined;
    throw new Error(`${what}: scrubBatch/encode threw ${(err as Error)?.name}: ${(err as Error)?.message}\n${(err as Error)?.stack ?? ''}`);
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Decoders never crash, never hang, never quote input

type BodyPlan =
  | { kind: 'captured' }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'json'; text: string }
  | { kind: 'wrapped-json'; text: string }
  | { kind: 'wrapped-mutated'; mutations: Mutation[] }
  | { kind: 'mutated'; mutations: Mutation[] }
  | { kind: 'gzip-mutated'; mutations: Mutation[]; header: 'keep' | 'gzip' | 'none' };

const bodyPlanArb: fc.Arbitrary<BodyPlan> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ kind: 'captured' as const }) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ kind: 'bytes' as const, bytes })) },
  { weight: 2, arbitrary: fc.oneof(fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'), treeArb.map(treeText)).map((text) => ({ kind: 'json' as const, text })) },
  { weight: 3, arbitrary: fc.oneof(fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'), treeArb.map(treeText)).map((text) => ({ kind: 'wrapped-json' as const, text })) },
  { weight: 4, arbitrary: mutationsArb.map((mutations) => ({ kind: 'wrapped-mutated' as const, mutations })) },
  { weight: 6, arbitrary: mutationsArb.map((mutations) => ({ kind: 'mutated' as const, mutations })) },
  { weight: 3, arbitrary: fc.tuple(mutationsArb, fc.constantFrom('keep' as const, 'gzip' as const, 'none' as const)).map(([mutations, header]) => ({ kind: 'gzip-mutated' as const, mutations, header })) },
);

type PathPlan = { kind: 'template' } | { kind: 'known'; index: number } | { kind: 'variant'; index: number; variant: number } | { kind: 'random'; text: string };
const pathPlanArb: fc.Arbitrary<PathPlan> = fc.oneof(
  { weight: 12, arbitrary: fc.constant({ kind: 'template' as const }) },
  { weight: 3, arbitrary: fc.nat().map((index) => ({ kind: 'known' as const, index })) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.integer({ min: 0, max: 5 })).map(([index, variant]) => ({ kind: 'variant' as const, index, variant })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((text) => ({ kind: 'random' as const, text })) },
);

function pathFor(p: PathPlan, templatePath: string, known: readonly string[], token: string): string {
  switch (p.kind) {
    case 'template':
      return templatePath;
    case 'known':
      return known[p.index % known.length]!;
    case 'variant': {
      const base = known[p.index % known.length]!;
      return [`${base}/`, base.replace(/\/$/, ''), `/${base}`, base.toUpperCase(), `${base}/${token}`, `${base}%2F`][p.variant]!;
    }
    case 'random':
      return `/${p.text}`;
  }
}

/** Query string of the template, mutated or extended; keys and values from the usual suspects. */
type QueryPlan = { kind: 'template' } | { kind: 'mutated'; mutations: Mutation[] } | { kind: 'extra'; pairs: [string, string][]; keep: boolean };

function queryPlanArb(token: string): fc.Arbitrary<QueryPlan> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant({ kind: 'template' as const }) },
    { weight: 3, arbitrary: mutationsArb.map((mutations) => ({ kind: 'mutated' as const, mutations })) },
    { weight: 3, arbitrary: fc.tuple(queryArb(token), fc.boolean()).map(([pairs, keep]) => ({ kind: 'extra' as const, pairs, keep })) },
  );
}

function queryFor(q: QueryPlan, templateQuery: string, token: string): URLSearchParams {
  switch (q.kind) {
    case 'template':
      return new URLSearchParams(templateQuery);
    case 'mutated':
      return new URLSearchParams(mutate(Buffer.from(templateQuery), q.mutations, token).toString('latin1'));
    case 'extra': {
      const out = new URLSearchParams(q.keep ? templateQuery : '');
      for (const [k, v] of q.pairs) out.append(k, v);
      return out;
    }
  }
}

function buildFuzzRequest(t: Template, known: readonly string[], token: string, body: BodyPlan, path: PathPlan, query: QueryPlan, headers: Record<string, string> | undefined, method: string | undefined): IncomingRequest {
  let raw: Raw = t.raw;
  let bytes: Buffer = Buffer.from(raw.body ?? '');
  let encodingHeader: string | undefined | null = null; // null: leave as is
  switch (body.kind) {
    case 'captured':
      break;
    case 'bytes':
      bytes = Buffer.from(body.bytes);
      break;
    case 'json':
      bytes = Buffer.from(body.text);
      break;
    case 'wrapped-json':
      if (t.wrap) {
        raw = t.wrap(body.text);
        bytes = Buffer.from(raw.body ?? '');
      } else bytes = Buffer.from(body.text);
      break;
    case 'wrapped-mutated':
      if (t.wrap && t.json !== undefined) {
        raw = t.wrap(mutate(Buffer.from(t.json), body.mutations, token).toString('utf8'));
        bytes = Buffer.from(raw.body ?? '');
      } else bytes = mutate(bytes, body.mutations, token);
      break;
    case 'mutated':
      bytes = mutate(bytes, body.mutations, token);
      break;
    case 'gzip-mutated':
      bytes = gz(mutate(gunzipOr(bytes), body.mutations, token));
      if (body.header === 'gzip') encodingHeader = 'gzip';
      else if (body.header === 'none') encodingHeader = undefined;
      break;
  }
  const u = new URL(raw.url, 'http://proxy');
  const h: Record<string, string> = { ...(headers ?? raw.headers ?? {}) };
  if (encodingHeader === undefined) delete h['content-encoding'];
  else if (encodingHeader !== null) h['content-encoding'] = encodingHeader;
  return {
    method: method ?? raw.method,
    path: pathFor(path, u.pathname, known, token),
    query: queryFor(query, u.search.slice(1), token),
    headers: h,
    body: bytes,
    clientIp: '203.0.113.7',
    publicBaseUrl: 'http://proxy.test:8080/route',
  };
}

/** Outcomes per format, printed with FUZZ_VERBOSE=1 (to see that the fuzzer gets past the decoders). */
const decodeStats: Record<string, Record<string, number>> = {};
function tally(format: string, outcome: string): void {
  const t = (decodeStats[format] ??= {});
  t[outcome] = (t[outcome] ?? 0) + 1;
}

/** Mostly the template's own method (undefined), sometimes another. */
const methodArb: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'OPTIONS', 'DELETE', 'post') },
);

describe('fuzz: wire formats decode or refuse, never crash', () => {
  it.each(FORMAT_NAMES)('%s', (name) => {
    const format = formats[name]!;
    const { templates, paths } = TEMPLATES[name]!;
    const arb = tokenArb.chain((token) => fc.record({
      token: fc.constant(token),
      template: fc.nat({ max: templates.length - 1 }),
      // (undefined headers: the template's own)
      body: bodyPlanArb,
      path: pathPlanArb,
      query: queryPlanArb(token),
      headers: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: headersArb(token) }),
      method: methodArb,
    }));
    fc.assert(
      fc.property(arb, (c) => {
        const t = templates[c.template]!;
        const request = buildFuzzRequest(t, paths, c.token, c.body, c.path, c.query, c.headers, c.method);
        const what = `${name} ${request.method} ${request.path} (${t.name}, ${c.body.kind})`;
        let handling: Handling;
        try {
          handling = timed(`${what}: handle`, () => format.handle(request, LIMITS));
        } catch (err) {
          if (err instanceof Error && err.message.includes(' took ')) throw err;
          assertInputError(err, c.token, what);
          assertNoPollution();
          tally(name, `InputError ${(err as InputError).status}`);
          return;
        }
        assertHandlingShape(handling, what);
        if (handling.kind === 'events') {
          const out = timed(`${what}: scrub+encode`, () => scrubAndEncode(handling.batch, what));
          tally(name, out === undefined ? 'events, nothing forwarded' : 'events, forwarded');
        } else tally(name, handling.kind);
        assertNoPollution();
      }),
      params(150),
    );
  }, TEST_TIMEOUT);

  afterAll(() => {
    if (process.env.FUZZ_VERBOSE) console.log('decode outcomes', JSON.stringify(decodeStats, null, 1));
  });
});

// ---------------------------------------------------------------------------------------------
// 2. A planted e-mail never leaves

interface Slot {
  /** The object or array holding the value. */
  holder: Record<string, unknown> | unknown[];
  key: string | number;
  /** Property names from the event root down to `key`. */
  path: (string | number)[];
}

/** Every string value and every object key below `root`. */
function slotsOf(root: unknown, path: (string | number)[] = [], values: Slot[] = [], keys: Slot[] = []): { values: Slot[]; keys: Slot[] } {
  if (Array.isArray(root)) {
    root.forEach((v, i) => {
      if (typeof v === 'string') values.push({ holder: root, key: i, path: [...path, i] });
      else slotsOf(v, [...path, i], values, keys);
    });
  } else if (root !== null && typeof root === 'object') {
    const object = root as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      keys.push({ holder: object, key, path: [...path, key] });
      const v = object[key];
      if (typeof v === 'string') values.push({ holder: object, key, path: [...path, key] });
      else slotsOf(v, [...path, key], values, keys);
    }
  }
  return { values, keys };
}

/** Keys the Safe Harbor pack `keep`s (exempt from every rule by design), found by asking the engine. */
const keptCache = new Map<string, boolean>();
function isKeptKey(key: string): boolean {
  let kept = keptCache.get(key);
  if (kept === undefined) {
    const probe: Record<string, unknown> = {};
    Object.defineProperty(probe, key, { value: 'fzkeepprobe01@example.com', enumerable: true, writable: true, configurable: true });
    try {
      kept = JSON.stringify(scrubEvent(plan, probe)).includes('fzkeepprobe01');
    } catch {
      kept = false;
    }
    keptCache.set(key, kept);
  }
  return kept;
}

const LABEL_KEYS = ['name', 'field', 'key', 'label', 'field_name', 'fieldName', 'type'];
/** Whether a value at `slot` sits under a kept key (its own, an ancestor's, or its `{name, value}` label's). */
function underKeep(root: unknown, slot: Slot): boolean {
  let node: unknown = root;
  for (const part of slot.path) {
    if (typeof part === 'string') {
      if (isKeptKey(part)) return true;
      if (part === 'value' && node !== null && typeof node === 'object' && !Array.isArray(node)) {
        const object = node as Record<string, unknown>;
        for (const l of LABEL_KEYS) {
          const label = object[l];
          if (typeof label === 'string' && label.length > 0 && label.length <= 64) {
            if (isKeptKey(label)) return true;
            break;
          }
        }
      }
    }
    node = (node as Record<string | number, unknown>)?.[part as string];
  }
  return false;
}

/** Every text the upstream could read the e-mail from: raw, gunzipped, percent-decoded, base64-decoded. */
function readableTexts(out: OutgoingRequest): string[] {
  const texts = new Set<string>();
  const add = (t: string) => {
    if (t !== '') texts.add(t);
  };
  add(out.path);
  for (const v of Object.values(out.headers)) if (typeof v === 'string') add(v);
  if (out.body !== undefined) {
    add(out.body.toString('utf8'));
    add(out.body.toString('latin1'));
    const plain = gunzipOr(out.body);
    if (plain !== out.body) add(plain.toString('utf8'));
  }
  for (let round = 0; round < 2; round++) {
    for (const t of [...texts]) {
      try {
        add(decodeURIComponent(t));
      } catch {
        /* not valid percent-encoding as a whole */
      }
      for (const part of t.split(/[&?\s]/)) {
        try {
          add(decodeURIComponent(part.replace(/\+/g, ' ')));
          add(decodeURIComponent(part));
        } catch {
          /* ignore */
        }
      }
      for (const [k, v] of new URLSearchParams(t.includes('?') ? t.slice(t.indexOf('?') + 1) : t)) {
        add(k);
        add(v);
      }
      for (const run of t.match(/[A-Za-z0-9+/_-]{12,}={0,2}/g) ?? []) {
        for (let skip = 0; skip < 4; skip++) {
          const decoded = Buffer.from(run.slice(skip), 'base64');
          add(decoded.toString('utf8'));
          try {
            add(LZString.decompressFromBase64(run.slice(skip)) ?? '');
          } catch {
            /* not lz-string */
          }
        }
      }
    }
  }
  return [...texts];
}

interface Plant {
  template: number;
  event: number;
  slot: number;
  where: 'value' | 'key';
  mode: 'replace' | 'prefix' | 'suffix' | 'middle';
  sep: string;
  sepAfter: string;
  local: string;
}

const plantArb = fc.record({
  event: fc.nat(),
  slot: fc.nat(),
  where: fc.oneof({ weight: 4, arbitrary: fc.constant('value' as const) }, { weight: 1, arbitrary: fc.constant('key' as const) }),
  mode: fc.constantFrom('replace' as const, 'prefix' as const, 'suffix' as const, 'middle' as const),
  sep: fc.constantFrom(' ', '', ',', '/', '=', '"', '<', ':', '?', '&', '#', '\n', '(', '\'', ';', '%20', '+', '|', '.', '-', '_'),
  /**
   * What follows the address. Never a letter, digit, `-` or `.`: the detector reads
   * `jane@example.com1` or `jane@example.com-IL` as one token with an invalid top-level domain and
   * leaves it (see the report; a detector limitation, not a decoder bug).
   */
  sepAfter: fc.constantFrom(' ', ',', '/', '=', '"', '<', ':', '?', '&', '#', '\n', ')', ';', '%20', '+', '|', '\t', '!'),
  local: fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: 8, maxLength: 12 }).map((s) => `fz${s}`),
});

function planted(original: string, email: string, p: Pick<Plant, 'mode' | 'sep' | 'sepAfter'>): string {
  switch (p.mode) {
    case 'replace':
      return email;
    case 'prefix':
      return `${email}${p.sepAfter}${original}`;
    case 'suffix':
      return `${original}${p.sep}${email}`;
    case 'middle': {
      const at = Math.floor(original.length / 2);
      return `${original.slice(0, at)}${p.sep}${email}${p.sepAfter}${original.slice(at)}`;
    }
  }
}

const leakStats = { planted: 0, skippedKeep: 0, skippedUndecodable: 0, checked: 0 };

describe('fuzz: a planted e-mail never leaves the proxy', () => {
  it.each(FORMAT_NAMES)('%s', (name) => {
    const format = formats[name]!;
    const templates = TEMPLATES[name]!.templates.filter((t) => {
      const h = format.handle(toRequest(t.raw), LIMITS);
      return h.kind === 'events' && h.batch.events.length > 0;
    });
    expect(templates.length).toBeGreaterThan(0);
    fc.assert(
      fc.property(fc.nat({ max: templates.length - 1 }), plantArb, (ti, p) => {
        const t = templates[ti]!;
        const email = `${p.local}@example.com`;
        const what = `${name} ${t.name}: planted ${email} (${p.where}, ${p.mode}, sep ${JSON.stringify(p.sep)} / ${JSON.stringify(p.sepAfter)})`;

        // Decode the captured request, plant the e-mail into one string (or key) in place, and let
        // the format write the request the SDK would have sent with it.
        const request = toRequest(t.raw);
        const first = format.handle(request, LIMITS);
        if (first.kind !== 'events') throw new Error(`${what}: captured request is not events`);
        const units: unknown[] = [...first.batch.events, ...(first.batch.envelope !== undefined ? [first.batch.envelope] : [])];
        const root = units[p.event % units.length];
        const { values, keys } = slotsOf(root);
        const slots = p.where === 'value' ? values : keys;
        if (slots.length === 0) return;
        const slot = slots[p.slot % slots.length]!;
        if (underKeep(root, slot)) {
          leakStats.skippedKeep++;
          return;
        }
        if (p.where === 'value') {
          const holder = slot.holder as Record<string | number, unknown>;
          holder[slot.key] = planted(String(holder[slot.key]), email, p);
        } else {
          const holder = slot.holder as Record<string, unknown>;
          const value = holder[slot.key as string];
          const key = planted(slot.key as string, email, p);
          delete holder[slot.key as string];
          Object.defineProperty(holder, key, { value, enumerable: true, writable: true, configurable: true });
        }
        leakStats.planted++;
        let wire: IncomingRequest;
        try {
          wire = outgoingAsRequest(request.method, request.headers, first.batch.encode(first.batch.events, first.batch.envelope));
        } catch (err) {
          throw new Error(`${what}: encode of a decoded batch threw ${(err as Error).message}`);
        }

        // The proxy's turn: decode, scrub, encode.
        let second: Handling;
        try {
          second = timed(`${what}: handle`, () => format.handle(wire, LIMITS));
        } catch (err) {
          if (err instanceof Error && err.message.includes(' took ')) throw err;
          assertInputError(err, 'no-token-here-xx', what);
          leakStats.skippedUndecodable++; // the plant made the request invalid (e.g. a Plausible domain)
          return;
        }
        if (second.kind !== 'events') return;
        const out = timed(`${what}: scrub+encode`, () => scrubAndEncode(second.batch, what));
        if (out === undefined) return;
        leakStats.checked++;

        const needles = [email.toLowerCase(), encodeURIComponent(email).toLowerCase()];
        const where: string[] = [];
        for (const text of readableTexts(out)) {
          const lower = text.toLowerCase();
          if (needles.some((n) => lower.includes(n))) where.push(text.length > 300 ? `${text.slice(0, 300)}…` : text);
        }
        // What the upstream decodes: the format's own reading of the outgoing request.
        try {
          const again = format.handle(outgoingAsRequest(request.method, request.headers, out), LIMITS);
          if (again.kind === 'events') {
            const decoded = JSON.stringify([again.batch.events, again.batch.envelope ?? null]).toLowerCase();
            if (decoded.includes(email.toLowerCase())) where.push(`decoded: ${decoded.slice(0, 300)}`);
          }
        } catch (err) {
          if (!(err instanceof InputError)) throw err;
        }
        if (where.length > 0) {
          throw new Error(`${what}: the e-mail leaves in ${out.path}\n  ${where.join('\n  ')}`);
        }
        assertNoPollution();
      }),
      params(120),
    );
  }, TEST_TIMEOUT);

  afterAll(() => {
    if (process.env.FUZZ_VERBOSE) console.log('planted-email stats', leakStats);
  });
});

// ---------------------------------------------------------------------------------------------
// 3. The rule engine on arbitrary JSON

/** null, booleans, finite numbers, strings, arrays and plain objects only: what JSON can carry. */
function assertJson(value: unknown, path = '$'): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${path}: non-finite number`);
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new Error(`${path}[${i}]: hole`);
      assertJson(value[i], `${path}[${i}]`);
    }
    return;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw new Error(`${path}: not a plain object`);
    for (const key of Object.keys(value)) assertJson((value as Record<string, unknown>)[key], `${path}.${key}`);
    return;
  }
  throw new Error(`${path}: ${typeof value}`);
}

function checkScrub(event: unknown, what: string): void {
  let result: unknown;
  try {
    result = timed(what, () => scrubEvent(plan, event));
  } catch (err) {
    if (err instanceof Error && err.message.includes(' took ')) throw err;
    if (!(err instanceof ScrubError)) throw new Error(`${what}: scrubEvent threw ${(err as Error)?.name}: ${(err as Error)?.message}`);
    assertNoPollution();
    return;
  }
  assertNoPollution();
  const text = JSON.stringify(result);
  if (typeof text !== 'string') throw new Error(`${what}: result does not serialise (${typeof result})`);
  assertJson(result);
  JSON.parse(text);
}

describe('fuzz: the rule engine on arbitrary JSON', () => {
  it('fc.jsonValue events', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => checkScrub(v, 'jsonValue')), params(300));
  }, TEST_TIMEOUT);

  it('events with __proto__/constructor keys, PHI-like, long and lone-surrogate strings', () => {
    fc.assert(fc.property(treeArb, (t) => {
      const text = treeText(t);
      checkScrub(JSON.parse(text), `tree ${text.slice(0, 200)}`);
    }), params(300));
  }, TEST_TIMEOUT);

  it('events shaped like analytics payloads with tricky property names', () => {
    const eventArb = fc.tuple(fc.array(fc.tuple(keyArb, treeArb), { maxLength: 6 }), fc.array(fc.tuple(keyArb, treeArb), { maxLength: 4 }))
      .map(([props, set]) => `{"event":"x","properties":{${props.map(([k, v]) => `${JSON.stringify(k)}:${treeText(v)}`).join(',')},"$set":{${set.map(([k, v]) => `${JSON.stringify(k)}:${treeText(v)}`).join(',')}}}}`.replace(',"$set"', props.length === 0 ? '"$set"' : ',"$set"'));
    fc.assert(fc.property(eventArb, (text) => checkScrub(JSON.parse(text), `event ${text.slice(0, 200)}`)), params(300));
  }, TEST_TIMEOUT);

  // FAILS at the time of writing: engine/scrub.ts resolveOverlaps drops a detector match that
  // starts inside an earlier, longer match and ends after it, so the match's tail is never
  // replaced (`http://clinic.test/?ref=3'jane@example.com` → `http://clinic.test/'jane@example.com`).
  // The same cause makes the planted-e-mail property above fail now and then on URL-valued fields.
  it('a planted e-mail in free text next to URLs and other identifiers never survives', () => {
    const fragment = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('http://clinic.test/?ref=', 'https://clinic.example.com/book?slot=3', 'www.clinic.test/a?x=', 'https://x.test/p/', 'Ref:', 'see', 'call', 'tel:', 'mailto:', 'DOB', 'SSN') },
      { weight: 2, arbitrary: phiLike },
      { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
    );
    const caseArb = fc.record({
      before: fc.array(fragment, { maxLength: 3 }),
      after: fc.array(fragment, { maxLength: 3 }),
      sep: fc.constantFrom(' ', '', "'", '=', '/', ':', '.', '-', '_', '+', ',', '"', '(', '<'),
      sepAfter: fc.constantFrom(' ', '', ',', '"', ')', '>', ';', '&', '?', '#', '/'),
      local: fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: 8, maxLength: 12 }).map((x) => `fz${x}`),
      key: fc.constantFrom('note', 'message', 'title', '$current_url', 'page', 'description', 'x'),
    });
    fc.assert(fc.property(caseArb, (c) => {
      const email = `${c.local}@example.com`;
      // Nothing glued after the address that the detector would read as more domain (see the report).
      const after = c.after.join(' ');
      const sepAfter = c.sepAfter === '' && /^[A-Za-z0-9.-]/.test(after) ? ' ' : c.sepAfter;
      const text = `${c.before.join(' ')}${c.sep}${email}${sepAfter}${after}`;
      const out = JSON.stringify(scrubEvent(plan, { event: 'x', properties: { [c.key]: text } }));
      if (out.toLowerCase().includes(email)) throw new Error(`${JSON.stringify(text)} → ${out}`);
    }), {
      ...params(300),
      // Found by this file (see the report): a URL match that ends inside the address hides it.
      examples: [[{ before: ['http://clinic.test/?ref=3'], after: [], sep: "'", sepAfter: '', local: 'fzaaaaaaaa', key: 'note' }]],
    });
  }, TEST_TIMEOUT);

  it('nesting past the depth limit is refused, never a crash', () => {
    fc.assert(fc.property(deepArb, ({ text, depth }) => {
      let threw = false;
      try {
        scrubEvent(plan, JSON.parse(text));
      } catch (err) {
        if (!(err instanceof ScrubError)) throw err;
        threw = true;
      }
      if (depth > plan.maxDepth && !threw) throw new Error(`an event nested ${depth} deep was scrubbed`);
      assertNoPollution();
    }), params(60));
  }, TEST_TIMEOUT);

  it('strings and values that are not JSON are refused (ScrubError), not crashed on', () => {
    const odd = fc.constantFrom<unknown>(undefined, () => 1, Symbol('s'), 10n, new Date(0), new Map([[1, 2]]), Object.create({ polluted: true }), NaN, Infinity);
    fc.assert(fc.property(odd, keyArb, (v, k) => {
      const event: Record<string, unknown> = {};
      Object.defineProperty(event, k, { value: v, enumerable: true, writable: true, configurable: true });
      try {
        scrubEvent(plan, { properties: event });
      } catch (err) {
        if (!(err instanceof ScrubError)) throw err;
      }
      assertNoPollution();
    }), params(100));
  }, TEST_TIMEOUT);
});
