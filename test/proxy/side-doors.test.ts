// No side doors (issue 5): the proxy's own output (logs, error answers, metrics, /readyz, audit
// trail, every file it writes and every file's name) never contains a value it scrubs.
//
// One proxy, one route per wire format (all nine), each to its own recording upstream, debug
// logging captured, a fresh metrics registry and the audit trail on. Every format gets PHI-laden
// events in its real wire shapes (gzip, base64, form and query variants where it has them) and
// the broken requests whose error paths might echo input. Then everything the proxy produced is
// searched for every planted value, as is, lower-cased, percent-encoded, form-encoded and
// JSON-escaped, after undoing gzip, percent-encoding and base64 wherever they occur.
//
// Sanity (so the test can fail): the planted values are found in what was sent (through the same
// decoding), in the token vault (PHI at rest by design, so it lives outside the searched
// directories) and never in what each format's upstream received, which got at least one request.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import * as zlib from 'node:zlib';
import LZString from 'lz-string';
import { Registry } from 'prom-client';
import { startProxy, type RunningProxy } from '../../src/proxy/server';
import { freePort, tempDir } from '../helpers';
import { forms, views } from '../soak/lib/search';

jest.setTimeout(30_000);

// ---------------------------------------------------------------------------------------------
// Planted values

const EMAIL = 'jane.doe@example.com';
const PHONE = '617-555-0123';
const SSN = '123-45-6789';
const NAME = 'Maria Gonzalez';
const STREET = '742 Evergreen Terrace';
const ZIP = '02139';
const DOB = '1985-03-14';
const MRN = 'MRN 00482913';
const IP = '198.51.100.7';
const URL_WITH_EMAIL = `https://clinic.example.org/patients/48213/chart?email=${encodeURIComponent(EMAIL)}&utm_source=mail`;
/** Pseudonymized (a vault surrogate goes out instead), so the vault file holds it: the positive control. */
const USER_ID = 'patient-48213';

/** What must never surface. Parts too: the MRN's digits, the URL's patient path, the email as the URL carries it. */
const PLANTED: readonly string[] = [
  EMAIL, PHONE, SSN, NAME, STREET, ZIP, DOB, MRN, '00482913', IP, URL_WITH_EMAIL, 'patients/48213', USER_ID,
];

/** Properties holding each planted value in a field named for it (how apps send them). */
const PROPS = {
  email: EMAIL,
  phone: PHONE,
  ssn: SSN,
  full_name: NAME,
  address: STREET,
  zip: ZIP,
  dob: DOB,
  note: `Chart ${MRN}`,
  ip: IP,
  page_url: URL_WITH_EMAIL,
  plan: 'pro',
};

// ---------------------------------------------------------------------------------------------
// Searching: every view of a text in which a planted value could hide

// The views of a text in which a planted value could hide, and a value's wire forms, are the
// soak's (test/soak/lib/search.js): one implementation for both searches.

/**
 * The planted values that occur in a text, each with a little context. A digits-only value (the
 * ZIP) must stand alone: `02139` inside a hash, a latency or a longer number is no leak.
 */
function occurrences(input: Buffer | string, planted: readonly string[]): { value: string; context: string }[] {
  const found = new Map<string, { value: string; context: string }>();
  for (const view of views(input)) {
    const lower = view.toLowerCase();
    for (const value of planted) {
      for (const form of forms(value)) {
        const re = /^\d+$/.test(form) ? new RegExp(`(?<![0-9A-Za-z])${form}(?![0-9])`) : undefined;
        const at = re ? (re.exec(lower)?.index ?? -1) : lower.indexOf(form);
        if (at >= 0 && !found.has(value)) found.set(value, { value, context: view.slice(Math.max(0, at - 60), at + form.length + 30) });
      }
    }
  }
  return [...found.values()];
}

/** Planted values in a labelled source, as readable failure lines (empty: no leak). */
function leaksIn(label: string, input: Buffer | string, planted: readonly string[] = PLANTED): string[] {
  return occurrences(input, planted).map((o) => `${label}: ${JSON.stringify(o.value)} in …${o.context}…`);
}

/** Every file and directory under `dir`, recursively: its relative name and, for a file, its bytes. */
function entriesUnder(dir: string): { name: string; bytes: Buffer | undefined }[] {
  const out: { name: string; bytes: Buffer | undefined }[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const name = path.relative(dir, full);
    if (entry.isDirectory()) {
      out.push({ name, bytes: undefined });
      for (const inner of entriesUnder(full)) out.push({ name: path.join(entry.name, inner.name), bytes: inner.bytes });
    } else {
      out.push({ name, bytes: fs.readFileSync(full) });
    }
  }
  return out;
}

/** Planted values in any file name or file content under `dir` (gzip and base64 inside undone). */
function leaksUnderDir(dir: string, planted: readonly string[] = PLANTED): string[] {
  return entriesUnder(dir).flatMap((e) => [
    ...leaksIn(`name of ${path.join(dir, e.name)}`, e.name, planted),
    ...(e.bytes === undefined ? [] : leaksIn(`content of ${path.join(dir, e.name)}`, e.bytes, planted)),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Servers and requests

interface Recorded { method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer }

/** A vendor stand-in: records every request, answers 200 `{"status":1}` (never echoing anything). */

async function startRecorder(): Promise<{ url: string; requests: Recorded[]; close(): Promise<void> }> {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":1}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

interface Req { method: string; path: string; headers?: Record<string, string>; body?: Buffer | string; chunked?: boolean }
interface Sent { format: string; kind: 'good' | 'broken'; label: string; req: Req; status: number; headers: http.IncomingHttpHeaders; body: Buffer }

/** Sends the path exactly as written (no URL normalisation); `chunked` sends no Content-Length. */
function send(base: string, r: Req): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const headers = { ...(r.headers ?? {}), ...(r.chunked ? { 'transfer-encoding': 'chunked' } : {}) };
    const req = http.request({ host: hostname, port: Number(port), method: r.method, path: r.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (r.body !== undefined && r.chunked) {
      const body = Buffer.from(r.body);
      for (let i = 0; i < body.length; i += 16_384) req.write(body.subarray(i, i + 16_384));
      req.end();
    } else {
      req.end(r.body);
    }
  });
}

const gz = (v: unknown): Buffer => zlib.gzipSync(typeof v === 'string' ? v : JSON.stringify(v));
const b64 = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64');
const b64url = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
const query = (params: Record<string, string>): string => Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
const JSON_TYPE = { 'content-type': 'application/json' };
const TEXT = { 'content-type': 'text/plain' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const GZIP_JSON = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
/** Queried on a valid request: unknown keys holding planted values. */
const UNKNOWN_QUERY = `xq=${encodeURIComponent(EMAIL)}&xr=${encodeURIComponent(SSN)}`;
const MAX_BODY = 65_536;

// ---------------------------------------------------------------------------------------------
// Each format: its route, its real wire shapes carrying the planted values, and where its
// broken requests go.

interface FormatCase {
  format: string;
  prefix: string;
  /** Valid requests in the SDKs' shapes; each must be answered 2xx. */
  good: Req[];
  /** A valid request with the unknown query keys appended. */
  withUnknownQuery: Req;
  /** Where a malformed / truncated / oversized body goes, and its content type. */
  post: { path: string; headers: Record<string, string> };
  /** Malformed JSON holding planted values (in the format's own wrapper). */
  malformed: string;
  /** A valid body whose gzip is cut short. */
  gzipped: unknown;
}

const ANON_B64 = b64(USER_ID);
const ph = {
  api_key: 'phc_testtoken',
  batch: [{
    event: 'appointment_booked', uuid: '0190a1b2-0000-7000-8000-000000000001',
    properties: { distinct_id: USER_ID, $current_url: URL_WITH_EMAIL, $ip: IP, [EMAIL]: true, ...PROPS },
    $set: { email: EMAIL, name: NAME, phone: PHONE },
  }],
  sent_at: '2026-11-22T08:36:14.611Z',
};
const seg = { type: 'track', event: 'Booked', userId: USER_ID, properties: PROPS, context: { ip: IP, page: { url: URL_WITH_EMAIL } }, messageId: 'm1', writeKey: 'wk1' };
const segIdentify = { type: 'identify', userId: USER_ID, traits: { name: NAME, email: EMAIL, phone: PHONE, address: { street: STREET, postalCode: ZIP }, birthday: DOB, note: `Chart ${MRN}`, ssn: SSN }, messageId: 'm2' };
const rs = { userId: USER_ID, type: 'identify', channel: 'web', anonymousId: USER_ID, messageId: 'r1', context: { traits: { name: NAME, ...PROPS }, ip: IP, page: { url: URL_WITH_EMAIL } } };
const rsBatch = { batch: [{ userId: USER_ID, event: 'Booked', type: 'track', channel: 'server', messageId: 'r2', properties: PROPS }], sentAt: '2026-11-22T08:36:14.700Z' };
const mpEvents = [{ event: 'Appointment Booked', properties: { distinct_id: USER_ID, token: 'mp_token', $current_url: URL_WITH_EMAIL, ...PROPS } }];
const mpEngage = { $token: 'mp_token', $distinct_id: USER_ID, $ip: IP, $set: { $email: EMAIL, $name: NAME, $phone: PHONE, address: STREET, zip: ZIP, dob: DOB, ssn: SSN, note: `Chart ${MRN}` } };
const ampUpload = {
  api_key: 'amp_api_key',
  events: [{ user_id: USER_ID, device_id: 'dev-1', event_type: 'Booked', event_properties: PROPS, user_properties: { email: EMAIL, full_name: NAME, phone: PHONE }, ip: IP, insert_id: 'i1' }],
  client_upload_time: '2026-11-22T08:36:14.611Z',
};
const ampLegacyE = JSON.stringify([{ user_id: USER_ID, device_id: 'dev-2', event_type: 'Page', event_properties: PROPS, ip: IP }]);
const ampLegacy = query({ client: 'amp_api_key', e: ampLegacyE, v: '2', upload_time: '1795336768800', checksum: createHash('md5').update(`2amp_api_key${ampLegacyE}1795336768800`).digest('hex') });
const gaShared = query({ v: '2', tid: 'G-ABC123XYZ9', cid: '1234567890.1731234567', _p: '1731234567890', sid: '1731234567', dl: URL_WITH_EMAIL, uid: USER_ID, _uip: IP, 'up.email': EMAIL, 'up.full_name': NAME });
const gaLine = query({ en: 'appointment_booked', ...Object.fromEntries(Object.entries(PROPS).map(([k, v]) => [`ep.${k}`, v])), _et: '5021' });
const gaMp = { client_id: '1234567890.1731234567', user_id: USER_ID, ip_override: IP, user_properties: { email: { value: EMAIL }, full_name: { value: NAME } }, events: [{ name: 'booked', params: PROPS }] };
const plausible = { n: 'Booked', v: 36, u: URL_WITH_EMAIL, d: 'clinic.example.com', r: null, p: { ...PROPS, user_id: USER_ID } };
const SP_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4';
const spUnstruct = { schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0', data: { schema: 'iglu:com.acme/booked/jsonschema/1-0-0', data: PROPS } };
const spContexts = { schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0', data: [{ schema: 'iglu:com.acme/patient/jsonschema/1-0-0', data: { full_name: NAME, email: EMAIL, dob: DOB } }] };
const spEvent = { e: 'ue', p: 'web', tv: 'js-4.10.1', aid: 'clinic', eid: 'e1', uid: USER_ID, ip: IP, url: URL_WITH_EMAIL, ue_px: b64url(spUnstruct), cx: b64url(spContexts) };
const spTp2 = { schema: SP_SCHEMA, data: [spEvent, { e: 'pv', p: 'web', tv: 'js-4.10.1', eid: 'e2', url: URL_WITH_EMAIL, co: JSON.stringify(spContexts) }] };
const spPixel = query({ e: 'se', p: 'web', tv: 'js-4.10.1', eid: 'e3', se_ca: 'booking', se_la: EMAIL, uid: USER_ID, url: URL_WITH_EMAIL, ue_px: b64url(spUnstruct), cx: b64url(spContexts) });
const mtCvar = JSON.stringify({ 1: ['email', EMAIL], 2: ['full_name', NAME], 3: ['phone', PHONE], 4: ['address', STREET], 5: ['zip', ZIP], 6: ['dob', DOB], 7: ['ssn', SSN], 8: ['note', `Chart ${MRN}`], 9: ['plan', 'pro'] });
const mtHit = query({ idsite: '1', rec: '1', action_name: 'Booking', url: URL_WITH_EMAIL, uid: USER_ID, _id: '3a8ff93019bdfae2', cip: IP, _cvar: mtCvar, send_image: '0' });

const CASES: FormatCase[] = [
  {
    format: 'posthog', prefix: '/ph',
    good: [
      { method: 'POST', path: '/ph/e/', headers: TEXT, body: gz(ph) },
      { method: 'POST', path: '/ph/e/?compression=base64', headers: FORM, body: `data=${encodeURIComponent(b64(ph))}` },
      { method: 'POST', path: '/ph/e/?compression=lz64', headers: FORM, body: `data=${encodeURIComponent(LZString.compressToBase64(JSON.stringify(ph)))}&compression=lz64` },
      { method: 'POST', path: '/ph/batch/', headers: GZIP_JSON, body: gz(ph) },
      { method: 'GET', path: `/ph/e/?data=${encodeURIComponent(b64(ph.batch[0]))}` },
      { method: 'POST', path: '/ph/flags/?v=2', headers: TEXT, body: gz({ token: 'phc_testtoken', distinct_id: USER_ID, person_properties: { email: EMAIL, name: NAME, phone: PHONE, $current_url: URL_WITH_EMAIL } }) },
    ],
    withUnknownQuery: { method: 'POST', path: `/ph/e/?${UNKNOWN_QUERY}`, headers: JSON_TYPE, body: JSON.stringify(ph) },
    post: { path: '/ph/e/', headers: JSON_TYPE },
    malformed: `{"api_key":"phc_testtoken","batch":[{"event":"x","properties":{"email":"${EMAIL}","ssn":"${SSN}","name":"${NAME}"`,
    gzipped: ph,
  },
  {
    format: 'segment', prefix: '/seg',
    good: [
      { method: 'POST', path: '/seg/v1/t', headers: { ...TEXT, authorization: `Basic ${b64('wk1:')}` }, body: JSON.stringify(seg) },
      { method: 'POST', path: '/seg/v1/i', headers: TEXT, body: JSON.stringify({ ...segIdentify, writeKey: 'wk1' }) },
      { method: 'POST', path: '/seg/v1/batch', headers: { ...GZIP_JSON, authorization: `Basic ${b64('wk1:')}` }, body: gz({ batch: [seg, segIdentify], writeKey: 'wk1', sentAt: '2026-11-22T08:36:14.611Z' }) },
    ],
    withUnknownQuery: { method: 'POST', path: `/seg/v1/t?${UNKNOWN_QUERY}`, headers: TEXT, body: JSON.stringify(seg) },
    post: { path: '/seg/v1/batch', headers: JSON_TYPE },
    malformed: `{"batch":[{"type":"identify","traits":{"email":"${EMAIL}","ssn":"${SSN}","name":"${NAME}"`,
    gzipped: { batch: [segIdentify] },
  },
  {
    format: 'rudderstack', prefix: '/rs',
    good: [
      { method: 'POST', path: '/rs/v1/identify', headers: { 'content-type': 'application/json;charset=UTF-8', authorization: `Basic ${b64('wk1:')}`, anonymousid: ANON_B64 }, body: JSON.stringify(rs) },
      { method: 'POST', path: '/rs/v1/batch', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip', authorization: `Basic ${b64('wk1:')}` }, body: gz(rsBatch) },
      { method: 'POST', path: '/rs/beacon/v1/batch?writeKey=wk1', headers: { 'content-type': 'text/plain;charset=UTF-8' }, body: JSON.stringify({ batch: [rs], sentAt: '2026-11-22T08:36:14.700Z' }) },
    ],
    withUnknownQuery: { method: 'POST', path: `/rs/v1/identify?${UNKNOWN_QUERY}`, headers: { ...JSON_TYPE, anonymousid: ANON_B64 }, body: JSON.stringify(rs) },
    post: { path: '/rs/v1/batch', headers: JSON_TYPE },
    malformed: `{"batch":[{"type":"identify","context":{"traits":{"email":"${EMAIL}","ssn":"${SSN}","name":"${NAME}"`,
    gzipped: rsBatch,
  },
  {
    format: 'mixpanel', prefix: '/mp',
    good: [
      { method: 'POST', path: '/mp/track/?ip=1&_=1795336751021&verbose=1', headers: FORM, body: `data=${encodeURIComponent(b64(mpEvents))}` },
      { method: 'POST', path: '/mp/track/?ip=1', headers: { 'content-type': 'text/plain;charset=UTF-8' }, body: `data=${encodeURIComponent(JSON.stringify(mpEvents))}` },
      { method: 'GET', path: `/mp/engage?ip=0&verbose=0&data=${encodeURIComponent(b64(mpEngage))}` },
      { method: 'POST', path: '/mp/import?strict=1', headers: GZIP_JSON, body: gz(mpEvents) },
    ],
    withUnknownQuery: { method: 'POST', path: `/mp/track/?ip=1&${UNKNOWN_QUERY}`, headers: FORM, body: `data=${encodeURIComponent(b64(mpEvents))}` },
    post: { path: '/mp/import', headers: JSON_TYPE },
    malformed: `[{"event":"x","properties":{"email":"${EMAIL}","ssn":"${SSN}","name":"${NAME}"`,
    gzipped: mpEvents,
  },
  {
    format: 'amplitude', prefix: '/amp',
    good: [
      { method: 'POST', path: '/amp/2/httpapi', headers: JSON_TYPE, body: JSON.stringify(ampUpload) },
      { method: 'POST', path: '/amp/2/httpapi', headers: GZIP_JSON, body: gz(ampUpload) },
      { method: 'POST', path: '/amp/batch', headers: { 'content-type': 'text/plain;charset=UTF-8' }, body: JSON.stringify(ampUpload) },
      { method: 'POST', path: '/amp/', headers: FORM, body: ampLegacy },
    ],
    withUnknownQuery: { method: 'POST', path: `/amp/2/httpapi?${UNKNOWN_QUERY}`, headers: JSON_TYPE, body: JSON.stringify(ampUpload) },
    post: { path: '/amp/2/httpapi', headers: JSON_TYPE },
    malformed: `{"api_key":"k","events":[{"user_id":"${USER_ID}","event_properties":{"email":"${EMAIL}","ssn":"${SSN}","name":"${NAME}"`,
    gzipped: ampUpload,
  },
  {
    format: 'ga4', prefix: '/ga',
    good: [
      { method: 'POST', path: `/ga/g/collect?${gaShared}`, headers: TEXT, body: `${gaLine}\r\n${query({ en: 'scroll', 'ep.percent_scrolled': '90' })}` },
      { method: 'GET', path: `/ga/g/collect?${gaShared}&${gaLine}` },
      { method: 'POST', path: '/ga/mp/collect?measurement_id=G-ABC123XYZ9&api_secret=secret_123456', headers: JSON_TYPE, body: JSON.stringify(gaMp) },
    ],
    withUnknownQuery: { method: 'POST', path: `/ga/g/collect?${gaShared}&${UNKNOWN_QUERY}`, headers: TEXT, body: gaLine },
    post: { path: '/ga/mp/collect?measurement_id=G-ABC123XYZ9&api_secret=secret_123456', headers: JSON_TYPE },
    malformed: `{"client_id":"1.2","user_id":"${USER_ID}","events":[{"name":"x","params":{"email":"${EMAIL}","ssn":"${SSN}","name":"${NAME}"`,
    gzipped: gaMp,
  },
  {
    format: 'plausible', prefix: '/pl',
    good: [
      { method: 'POST', path: '/pl/api/event', headers: TEXT, body: JSON.stringify(plausible) },
      { method: 'POST', path: '/pl/api/event', headers: { ...TEXT, 'x-forwarded-for': IP }, body: JSON.stringify({ ...plausible, n: 'pageview', p: undefined, m: JSON.stringify(PROPS) }) },
    ],
    withUnknownQuery: { method: 'POST', path: `/pl/api/event?${UNKNOWN_QUERY}`, headers: TEXT, body: JSON.stringify(plausible) },
    post: { path: '/pl/api/event', headers: TEXT },
    malformed: `{"n":"Booked","u":"${URL_WITH_EMAIL}","d":"clinic.example.com","p":{"email":"${EMAIL}","ssn":"${SSN}","name":"${NAME}"`,
    gzipped: plausible,
  },
  {
    format: 'snowplow', prefix: '/sp',
    good: [
      { method: 'POST', path: '/sp/com.snowplowanalytics.snowplow/tp2', headers: { 'content-type': 'application/json; charset=UTF-8' }, body: JSON.stringify(spTp2) },
      { method: 'POST', path: '/sp/com.snowplowanalytics.snowplow/tp2', headers: { ...GZIP_JSON }, body: gz(spTp2) },
      { method: 'GET', path: `/sp/i?${spPixel}` },
    ],
    withUnknownQuery: { method: 'GET', path: `/sp/i?${spPixel}&${UNKNOWN_QUERY}` },
    post: { path: '/sp/com.snowplowanalytics.snowplow/tp2', headers: JSON_TYPE },
    malformed: `{"schema":"${SP_SCHEMA}","data":[{"e":"ue","uid":"${USER_ID}","se_la":"${EMAIL}","ssn":"${SSN}","name":"${NAME}"`,
    gzipped: spTp2,
  },
  {
    format: 'matomo', prefix: '/mt',
    good: [
      { method: 'GET', path: `/mt/matomo.php?${mtHit}` },
      { method: 'POST', path: `/mt/matomo.php?${mtHit}`, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' }, body: '' },
      { method: 'POST', path: '/mt/piwik.php', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' }, body: mtHit },
      { method: 'POST', path: '/mt/matomo.php', headers: JSON_TYPE, body: JSON.stringify({ requests: [`?${mtHit}`, `?${mtHit.replace('action_name=Booking', 'action_name=Follow-up')}`] }) },
    ],
    withUnknownQuery: { method: 'GET', path: `/mt/matomo.php?${mtHit}&${UNKNOWN_QUERY}` },
    post: { path: '/mt/matomo.php', headers: JSON_TYPE },
    malformed: `{"requests":["?idsite=1&uid=${USER_ID}&_cvar={\\"1\\":[\\"email\\",\\"${EMAIL}\\"]}&ssn=${SSN}&name=${NAME}"`,
    gzipped: { requests: [`?${mtHit}`] },
  },
];

/** The broken requests for a format: error paths that could echo what they refuse. */
function brokenRequests(c: FormatCase): { label: string; req: Req }[] {
  const oversized = JSON.stringify({ note: `${EMAIL} ${SSN} ${NAME} ${PHONE} `.repeat(Math.ceil((MAX_BODY + 1024) / 60)) });
  return [
    { label: 'malformed JSON', req: { method: 'POST', path: c.post.path, headers: c.post.headers, body: c.malformed } },
    { label: 'truncated gzip (Content-Encoding)', req: { method: 'POST', path: c.post.path, headers: { ...c.post.headers, 'content-encoding': 'gzip' }, body: gz(c.gzipped).subarray(0, 40) } },
    { label: 'truncated gzip (magic bytes only)', req: { method: 'POST', path: c.post.path, headers: c.post.headers, body: gz(c.gzipped).subarray(0, 40) } },
    { label: 'body over the limit (Content-Length)', req: { method: 'POST', path: c.post.path, headers: c.post.headers, body: oversized } },
    { label: 'body over the limit (chunked)', req: { method: 'POST', path: c.post.path, headers: c.post.headers, body: oversized, chunked: true } },
    { label: 'unknown path holding an email', req: { method: 'POST', path: `${c.prefix}/e/${EMAIL}`, headers: JSON_TYPE, body: '{}' } },
    { label: 'unknown path holding an SSN and a name', req: { method: 'GET', path: `${c.prefix}/v1/${SSN}/${encodeURIComponent(NAME)}?${UNKNOWN_QUERY}` } },
  ];
}

/** Known paths whose free segment (asset name, flag key) holds an SSN or a phone number. */
const PASSTHROUGH_PROBES: Req[] = [
  { method: 'GET', path: `/ph/static/${SSN}.js` },
  { method: 'GET', path: `/ph/static/${PHONE}/recorder.js` },
  { method: 'GET', path: `/pl/js/${SSN}.js` },
  { method: 'GET', path: `/seg/analytics-next/bundles/${PHONE}.js` },
  { method: 'POST', path: `/mp/flags/${SSN}/first-time-events`, headers: JSON_TYPE, body: '{}' },
];

// ---------------------------------------------------------------------------------------------

describe('no side doors: nothing the proxy writes or answers holds a value it scrubs', () => {
  const recorders = new Map<string, Awaited<ReturnType<typeof startRecorder>>>();
  const sent: Sent[] = [];
  let stateDir: string; // config and audit trail: searched
  let vaultDir: string; // the token vault, PHI at rest by design: not searched, the positive control
  let proxy: RunningProxy | undefined;
  let logText = '';
  let sinkText = '';
  let metricsText = '';
  let readyText = '';
  /** Request ids of the passthrough probes (known paths with a free segment holding a planted value). */
  const passthroughIds = new Map<string, string>();
  /** What each format's upstream received from the main traffic (before the passthrough probes). */
  const forwarded = new Map<string, Recorded[]>();

  /**
   * Directories whose every file name and content is searched. Add a directory here when the
   * proxy starts writing one (e.g. the spool's `dir`).
   */
  const searchedDirs = (): string[] => [stateDir];

  beforeAll(async () => {
    for (const c of CASES) recorders.set(c.format, await startRecorder());
    stateDir = tempDir('phi-proxy-side-doors-');
    vaultDir = tempDir('phi-proxy-side-doors-vault-');
    const configFile = path.join(stateDir, 'config.yaml');
    fs.writeFileSync(configFile, [
      `upstream: ${recorders.get('posthog')!.url}`,
      `vault: { path: ${JSON.stringify(path.join(vaultDir, 'vault.jsonl'))} }`,
      'audit: { path: audit.jsonl, window_seconds: 1 }',
      `limits: { max_body_bytes: ${MAX_BODY} }`,
      // With a spool every route forwards through it; the /down route's upstream is a closed port,
      // so its requests stay spooled on disk and are searched like every other file.
      'spool: { dir: spool, retry_initial_ms: 60000 }',
      'routes:',
      `  - { prefix: /down, upstream: http://127.0.0.1:${await freePort()}, format: posthog }`,
      ...CASES.map((c) => `  - { prefix: ${c.prefix}, upstream: ${recorders.get(c.format)!.url}, format: ${c.format} }`),
      '',
    ].join('\n'));
    const logs = new PassThrough();
    logs.on('data', (d: Buffer) => (logText += d.toString('utf8')));
    const sink = new PassThrough();
    sink.on('data', (d: Buffer) => (sinkText += d.toString('utf8')));
    proxy = await startProxy({
      configFile, overrides: { port: 0, host: '127.0.0.1', logLevel: 'debug' }, logDestination: logs, sinkOutput: sink, metricsRegistry: new Registry(),
    });

    for (const c of CASES) {
      for (const req of [...c.good, c.withUnknownQuery]) sent.push({ format: c.format, kind: 'good', label: `${req.method} ${req.path.slice(0, 40)}`, req, ...(await send(proxy.url, req)) });
      for (const { label, req } of brokenRequests(c)) sent.push({ format: c.format, kind: 'broken', label, req, ...(await send(proxy.url, req)) });
    }
    const posthog = CASES.find((c) => c.format === 'posthog')!;
    for (const req of posthog.good.filter((r) => !/\/(?:flags|decide)\//.test(r.path))) { // flags need the live answer: never spooled
      const down = { ...req, path: req.path.replace(/^\/ph/, '/down') };
      sent.push({ format: 'posthog (spooled)', kind: 'good', label: `${req.method} ${down.path.slice(0, 40)}`, req: down, ...(await send(proxy.url, down)) });
    }
    // Unknown paths on the root route too.
    for (const p of [`/${EMAIL}`, `/e/${EMAIL}`, `/patients/${USER_ID}/${SSN}?email=${encodeURIComponent(EMAIL)}`]) {
      sent.push({ format: 'root', kind: 'broken', label: `unknown ${p}`, req: { method: 'GET', path: p }, ...(await send(proxy.url, { method: 'GET', path: p })) });
    }
    for (const c of CASES) forwarded.set(c.format, recorders.get(c.format)!.requests.slice());
    // Known passthrough (and flag) paths with a free segment: a client may put anything of that
    // alphabet there, an SSN or a phone number too. Kept apart from `sent`: see their own test.
    for (const r of PASSTHROUGH_PROBES) passthroughIds.set(`${r.method} ${r.path}`, String((await send(proxy.url, r)).headers['x-request-id']));
    metricsText = (await send(proxy.url, { method: 'GET', path: '/metrics' })).body.toString('utf8');
    readyText = (await send(proxy.url, { method: 'GET', path: '/readyz' })).body.toString('utf8');
    await proxy.close(); // flushes the audit trail
    proxy = undefined;
  });

  afterAll(async () => {
    await proxy?.close();
    for (const r of recorders.values()) await r.close();
  });

  it('the search finds a planted value in every encoding it undoes', () => {
    const hidden = [
      EMAIL.toUpperCase(), encodeURIComponent(EMAIL), `x=${NAME.replace(' ', '+')}`, `{"a":"\\u006a${EMAIL.slice(1)}"}`,
      `data=${encodeURIComponent(b64({ email: EMAIL }))}`, b64url({ e: EMAIL }), zlib.gzipSync(`{"email":"${EMAIL}"}`).toString('base64'),
    ];
    for (const text of hidden) expect({ text, found: occurrences(text, [EMAIL, NAME]).length }).toEqual({ text, found: 1 });
    expect(occurrences(zlib.gzipSync(`{"zip":"${ZIP}"}`), [ZIP])).toHaveLength(1);
    expect(occurrences(`"hash":"ab${ZIP}f","ms":0.${ZIP}4`, [ZIP])).toHaveLength(0);
  });

  it('sent every planted value to every format (the search finds them through gzip, base64, form and query encodings)', () => {
    for (const c of CASES) {
      const good = sent.filter((s) => s.format === c.format && s.kind === 'good');
      const found = new Set(good.flatMap((s) => [
        ...occurrences(`${s.req.path}\n${JSON.stringify(s.req.headers ?? {})}`, PLANTED),
        ...(s.req.body === undefined ? [] : occurrences(Buffer.from(s.req.body), PLANTED)),
      ]).map((o) => o.value));
      expect({ format: c.format, missing: PLANTED.filter((v) => !found.has(v)) }).toEqual({ format: c.format, missing: [] });
    }
  });

  it('answered every valid request 2xx and every broken one 4xx', () => {
    const wrong = sent.filter((s) => (s.kind === 'good' ? s.status < 200 || s.status > 299 : s.status < 400 || s.status > 499));
    expect(wrong.map((s) => `${s.format} ${s.kind} ${s.label}: ${s.status} ${s.body.toString('utf8').slice(0, 100)}`)).toEqual([]);
  });

  it('forwarded each format\'s valid requests to its upstream, scrubbed, and none of the broken ones', () => {
    for (const c of CASES) {
      const received = forwarded.get(c.format)!;
      expect({ format: c.format, forwarded: received.length }).toEqual({ format: c.format, forwarded: c.good.length + 1 });
      const leaks = received.flatMap((r, i) => [
        ...leaksIn(`${c.format} upstream request ${i} line`, `${r.method} ${r.url}`),
        ...leaksIn(`${c.format} upstream request ${i} headers`, JSON.stringify(r.headers)),
        ...leaksIn(`${c.format} upstream request ${i} body`, r.body),
      ]);
      expect(leaks).toEqual([]);
    }
  });

  it('keeps the token vault (PHI at rest, outside the searched directories) holding the pseudonymized id: the file search works', () => {
    expect(leaksUnderDir(vaultDir, [USER_ID]).length).toBeGreaterThan(0);
  });

  /** Log lines, without those of the passthrough probes (tested on their own below). */
  const logLines = (probes: boolean): string[] =>
    logText.split('\n').filter((l) => l !== '' && [...passthroughIds.values()].some((id) => l.includes(id)) === probes);

  it('writes no planted value into its logs, even at debug level', () => {
    expect(logLines(false).filter((l) => l.includes('"msg":"request"'))).toHaveLength(sent.length); // /metrics and /readyz are not logged
    expect(logText).toContain('"rules":{');
    expect(leaksIn('log', logLines(false).join('\n'))).toEqual([]);
    expect(leaksIn('inspection sink', sinkText)).toEqual([]);
  });

  it('writes no planted value into its logs for a known path whose free segment (asset name, flag key) holds one', () => {
    expect(passthroughIds.size).toBe(PASSTHROUGH_PROBES.length);
    expect(logLines(true)).toHaveLength(PASSTHROUGH_PROBES.length);
    expect(logLines(true).flatMap((line, i) => leaksIn(`log line ${i}`, line, [SSN, PHONE]))).toEqual([]);
  });

  it('answers errors without echoing the input', () => {
    const leaks = sent.flatMap((s) => [
      ...leaksIn(`${s.format} ${s.label}: response body`, s.body),
      ...leaksIn(`${s.format} ${s.label}: response headers`, JSON.stringify(s.headers)),
    ]);
    expect(leaks).toEqual([]);
  });

  it('exposes no planted value in /metrics or /readyz', () => {
    expect(metricsText).toContain('phi_proxy_');
    expect(readyText).toContain('"status":"ready"');
    expect(leaksIn('/metrics', metricsText)).toEqual([]);
    expect(leaksIn('/readyz', readyText)).toEqual([]);
  });

  it('writes no planted value into any file it keeps (audit trail included) or any file name', () => {
    const audit = fs.readFileSync(path.join(stateDir, 'audit.jsonl'), 'utf8');
    expect(audit).toContain('"findings"');
    const entries = searchedDirs().flatMap((d) => entriesUnder(d));
    expect(entries.length).toBeGreaterThan(1);
    expect(entries.filter((e) => e.name.endsWith('.req')).length).toBeGreaterThan(0); // the spool was written
    expect(searchedDirs().flatMap((d) => leaksUnderDir(d))).toEqual([]);
  });
});
