'use strict';
/**
 * The soak's traffic, one lane per format. Seven lanes run the vendor's real Node SDK from
 * node_modules, unchanged; an event counts as acknowledged when the SDK's own request for it got
 * a 2xx, observed where the SDK lets us see it without changing it:
 *   posthog      posthog-node: its `fetch` option, wrapped (uuids read from the request body)
 *   segment      @segment/analytics-node: FetchHTTPClient over a wrapped fetch (messageIds)
 *   rudderstack  @rudderstack/rudder-sdk-node: the per-message callback (called after the batch
 *                POST resolved, i.e. 2xx)
 *   amplitude    @amplitude/analytics-node: track().promise resolving with code 200
 *   mixpanel     mixpanel (node): track / track_batch callbacks without error (the SDK's
 *                success: the answer body is `1`)
 *   snowplow     @snowplow/node-tracker: onRequestSuccess (any 2xx, with the batch's payloads)
 *   matomo       matomo-tracker: the status of its request, seen through its `agent` (the http
 *                module it calls), wrapped
 * GA4 (gtag.js is not on npm) and Plausible (its npm tracker needs a browser) have no Node SDK:
 * their lanes replay the captured wire shapes of test/proxy/side-doors.test.ts with unique
 * insert ids, each request's 2xx counting as the acknowledgement. That is a load generator, not
 * an imitation of an SDK's behaviour (no retries, no queue).
 *
 * Every event carries the planted values of lib/search.js and a unique id the proxy keeps.
 */
const http = require('node:http');
const { PostHog } = require('posthog-node');
const { Analytics: SegmentAnalytics, FetchHTTPClient } = require('@segment/analytics-node');
const RudderModule = require('@rudderstack/rudder-sdk-node');
const { createInstance: createAmplitude } = require('@amplitude/analytics-node');
const Mixpanel = require('mixpanel');
const snowplow = require('@snowplow/node-tracker');
const MatomoTracker = require('matomo-tracker');
const { EMAIL, PHONE, SSN, NAME, STREET, ZIP, DOB, MRN, IP, URL_WITH_EMAIL, uniqueEmail, patientId, phiProps } = require('./search');

const RudderAnalytics = RudderModule.default ?? RudderModule;

/** An installed package's version (read from node_modules: not every package exports package.json). */
function versionOf(name) {
  const file = require('node:path').join(__dirname, '../../../node_modules', name, 'package.json');
  return JSON.parse(require('node:fs').readFileSync(file, 'utf8')).version;
}

/** Bytes of a fetch body (string, bytes or Blob), read before it is sent. */
async function bodyBytes(body) {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body.arrayBuffer === 'function') return Buffer.from(await body.arrayBuffer());
  return undefined;
}

function jsonOf(bytes) {
  let b = bytes;
  if (b.length > 1 && b[0] === 0x1f && b[1] === 0x8b) b = require('node:zlib').gunzipSync(b);
  return JSON.parse(b.toString('utf8'));
}

class Lane {
  constructor(format, sdk) {
    this.format = format;
    this.sdk = sdk;
    /** Events handed to the SDK (or replayed). */
    this.offered = 0;
    /** Ids of events whose request was answered 2xx. */
    this.acked = new Set();
    /** Requests (or callbacks) the SDK saw fail; its events stay the SDK's to retry or drop. */
    this.failures = 0;
    this.errors = [];
  }

  fail(err) {
    this.failures++;
    if (this.errors.length < 5) this.errors.push(String(err?.message ?? err).slice(0, 160));
  }

  ack(ids) {
    for (const id of ids) if (typeof id === 'string' && id !== '') this.acked.add(id);
  }

  /** Called every tick (100 ms) with the events due: batching lanes send when full or old. */
  tick() {}
}

/** A fetch wrapper: on a 2xx, `onOk(bytes)` learns what the request carried. */
function observedFetch(lane, onOk) {
  return async (url, init) => {
    const bytes = await bodyBytes(init?.body);
    let response;
    try {
      response = await fetch(url, init);
    } catch (err) {
      lane.fail(err);
      throw err;
    }
    if (response.ok && bytes !== undefined) {
      try {
        onOk(bytes);
      } catch (err) {
        lane.fail(`unreadable body of an acknowledged request: ${err.message}`);
      }
    } else if (!response.ok) {
      lane.fail(`status ${response.status}`);
    }
    return response;
  };
}

// ---------------------------------------------------------------------------------------------
// Real SDKs

function posthogLane(base) {
  const lane = new Lane('posthog', `posthog-node ${versionOf('posthog-node')}`);
  const fetchFn = observedFetch(lane, (bytes) => {
    const j = jsonOf(bytes);
    lane.ack((Array.isArray(j) ? j : j.batch ?? [j]).map((e) => e.uuid));
  });
  const client = new PostHog('phc_soak', { host: `${base}/ph`, flushAt: 5, flushInterval: 300, requestTimeout: 10_000, fetchRetryCount: 3, fetchRetryDelay: 500, fetch: fetchFn });
  client.on('error', (err) => lane.fail(err));
  lane.event = (n) => {
    lane.offered++;
    client.capture({
      distinctId: patientId(n),
      event: n % 4 === 0 ? '$pageview' : 'appointment_booked',
      properties: { ...phiProps(n), $current_url: URL_WITH_EMAIL, $ip: IP, $set: { email: uniqueEmail(n), name: NAME, phone: PHONE } },
    });
  };
  lane.close = () => client.shutdown(15_000);
  return lane;
}

function segmentLane(base) {
  const lane = new Lane('segment', `@segment/analytics-node ${versionOf('@segment/analytics-node')}`);
  const fetchFn = observedFetch(lane, (bytes) => {
    const j = jsonOf(bytes);
    lane.ack((j.batch ?? [j]).map((e) => e.messageId));
  });
  const analytics = new SegmentAnalytics({ writeKey: 'seg_wk_soak', host: base, path: '/seg/v1/batch', maxEventsInBatch: 5, flushInterval: 300, maxRetries: 3, httpClient: new FetchHTTPClient(fetchFn) });
  analytics.on('error', (err) => lane.fail(err?.reason ?? err));
  const context = { ip: IP, page: { url: URL_WITH_EMAIL, title: 'Chart' } };
  lane.event = (n) => {
    lane.offered++;
    if (n % 5 === 0) {
      analytics.identify({ userId: patientId(n), traits: { name: NAME, email: uniqueEmail(n), phone: PHONE, address: { street: STREET, postalCode: ZIP }, birthday: DOB, note: `Chart ${MRN}`, ssn: SSN }, context });
    } else {
      analytics.track({ userId: patientId(n), event: 'Appointment Booked', properties: phiProps(n), context });
    }
  };
  lane.close = () => analytics.closeAndFlush({ timeout: 15_000 });
  return lane;
}

function rudderstackLane(base, runTag) {
  const lane = new Lane('rudderstack', `@rudderstack/rudder-sdk-node ${versionOf('@rudderstack/rudder-sdk-node')}`);
  const rudder = new RudderAnalytics('2RsWriteKeySoak0123456789ab', { dataPlaneUrl: `${base}/rs`, flushAt: 5, flushInterval: 300, retryCount: 3, logLevel: 'error', errorHandler: () => undefined });
  lane.event = (n) => {
    lane.offered++;
    const messageId = `rs-${runTag}-${n}`;
    const done = (err) => (err ? lane.fail(err) : lane.ack([messageId]));
    const context = { ip: IP, page: { url: URL_WITH_EMAIL } };
    if (n % 5 === 0) rudder.identify({ userId: patientId(n), messageId, context: { ...context, traits: { name: NAME, email: uniqueEmail(n), phone: PHONE, ssn: SSN, address: { street: STREET, postalCode: ZIP } } } }, done);
    else rudder.track({ userId: patientId(n), event: 'Appointment Booked', properties: phiProps(n), messageId, context }, done);
  };
  lane.close = () => new Promise((resolve) => rudder.flush(() => resolve()));
  return lane;
}

function amplitudeLane(base, runTag) {
  const lane = new Lane('amplitude', `@amplitude/analytics-node ${versionOf('@amplitude/analytics-node')}`);
  const amp = createAmplitude();
  amp.init('amp_soak_api_key', { serverUrl: `${base}/amp/2/httpapi`, flushQueueSize: 5, flushIntervalMillis: 300, logLevel: 0 });
  lane.event = (n) => {
    lane.offered++;
    const insert_id = `amp-${runTag}-${n}`;
    amp
      .track('Appointment Booked', phiProps(n), { user_id: patientId(n), device_id: `soak-device-${n % 40}`, ip: IP, insert_id })
      .promise.then((r) => (r.code === 200 ? lane.ack([r.event?.insert_id ?? insert_id]) : lane.fail(`code ${r.code} ${r.message}`)), (err) => lane.fail(err));
  };
  lane.close = () => amp.flush().promise;
  return lane;
}

function mixpanelLane(base, runTag) {
  const lane = new Lane('mixpanel', `mixpanel ${versionOf('mixpanel')}`);
  const { host } = new URL(base);
  const mp = Mixpanel.init('mp_soak_token', { host, protocol: 'http', path: '/mp', keepAlive: true });
  let batch = [];
  let since = Date.now();
  let inflight = 0;
  const send = () => {
    if (batch.length === 0) return;
    const events = batch;
    batch = [];
    since = Date.now();
    inflight++;
    mp.track_batch(events, (errors) => {
      inflight--;
      const failed = (Array.isArray(errors) ? errors : [errors]).filter(Boolean);
      if (failed.length > 0) lane.fail(failed[0]);
      else lane.ack(events.map((e) => e.properties.$insert_id));
    });
  };
  lane.event = (n) => {
    lane.offered++;
    const properties = { distinct_id: patientId(n), $insert_id: `mp-${runTag}-${n}`, $current_url: URL_WITH_EMAIL, ...phiProps(n) };
    if (n % 4 === 0) {
      // one event per request: GET /track?data=
      inflight++;
      mp.track('Appointment Booked', properties, (err) => {
        inflight--;
        if (err) lane.fail(err);
        else lane.ack([properties.$insert_id]);
      });
      return;
    }
    batch.push({ event: 'Appointment Booked', properties });
    if (batch.length >= 5) send();
  };
  lane.tick = () => {
    if (Date.now() - since >= 300) send();
  };
  lane.close = async () => {
    send();
    const deadline = Date.now() + 15_000;
    while (inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  };
  return lane;
}

function snowplowLane(base) {
  const lane = new Lane('snowplow', `@snowplow/node-tracker ${versionOf('@snowplow/node-tracker')}`);
  const { port } = new URL(base);
  const tracker = snowplow.newTracker(
    { namespace: 'soak', appId: 'clinic-server' },
    {
      endpoint: '127.0.0.1', port: Number(port), protocol: 'http', eventMethod: 'post', postPath: '/sp/com.snowplowanalytics.snowplow/tp2', bufferSize: 5,
      onRequestSuccess: (batch) => lane.ack(batch.map((p) => p.eid)),
      onRequestFailure: (f) => lane.fail(`status ${f?.status} ${f?.message ?? ''}`),
    },
  );
  let since = Date.now();
  lane.event = (n) => {
    lane.offered++;
    tracker.setUserId(patientId(n));
    if (n % 3 === 0) {
      tracker.track(snowplow.buildStructEvent({ category: 'appointment', action: 'book', label: uniqueEmail(n), property: `SSN ${SSN}, phone ${PHONE}`, value: 3 }));
    } else {
      tracker.track(
        snowplow.buildSelfDescribingEvent({ event: { schema: 'iglu:com.acme/booked/jsonschema/1-0-0', data: phiProps(n) } }),
        [{ schema: 'iglu:com.acme/patient/jsonschema/1-0-0', data: { full_name: NAME, email: uniqueEmail(n), dob: DOB, tier: 'gold' } }],
      );
    }
  };
  // bufferSize sends every 5 events; a quiet lane is flushed after 300 ms, as a server app would.
  lane.tick = () => {
    if (Date.now() - since >= 300) {
      since = Date.now();
      void tracker.flush();
    }
  };
  lane.close = () => tracker.flush();
  return lane;
}

function matomoLane(base) {
  const lane = new Lane('matomo', `matomo-tracker ${versionOf('matomo-tracker')}`);
  const tracker = new MatomoTracker(1, `${base}/mt/matomo.php`);
  tracker.on('error', (err) => lane.fail(err));
  // The tracker calls `this.agent.get / .request` (the http module): the same calls, observed.
  let sending;
  let inflight = 0;
  const settle = (ids, status) => {
    inflight--;
    if (status >= 200 && status < 300) lane.ack(ids);
  };
  tracker.agent = {
    get: (url, cb) => {
      const ids = sending;
      inflight++;
      const req = http.get(url, (res) => {
        res.resume(); // the tracker never reads a GET's answer
        res.on('end', () => settle(ids, res.statusCode));
        cb(res);
      });
      req.on('error', () => inflight--);
      return req;
    },
    request: (options, cb) => {
      const ids = sending;
      inflight++;
      const req = http.request(options, (res) => {
        res.on('end', () => settle(ids, res.statusCode));
        cb(res);
      });
      req.on('error', () => inflight--);
      return req;
    },
  };
  const hit = (n) => ({
    url: URL_WITH_EMAIL,
    action_name: 'Booking',
    uid: patientId(n),
    _id: (n % 40).toString(16).padStart(16, 'a'),
    cip: IP,
    pv_id: n.toString(36).padStart(6, '0').slice(-6),
    _cvar: JSON.stringify({ 1: ['email', EMAIL], 2: ['full_name', NAME], 3: ['phone', PHONE], 4: ['address', STREET], 5: ['zip', ZIP], 6: ['dob', DOB], 7: ['ssn', SSN], 8: ['note', `Chart ${MRN}`], 9: ['contact', uniqueEmail(n)], 10: ['plan', 'pro'] }),
    e_c: 'Booking', e_a: 'book', e_n: `call back ${PHONE}`,
    send_image: 0,
  });
  let batch = [];
  let since = Date.now();
  const send = () => {
    if (batch.length === 0) return;
    const hits = batch;
    batch = [];
    since = Date.now();
    sending = hits.map((h) => h.pv_id);
    tracker.trackBulk(hits, () => undefined);
    sending = undefined;
  };
  lane.event = (n) => {
    lane.offered++;
    const h = hit(n);
    if (n % 4 === 0) {
      sending = [h.pv_id];
      tracker.track(h); // GET matomo.php?…
      sending = undefined;
      return;
    }
    batch.push(h);
    if (batch.length >= 5) send();
  };
  lane.tick = () => {
    if (Date.now() - since >= 300) send();
  };
  lane.close = async () => {
    send();
    const deadline = Date.now() + 15_000;
    while (inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  };
  return lane;
}

// ---------------------------------------------------------------------------------------------
// Replayed wire shapes (no Node SDK exists): a load generator

function replayLane(format, base, build) {
  const lane = new Lane(format, 'replayed wire shape (no Node SDK)');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let inflight = 0;
  const post = (path, headers, body, ids) => {
    inflight++;
    const req = http.request(`${base}${path}`, { method: body === undefined ? 'GET' : 'POST', headers, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        inflight--;
        if (res.statusCode >= 200 && res.statusCode < 300) lane.ack(ids);
        else lane.fail(`status ${res.statusCode}`);
      });
    });
    req.setTimeout(15_000, () => req.destroy(new Error('timeout')));
    req.on('error', (err) => {
      inflight--;
      lane.fail(err);
    });
    req.end(body);
  };
  const pending = [];
  let since = Date.now();
  const flush = () => {
    if (pending.length === 0) return;
    since = Date.now();
    const r = build(pending.splice(0));
    post(r.path, r.headers, r.body, r.ids);
  };
  lane.event = (n) => {
    lane.offered++;
    pending.push(n);
    if (pending.length >= build.batch) flush();
  };
  lane.tick = () => {
    if (Date.now() - since >= 300) flush();
  };
  lane.close = async () => {
    flush();
    const deadline = Date.now() + 15_000;
    while (inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    agent.destroy();
  };
  return lane;
}

const q = (params) => new URLSearchParams(params).toString();

/** gtag `/g/collect` (shared query + one line per event) and Measurement Protocol JSON, alternately. */
function ga4Lane(base, runTag) {
  let k = 0;
  const build = (ns) => {
    const ids = ns.map((n) => `ga-${runTag}-${n}`);
    const n0 = ns[0];
    if (k++ % 2 === 0) {
      const shared = q({ v: '2', tid: 'G-SOAK123456', cid: `${1000000000 + (n0 % 40)}.1731234567`, _p: '1731234567890', sid: '1731234567', dl: URL_WITH_EMAIL, uid: patientId(n0), _uip: IP, 'up.email': EMAIL, 'up.full_name': NAME });
      const lines = ns.map((n, i) => q({ en: 'appointment_booked', 'ep.insert_id': ids[i], ...Object.fromEntries(Object.entries(phiProps(n)).filter(([, v]) => typeof v === 'string').map(([key, v]) => [`ep.${key}`, v])), 'epn.slot_count': String(n % 5), _et: '120' }));
      return { path: `/ga/g/collect?${shared}`, headers: { 'content-type': 'text/plain;charset=UTF-8' }, body: lines.join('\r\n'), ids };
    }
    const body = {
      client_id: `${1000000000 + (n0 % 40)}.1731234567`, user_id: patientId(n0), ip_override: IP,
      user_properties: { email: { value: uniqueEmail(n0) }, full_name: { value: NAME } },
      events: ns.map((n, i) => ({ name: 'booked', params: { ...phiProps(n), insert_id: ids[i] } })),
    };
    return { path: '/ga/mp/collect?measurement_id=G-SOAK123456&api_secret=soak_secret_123', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ids };
  };
  build.batch = 3;
  return replayLane('ga4', base, build);
}

/** Plausible `/api/event`, one event per request as its trackers send. */
function plausibleLane(base, runTag) {
  const build = (ns) => {
    const n = ns[0];
    const id = `pl-${runTag}-${n}`;
    const body = { n: 'Booked', v: 36, u: URL_WITH_EMAIL, d: 'clinic.example.com', r: null, p: { ...phiProps(n), user_id: patientId(n), insert_id: id } };
    return { path: '/pl/api/event', headers: { 'content-type': 'text/plain', 'x-forwarded-for': IP, 'user-agent': 'Mozilla/5.0 (soak)' }, body: JSON.stringify(body), ids: [id] };
  };
  build.batch = 1;
  return replayLane('plausible', base, build);
}

const LANES = {
  posthog: posthogLane,
  segment: segmentLane,
  rudderstack: rudderstackLane,
  amplitude: amplitudeLane,
  mixpanel: mixpanelLane,
  snowplow: snowplowLane,
  matomo: matomoLane,
  ga4: ga4Lane,
  plausible: plausibleLane,
};

/** Route prefixes, one per format (the lanes above send to them). */
const PREFIXES = { posthog: '/ph', segment: '/seg', rudderstack: '/rs', amplitude: '/amp', mixpanel: '/mp', snowplow: '/sp', matomo: '/mt', ga4: '/ga', plausible: '/pl' };

module.exports = { LANES, PREFIXES };
