/**
 * Hostile and broken input through a real proxy to a recording upstream (issue 5): broken request
 * framing written on raw sockets (wrong, non-numeric and duplicated Content-Length, Content-Length
 * with Transfer-Encoding: request smuggling), JSON nested 10,000 deep, and `__proto__` /
 * `constructor` / `prototype` keys. Each case checks what the client is answered, that nothing of
 * it reaches the upstream, what /metrics counted, and that the proxy still serves a normal event.
 *
 * Already covered elsewhere, so not repeated here: body, decoded-size, string, key, batch and header
 * limits and slowloris heads (limits.test.ts, server.test.ts); undecodable bodies and a 1 GiB gzip
 * bomb on every PostHog encoding (e2e/posthog-encodings.test.ts); the engine alone on deep and
 * prototype-keyed JSON (engine/scrub.test.ts, fuzz/decoders.test.ts).
 */
import * as http from 'node:http';
import * as net from 'node:net';
import * as zlib from 'node:zlib';
import { Registry } from 'prom-client';
import { startProxy, type RunningProxy } from '../../src/proxy/server';
import { startRecordingUpstream, type RecordingUpstream } from '../e2e/recording-upstream';
import { writeConfig } from '../helpers';

jest.setTimeout(20_000);

const EMAIL = 'jane.doe@example.com';

interface Reply {
  status: number;
  body: string;
}

function post(url: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function get(url: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      })
      .on('error', reject);
  });
}

interface RawExchange {
  /** Everything the proxy wrote back, as latin1 text. */
  text: string;
  /** The proxy closed the connection (rather than our liveness bound expiring). */
  closed: boolean;
  /** Status codes of every response in `text`, in order (several when requests were pipelined). */
  statuses: number[];
}

/**
 * Writes `bytes` on a fresh connection and collects the answer until the proxy closes it or
 * `boundMs` passes. The bound is a liveness bound, not a speed claim: a hung proxy would keep the
 * connection forever, a working one answers or closes within its configured timeouts.
 */
function rawExchange(port: number, bytes: string, boundMs = 10_000): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({ text, closed, statuses });
    };
    const timer = setTimeout(() => finish(false), boundMs);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('close', () => finish(true));
    socket.on('error', () => {});
    socket.write(bytes, 'latin1');
  });
}

/** The JSON body of the first response in a raw exchange, or undefined when it has none. */
function firstJsonBody(text: string): unknown {
  const m = /^HTTP\/1\.1 \d{3} [^\r]*\r\n([\s\S]*?)\r\n\r\n/.exec(text);
  if (!m) return undefined;
  const headers = m[1]!.toLowerCase();
  if (!/content-type: application\/json/.test(headers)) return undefined;
  const length = Number(/content-length: (\d+)/.exec(headers)?.[1]);
  const start = m.index + m[0].length;
  try {
    return JSON.parse(Number.isFinite(length) ? text.slice(start, start + length) : text.slice(start));
  } catch {
    return undefined;
  }
}

/** Sum of a Prometheus counter's samples whose labels include every `want` pair. */
function counterSum(exposition: string, name: string, want: Record<string, string>): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(want).every(([k, v]) => labels[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

/** A PostHog batch with PHI, in its JSON text. */
const PHI_BODY = JSON.stringify({ api_key: 'phc_test', batch: [{ event: 'booked', properties: { email: EMAIL, plan: 'pro' } }] });

/** A request with raw (unscrubbed) PHI in its query, to hide inside another request's body. */
const SMUGGLED = `GET /e/?data=${Buffer.from(PHI_BODY).toString('base64')} HTTP/1.1\r\nHost: x\r\n\r\n`;

const HEAD = 'POST /e/ HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: application/json\r\n';

interface FramingCase {
  name: string;
  bytes: string;
  /** The client stops sending: the proxy may answer 408 or just close. */
  stalls?: boolean;
}

const FRAMING: FramingCase[] = [
  {
    name: 'Content-Length larger than the body sent (client then stops sending)',
    bytes: `${HEAD}Content-Length: ${PHI_BODY.length + 500}\r\n\r\n${PHI_BODY}`,
    stalls: true,
  },
  {
    // The declared bytes are a truncated event; the rest would be a second, unframed request.
    name: 'Content-Length smaller than the body sent (extra bytes)',
    bytes: `${HEAD}Content-Length: 20\r\n\r\n${PHI_BODY}`,
  },
  { name: 'non-numeric Content-Length', bytes: `${HEAD}Content-Length: 12abc\r\n\r\n${PHI_BODY}` },
  { name: 'duplicated, conflicting Content-Length', bytes: `${HEAD}Content-Length: ${PHI_BODY.length}\r\nContent-Length: 2\r\n\r\n${PHI_BODY}` },
  {
    // CL.TE: by Content-Length the body is "0\r\n\r\n" + the smuggled request; by chunked it ends
    // at the 0 chunk and the smuggled request is next on the connection. Either reading is wrong.
    name: 'Content-Length with Transfer-Encoding: chunked (CL.TE smuggling)',
    bytes: `${HEAD}Content-Length: ${5 + SMUGGLED.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  },
  {
    // TE.CL: chunked first; Content-Length says the body stops inside the chunk.
    name: 'Transfer-Encoding: chunked before Content-Length (TE.CL smuggling)',
    bytes: `${HEAD}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`,
  },
  {
    // An obfuscated Transfer-Encoding some front ends ignore and some back ends honour.
    name: 'Content-Length with an obfuscated "Transfer-Encoding : chunked"',
    bytes: `${HEAD}Content-Length: ${5 + SMUGGLED.length}\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  },
];

describe('hostile input through a real proxy', () => {
  let upstream: RecordingUpstream;
  let proxy: RunningProxy;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    const config = writeConfig({
      // Small timeouts so a stalled body is cut off quickly (Node requires headers ≤ request).
      'config.yaml': `upstream: ${upstream.url}\nlimits: { headers_timeout_ms: 1000, request_timeout_ms: 1500 }\n`,
    });
    proxy = await startProxy({ configFile: config, overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' }, metricsRegistry: new Registry() });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });
  beforeEach(() => upstream.requests.splice(0));

  const metrics = async (): Promise<string> => (await get(`${proxy.url}/metrics`)).body;

  /** The proxy still scrubs and forwards a normal event after the hostile one. */
  async function stillServes(): Promise<void> {
    upstream.requests.splice(0);
    const reply = await post(`${proxy.url}/e/`, PHI_BODY);
    expect(reply.status).toBe(200);
    expect(upstream.events()).toEqual([{ event: 'booked', properties: { email: '[EMAIL]', plan: 'pro' } }]);
    expect((await get(`${proxy.url}/healthz`)).status).toBe(200);
  }

  /** Nothing reached the upstream; waits a moment so a late forward would still be seen. */
  async function nothingForwarded(): Promise<void> {
    await new Promise((r) => setTimeout(r, 150));
    expect(upstream.requests).toEqual([]);
  }

  describe('broken request framing (raw sockets)', () => {
    it.each(FRAMING)('$name: 4xx or closed, nothing forwarded, never answered 2xx, proxy still up', async ({ bytes, stalls }) => {
      const ex = await rawExchange(proxy.port, bytes);
      // The connection is closed: one that stayed open could be desynchronised for the next request.
      expect(ex.closed).toBe(true);
      if (stalls) {
        // A request timeout: 408, or a plain close without an answer.
        expect(ex.statuses.every((s) => s === 408)).toBe(true);
      } else {
        expect(ex.statuses.length).toBeGreaterThan(0);
        expect(ex.statuses[0]).toBeGreaterThanOrEqual(400);
        expect(ex.statuses[0]).toBeLessThan(500);
      }
      // No part of the request (and so no smuggled request) was processed as a valid one.
      expect(ex.statuses.filter((s) => s < 400)).toEqual([]);
      expect(ex.text).not.toContain(EMAIL);
      expect(ex.text).not.toContain('booked');
      await nothingForwarded();
      await stillServes();
    });

    /**
     * Every refusal gives a short JSON `error` reason and is counted in /metrics
     * (phi_proxy_refusals_total{reason}). Node's HTTP parser and request timeout catch these
     * before the app sees them, so this is the server's clientError handling.
     */
    it.each(FRAMING)('$name: answered with a short JSON error and counted in phi_proxy_refusals_total', async ({ bytes, stalls }) => {
      const reason = stalls ? 'timeout' : 'bad_request';
      const before = counterSum(await metrics(), 'phi_proxy_refusals_total', { reason });
      const ex = await rawExchange(proxy.port, bytes);
      await nothingForwarded();
      const body = firstJsonBody(ex.text) as { error?: unknown } | undefined;
      expect(body).toEqual({ error: expect.any(String) });
      expect((body!.error as string).length).toBeLessThan(120);
      const after = counterSum(await metrics(), 'phi_proxy_refusals_total', { reason });
      expect(after).toBe(before + 1);
    });

    it('re-frames what it forwards: a chunked request is sent on with a Content-Length and no Transfer-Encoding', async () => {
      // Control for the cases above: valid chunked framing is accepted, so their refusals are about
      // the conflict, and the upstream gets fresh framing (its connection cannot be desynchronised).
      const chunked = `${HEAD}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${PHI_BODY.length.toString(16)}\r\n${PHI_BODY}\r\n0\r\n\r\n`;
      const ex = await rawExchange(proxy.port, chunked);
      expect(ex.statuses).toEqual([200]);
      expect(upstream.requests).toHaveLength(1);
      const seen = upstream.requests[0]!;
      expect(seen.headers['transfer-encoding']).toBeUndefined();
      expect(Number(seen.headers['content-length'])).toBe(seen.raw.length);
      expect(upstream.everything()).not.toContain(EMAIL);
      expect(upstream.events()).toEqual([{ event: 'booked', properties: { email: '[EMAIL]', plan: 'pro' } }]);
    });

    it('never passes a request hidden in a passthrough body to the upstream', async () => {
      // /static/ is passed through unscrubbed; a body on it must not become a request upstream.
      const hidden = `GET /static/a.js HTTP/1.1\r\nHost: x\r\nContent-Length: ${SMUGGLED.length}\r\nConnection: close\r\n\r\n${SMUGGLED}`;
      const ex = await rawExchange(proxy.port, hidden);
      expect(ex.statuses).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 150));
      expect(upstream.requests.map((r) => r.path)).toEqual(['/static/a.js']);
      expect(upstream.requests[0]!.raw.length).toBe(0);
      expect(upstream.everything()).not.toContain(Buffer.from(PHI_BODY).toString('base64'));
      await stillServes();
    });
  });

  describe('JSON nested 10,000 deep in a PostHog /e/ body', () => {
    const DEPTH = 10_000;
    const nest = (leaf: string, kind: 'object' | 'array'): string => {
      let text = leaf;
      for (let i = 0; i < DEPTH; i++) text = kind === 'array' ? `[${text}]` : `{"d":${text}}`;
      return text;
    };
    const leaf = JSON.stringify({ email: EMAIL });
    const ok = { event: 'ok', properties: { plan: 'pro' } };
    const shapes: [string, string][] = [
      ['objects in properties, beside a valid event', `{"api_key":"phc_test","batch":[{"event":"deep","properties":${nest(leaf, 'object')}},${JSON.stringify(ok)}]}`],
      ['arrays in properties, beside a valid event', `{"api_key":"phc_test","batch":[{"event":"deep","properties":{"list":${nest(leaf, 'array')}}},${JSON.stringify(ok)}]}`],
      ['the whole body', nest(leaf, 'object')],
      ['the batch field itself', `{"api_key":"phc_test","batch":${nest(leaf, 'array')}}`],
    ];
    const cases = shapes.flatMap(([shape, text]) => [
      { shape, encoding: 'plain JSON', body: Buffer.from(text), headers: {} as Record<string, string> },
      { shape, encoding: 'gzip (text/plain)', body: zlib.gzipSync(text), headers: { 'content-type': 'text/plain' } },
    ]);

    it.each(cases)('$shape, $encoding: refused or the event dropped, never forwarded, proxy up', async ({ shape, body, headers }) => {
      const m = await metrics();
      const before = {
        refused: counterSum(m, 'phi_proxy_requests_total', { kind: 'refused', status_class: '4xx' }),
        dropped: counterSum(m, 'phi_proxy_events_total', { outcome: 'dropped' }),
      };
      const reply = await post(`${proxy.url}/e/`, body, headers);
      expect(reply.body).not.toContain(EMAIL);
      const mAfter = await metrics();
      const after = {
        refused: counterSum(mAfter, 'phi_proxy_requests_total', { kind: 'refused', status_class: '4xx' }),
        dropped: counterSum(mAfter, 'phi_proxy_events_total', { outcome: 'dropped' }),
      };
      if (reply.status === 200) {
        // Dropped: counted as such, and only the valid sibling (if any) went upstream.
        expect(after.dropped).toBeGreaterThan(before.dropped);
        const expected = shape.includes('beside a valid event') ? [ok] : [];
        expect(upstream.events()).toEqual(expected);
      } else {
        // Refused: a clear 4xx with a short reason, counted, nothing forwarded.
        expect(reply.status).toBeGreaterThanOrEqual(400);
        expect(reply.status).toBeLessThan(500);
        expect(JSON.parse(reply.body)).toEqual({ error: expect.any(String) });
        expect(after.refused).toBeGreaterThan(before.refused);
        expect(upstream.requests).toEqual([]);
      }
      expect(upstream.everything()).not.toContain(EMAIL);
      expect(upstream.everything()).not.toContain('"d":{"d":');
      await stillServes();
    });
  });

  describe('__proto__, constructor and prototype keys', () => {
    const protoNames = Object.getOwnPropertyNames(Object.prototype).sort();
    const arrayProtoNames = Object.getOwnPropertyNames(Array.prototype).sort();

    /** The own property at `path` (never an inherited one: `__proto__` must be data). */
    function own(value: unknown, ...path: string[]): unknown {
      let current = value;
      for (const key of path) {
        const d = current !== null && typeof current === 'object' ? Object.getOwnPropertyDescriptor(current, key) : undefined;
        if (d === undefined) throw new Error(`no own property ${path.join('.')}`);
        current = d.value;
      }
      return current;
    }

    // Written as JSON text: JSON.parse makes `__proto__` an own key, as a hostile SDK body would.
    const hostile = `{"api_key":"phc_test","__proto__":{"polluted":"${EMAIL}"},"constructor":{"prototype":{"polluted":"yes"}},"batch":[{
      "event":"proto",
      "__proto__":{"email":"${EMAIL}","polluted":"yes"},
      "constructor":{"prototype":{"email":"${EMAIL}","polluted":"yes"}},
      "prototype":{"email":"${EMAIL}"},
      "properties":{
        "__proto__":{"email":"${EMAIL}","polluted":"yes","isAdmin":true},
        "constructor":{"prototype":{"email":"${EMAIL}","polluted":"yes"},"name":"x"},
        "prototype":"mail ${EMAIL} now",
        "nested":{"a":[{"__proto__":{"email":"${EMAIL}"}},{"constructor":{"prototype":{"toString":"${EMAIL}"}}}]},
        "$set":{"__proto__":{"email":"${EMAIL}"},"plan":"pro"}
      }}]}`;

    it.each([
      ['/e/', 'plain JSON', Buffer.from(hostile), {}],
      ['/batch/', 'gzip', zlib.gzipSync(hostile), { 'content-type': 'text/plain' }],
    ] as const)('%s %s: forwarded scrubbed, the keys kept as plain own data, no prototype polluted', async (path, _enc, body, headers) => {
      const reply = await post(`${proxy.url}${path}`, body, headers);
      expect(reply.status).toBe(200);

      // No pollution in this process (startProxy runs in it).
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
      expect(({} as Record<string, unknown>).email).toBeUndefined();
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoNames);
      expect(Object.getOwnPropertyNames(Array.prototype).sort()).toEqual(arrayProtoNames);
      expect(Object.prototype.toString.call([])).toBe('[object Array]');
      for (const key in {}) throw new Error(`Object.prototype gained an enumerable ${key}`);

      expect(upstream.requests).toHaveLength(1);
      expect(upstream.everything()).not.toContain(EMAIL);
      // The recording upstream parses with JSON.parse too, so these keys are own properties there.
      const envelope = upstream.requests[0]!.json;
      expect(own(envelope, '__proto__', 'polluted')).toBe('[EMAIL]');
      expect(own(envelope, 'constructor', 'prototype', 'polluted')).toBe('yes');
      const [event] = upstream.events();
      expect(own(event, 'event')).toBe('proto');
      expect(own(event, '__proto__', 'email')).toBe('[EMAIL]');
      expect(own(event, '__proto__', 'polluted')).toBe('yes');
      expect(own(event, 'constructor', 'prototype', 'email')).toBe('[EMAIL]');
      expect(own(event, 'prototype', 'email')).toBe('[EMAIL]');
      const props = own(event, 'properties');
      expect(own(props, '__proto__', 'email')).toBe('[EMAIL]');
      expect(own(props, '__proto__', 'isAdmin')).toBe(true);
      expect(own(props, 'constructor', 'prototype', 'email')).toBe('[EMAIL]');
      expect(own(props, 'constructor', 'name')).toBe('x');
      expect(own(props, 'prototype')).toBe('mail [EMAIL] now');
      expect(own(props, 'nested', 'a', '0', '__proto__', 'email')).toBe('[EMAIL]');
      expect(own(props, 'nested', 'a', '1', 'constructor', 'prototype', 'toString')).toBe('[EMAIL]');
      expect(own(props, '$set', '__proto__', 'email')).toBe('[EMAIL]');
      expect(own(props, '$set', 'plan')).toBe('pro');
      // Plain objects all the way: none was given a hostile prototype on the way through.
      expect(Object.getPrototypeOf(props)).toBe(Object.prototype);

      await stillServes();
    });

    it('a /flags/ request with prototype keys in person_properties is scrubbed and pollutes nothing', async () => {
      const flags = `{"token":"phc_test","distinct_id":"d-1","person_properties":{"__proto__":{"email":"${EMAIL}","polluted":"yes"},"constructor":{"prototype":{"email":"${EMAIL}"}}}}`;
      const reply = await post(`${proxy.url}/flags/?v=2`, flags);
      expect(reply.status).toBe(200);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoNames);
      expect(upstream.requests.map((r) => r.path)).toEqual(['/flags/']);
      expect(upstream.everything()).not.toContain(EMAIL);
      const sent = upstream.requests[0]!.json;
      expect(own(sent, 'person_properties', '__proto__', 'email')).toBe('[EMAIL]');
      expect(own(sent, 'person_properties', '__proto__', 'polluted')).toBe('yes');
      expect(own(sent, 'person_properties', 'constructor', 'prototype', 'email')).toBe('[EMAIL]');
    });
  });
});
