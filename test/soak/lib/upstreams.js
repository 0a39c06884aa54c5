'use strict';
/**
 * Vendor stand-ins for the soak, one per format, on 127.0.0.1. Each answers as its vendor does
 * (the SDKs read those answers: Amplitude's `code`, Mixpanel's `1`), and for every request it
 * receives, as it arrives (so the soak keeps counts, not bodies, and memory stays small):
 *   - searches the request line, headers and body for planted values (lib/search.js);
 *   - decodes the body independently of phi-proxy's own format code and counts each event id
 *     (posthog uuid, Segment/RudderStack messageId, Amplitude insert_id, Mixpanel $insert_id,
 *     Snowplow eid, Matomo pv_id, GA4 and Plausible insert_id);
 *   - counts the rules-version markers ([PROBE_A] / [PROBE_B]) the two rule files write.
 * `stop()` kills it with connections open (requests in flight die); `start()` brings it back on
 * the same port.
 */
const http = require('node:http');
const zlib = require('node:zlib');
const { leaksIn, percentDecoded } = require('./search');

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function gunzip(raw, headers) {
  if (headers['content-encoding'] === 'gzip' || (raw.length > 1 && raw[0] === 0x1f && raw[1] === 0x8b)) return zlib.gunzipSync(raw);
  return raw;
}

/** A JSON document, a `data=` form (base64 or JSON), or base64 JSON. */
function parseLoose(text) {
  let t = text.trim();
  if (/^data=/.test(t)) t = new URLSearchParams(t).get('data') ?? '';
  if (!/^[[{]/.test(t)) t = Buffer.from(t, 'base64').toString('utf8');
  return JSON.parse(t);
}

const list = (j) => (Array.isArray(j) ? j : isObject(j) && Array.isArray(j.batch) ? j.batch : [j]);

/** Per format: the vendor's success answer and the event ids in one received request. */
const FORMATS = {
  posthog: {
    answer: () => ({ status: 200, type: 'application/json', body: '{"status":1}' }),
    ids: (r) => list(parseLoose(r.text)).map((e) => e.uuid),
  },
  segment: {
    answer: () => ({ status: 200, type: 'application/json', body: '{"success":true}' }),
    ids: (r) => list(JSON.parse(r.text)).map((e) => e.messageId),
  },
  rudderstack: {
    answer: () => ({ status: 200, type: 'text/plain', body: 'OK' }),
    ids: (r) => list(JSON.parse(r.text)).map((e) => e.messageId),
  },
  amplitude: {
    answer: (r) => {
      let n = 0;
      try {
        n = JSON.parse(r.text).events.length;
      } catch {
        /* counted as undecodable by ids() */
      }
      return { status: 200, type: 'application/json', body: JSON.stringify({ code: 200, events_ingested: n, payload_size_bytes: r.raw.length, server_upload_time: Date.now() }) };
    },
    ids: (r) => JSON.parse(r.text).events.map((e) => e.insert_id),
  },
  mixpanel: {
    answer: (r) => (r.query.get('verbose') === '1' ? { status: 200, type: 'application/json', body: '{"status":1,"error":null}' } : { status: 200, type: 'text/plain', body: '1' }),
    ids: (r) => {
      const data = r.method === 'GET' ? r.query.get('data') : r.text;
      return list(parseLoose(r.method === 'GET' ? Buffer.from(data, 'base64').toString('utf8') : data)).map((e) => e.properties.$insert_id);
    },
  },
  snowplow: {
    answer: (r) => (r.method === 'GET' ? { status: 200, type: 'image/gif', body: Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64') } : { status: 200, type: 'text/plain', body: '' }),
    ids: (r) => (r.method === 'GET' ? [r.query.get('eid')] : JSON.parse(r.text).data.map((e) => e.eid)),
  },
  matomo: {
    answer: (r) => {
      if (r.method === 'POST' && r.text.trim().startsWith('{')) {
        let n = 0;
        try {
          n = JSON.parse(r.text).requests.length;
        } catch {
          /* counted by ids() */
        }
        return { status: 200, type: 'application/json', body: JSON.stringify({ status: 'success', tracked: n, invalid: 0 }) };
      }
      return { status: 204, type: 'text/plain', body: '' };
    },
    ids: (r) => {
      if (r.method === 'POST' && r.text.trim().startsWith('{')) return JSON.parse(r.text).requests.map((q) => new URLSearchParams(q.replace(/^\?/, '')).get('pv_id'));
      return [new URLSearchParams(r.method === 'POST' && r.text !== '' ? r.text : r.query.toString()).get('pv_id')];
    },
  },
  ga4: {
    answer: () => ({ status: 204, type: 'text/plain', body: '' }),
    ids: (r) => {
      if (r.path.endsWith('/mp/collect')) return JSON.parse(r.text).events.map((e) => e.params.insert_id);
      const lines = r.text === '' ? [r.query.toString()] : r.text.split(/\r?\n/).filter((l) => l !== '');
      return lines.map((l) => new URLSearchParams(l).get('ep.insert_id') ?? r.query.get('ep.insert_id'));
    },
  },
  plausible: {
    answer: () => ({ status: 202, type: 'text/plain', body: 'ok' }),
    ids: (r) => {
      const j = JSON.parse(r.text);
      const props = j.p ?? j.props ?? (typeof j.m === 'string' ? JSON.parse(j.m) : j.m);
      return [props.insert_id];
    },
  },
};

class RecordingUpstream {
  /** `forgetEvery`: a negative control (SOAK_PLANT_LOSS) that answers 2xx but forgets every n-th request's events. */
  constructor(format, { forgetEvery = 0 } = {}) {
    this.forgetEvery = forgetEvery;
    if (!FORMATS[format]) throw new Error(`no stand-in for ${format}`);
    this.format = format;
    this.spec = FORMATS[format];
    /** id → times received (answered 2xx). */
    this.arrivals = new Map();
    this.requests = 0;
    this.undecodable = [];
    this.leaks = [];
    this.markers = { A: 0, B: 0 };
    this.port = 0;
    this.server = undefined;
    this.up = false;
  }

  handle(req, res) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://upstream');
      const raw = Buffer.concat(chunks);
      this.requests++;
      let text = '';
      try {
        text = gunzip(raw, req.headers).toString('utf8');
      } catch {
        text = raw.toString('latin1');
      }
      const r = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, raw, text };
      // Leaks: the request line, every header, the body as received and decoded.
      const label = `${this.format} upstream ${r.method} ${r.path}`;
      const found = [...leaksIn(`${label} line`, `${r.method} ${req.url}`), ...leaksIn(`${label} headers`, JSON.stringify(req.headers)), ...leaksIn(`${label} body`, raw)];
      if (found.length > 0 && this.leaks.length < 50) this.leaks.push(...found);
      else if (found.length > 0) this.leaks.push(found[0]); // keep counting, bounded detail
      const decoded = percentDecoded(`${req.url}\n${text}`);
      if (decoded.includes('[PROBE_A]')) this.markers.A++;
      if (decoded.includes('[PROBE_B]')) this.markers.B++;
      let answer;
      try {
        answer = this.spec.answer(r);
      } catch {
        answer = { status: 200, type: 'text/plain', body: '' };
      }
      try {
        const ids = this.spec.ids(r);
        if (ids.length === 0 || ids.some((id) => typeof id !== 'string' || id === '')) throw new Error(`ids ${JSON.stringify(ids).slice(0, 80)}`);
        const forget = this.forgetEvery > 0 && this.requests % this.forgetEvery === 0;
        if (answer.status >= 200 && answer.status < 300 && !forget) for (const id of ids) this.arrivals.set(id, (this.arrivals.get(id) ?? 0) + 1);
      } catch (err) {
        if (this.undecodable.length < 20) this.undecodable.push(`${r.method} ${r.path}: ${err.message} ${text.slice(0, 120)}`);
      }
      const body = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
      res.writeHead(answer.status, { 'content-type': answer.type, 'content-length': body.length });
      res.end(body);
    });
  }

  start() {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 5_000;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        this.server = server;
        this.port = server.address().port;
        this.up = true;
        resolve();
      });
    });
  }

  /** Killed, not drained: open connections (and requests in flight) are cut. */
  stop() {
    const server = this.server;
    this.server = undefined;
    this.up = false;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
}

/** Listens on the same port again; retries briefly if the port is not free yet. */
async function revive(upstream) {
  for (let attempt = 0; ; attempt++) {
    try {
      await upstream.start();
      return;
    } catch (err) {
      if (err.code !== 'EADDRINUSE' || attempt > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

module.exports = { RecordingUpstream, revive, FORMAT_NAMES: Object.keys(FORMATS) };
