// The proxy forwards only to configured upstreams (issue 5, "no side doors"): nothing in a
// request (request target in absolute form, Host, X-Forwarded-Host / -Proto, Forwarded,
// X-Original-URL, encoded or doubled slashes and dots, CONNECT, Upgrade) can change where it goes.
//
// Requests are written on raw sockets so nothing normalises the request line. Besides the
// recording upstreams (events, and assets for passthrough paths) an "evil" listener waits on
// another port that every trick names; it must never see a connection. Each request must be
// refused with a 4xx, or reach a configured upstream, with that upstream as Host, on a path the
// route allows (no `..`, `//`, backslash or encoded dot or slash left in it).
//
// test/proxy/server.test.ts already covers, through Node's http client: 404 for `//evil.example/e/`,
// `/e/../../admin` and `/%2e%2e/e/`, the upstream's Host on a normal request, and the client-IP,
// cookie, referer and origin headers being dropped. This file covers the rest.
import * as net from 'node:net';
import { startProxy, type RunningProxy } from '../../src/proxy/server';
import { startRecordingUpstream, type RecordingUpstream } from '../e2e/recording-upstream';
import { writeConfig } from '../helpers';

interface RawReply {
  /** undefined: the connection closed (or timed out) without an HTTP response. */
  status: number | undefined;
  text: string;
}

/** Writes `request` as is on a fresh connection and reads until the server closes it. */
function raw(port: number, request: string, timeoutMs = 3_000): Promise<RawReply> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const done = () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : undefined, text });
    };
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('close', done);
    socket.on('error', () => {});
    socket.write(request);
  });
}

/** A listener that counts connections and what they carried; any connection at all is the failure. */
async function startEvil(): Promise<{ port: number; connections: string[]; close(): Promise<void> }> {
  const connections: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const index = connections.push('') - 1;
    socket.on('data', (d: Buffer) => {
      connections[index] += d.toString('latin1');
      socket.end('HTTP/1.1 200 OK\r\ncontent-length: 12\r\nconnection: close\r\n\r\n{"status":1}');
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections,
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

const EVENT = JSON.stringify({ api_key: 'phc_testtoken', batch: [{ event: 'booked', properties: { distinct_id: 'u1', plan: 'pro' } }] });

interface Case {
  label: string;
  /** The whole request line target, exactly as written. */
  target: string;
  method?: string;
  /** Extra (or replacing) headers; `Host` defaults to the proxy's own address. */
  headers?: Record<string, string>;
  body?: string;
  /** Where a forwarded request may land: which recorder, and what its path (with query) must match. */
  allowed: { to: 'events' | 'assets'; path: RegExp }[];
}

/** PostHog event paths below a route, and its passthrough paths (assets upstream). */
const EVENTS_OK = { to: 'events' as const, path: /^\/(?:e|batch|i\/v0\/e)\/(?:\?[A-Za-z0-9_=&.-]*)?$/ };
const ARRAY_OK = { to: 'assets' as const, path: /^\/array\/phc_testtoken\/config(?:\.js)?(?:\?[A-Za-z0-9_=&.-]*)?$/ };
const STATIC_OK = { to: 'assets' as const, path: /^\/static\/[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*(?:\?[A-Za-z0-9_=&.-]*)?$/ };
const SEGMENT_SETTINGS_OK = { to: 'events' as const, path: /^\/v1\/projects\/wk1\/settings$/ };

/** A forwarded path with any of these in it escaped the route (or might, at the upstream). */
const TRAVERSAL = /\/\.\.?(?:\/|$|\?)|\/\/|\\|%2e|%2f|%5c|@|:/i;

describe('the proxy forwards only to configured upstreams', () => {
  let upstream: RecordingUpstream;
  let assets: RecordingUpstream;
  let evil: Awaited<ReturnType<typeof startEvil>>;
  let proxy: RunningProxy;
  let E: string; // the evil listener's host:port
  let P: string; // the proxy's own host:port

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    assets = await startRecordingUpstream();
    evil = await startEvil();
    E = `127.0.0.1:${evil.port}`;
    const config = writeConfig({
      'config.yaml': [
        `upstream: ${upstream.url}`,
        `assets_upstream: ${assets.url}`,
        'routes:',
        `  - { prefix: /ingest, upstream: ${upstream.url}, assets_upstream: ${assets.url}, format: posthog }`,
        `  - { prefix: /seg, upstream: ${upstream.url}, format: segment }`,
        '',
      ].join('\n'),
    });
    proxy = await startProxy({ configFile: config, overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' } });
    P = `127.0.0.1:${proxy.port}`;
  });
  afterAll(async () => {
    await proxy?.close();
    await upstream?.close();
    await assets?.close();
    await evil?.close();
  });

  /** The request text: method, target, Host (the proxy's unless given), Connection: close, the rest. */
  function requestText(c: Case): string {
    const method = c.method ?? (c.body !== undefined ? 'POST' : 'GET');
    const headers: Record<string, string> = { host: P, connection: 'close', ...Object.fromEntries(Object.entries(c.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])) };
    if (c.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(Buffer.byteLength(c.body));
    }
    return `${method} ${c.target} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${c.body ?? ''}`;
  }

  /**
   * Sends one case and checks it: the evil listener saw nothing; the answer is a 4xx with nothing
   * forwarded, or a success forwarded once, to an allowed upstream and path, with that upstream as Host.
   */
  async function check(c: Case, options: { noResponseIsRefusal?: boolean } = {}): Promise<string> {
    upstream.requests.splice(0);
    assets.requests.splice(0);
    const reply = await raw(proxy.port, requestText(c));
    const problems: string[] = [];
    if (evil.connections.length > 0) problems.push(`the evil listener got ${evil.connections.length} connection(s): ${JSON.stringify(evil.connections)}`);
    const forwarded = [...upstream.requests.map((r) => ({ to: 'events' as const, r, own: new URL(upstream.url).host })), ...assets.requests.map((r) => ({ to: 'assets' as const, r, own: new URL(assets.url).host }))];
    const refused = reply.status !== undefined ? reply.status >= 400 && reply.status < 500 : options.noResponseIsRefusal === true;
    if (refused) {
      if (forwarded.length > 0) problems.push(`refused (${reply.status}) but forwarded ${forwarded.map((f) => `${f.to} ${f.r.path}`).join(', ')}`);
    } else if (reply.status === undefined || reply.status < 200 || reply.status > 299) {
      problems.push(`neither refused with a 4xx nor forwarded: ${reply.status ?? 'no response'} ${reply.text.slice(0, 200)}`);
    } else if (forwarded.length !== 1) {
      problems.push(`answered ${reply.status} but forwarded ${forwarded.length} requests`);
    } else {
      const { to, r, own } = forwarded[0]!;
      const query = new URLSearchParams(r.query).toString();
      const pathWithQuery = query === '' ? r.path : `${r.path}?${query}`;
      if (!c.allowed.some((a) => a.to === to && a.path.test(pathWithQuery))) problems.push(`forwarded to ${to} ${pathWithQuery}, outside the route`);
      if (TRAVERSAL.test(r.path)) problems.push(`forwarded path ${r.path} holds a traversal`);
      if (r.headers.host !== own) problems.push(`forwarded with Host ${String(r.headers.host)} instead of ${own}`);
      for (const h of ['x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-server', 'forwarded', 'x-original-url', 'x-rewrite-url', 'x-http-method-override', 'upgrade']) {
        if (r.headers[h] !== undefined) problems.push(`forwarded the ${h} header`);
      }
    }
    return problems.length === 0 ? '' : `${c.label} (${JSON.stringify(`${c.method ?? ''} ${c.target}`)}): ${problems.join('; ')}`;
  }

  it('never lets the request target, Host or forwarding headers pick the upstream (absolute form, evil Host, X-Forwarded-*, Forwarded, X-Original-URL)', async () => {
    const cases: Case[] = [
      { label: 'absolute-form target naming evil', target: `http://${E}/e/`, headers: { host: E }, body: EVENT, allowed: [EVENTS_OK] },
      { label: 'absolute-form target naming evil, Host the proxy', target: `http://${E}/e/`, body: EVENT, allowed: [EVENTS_OK] },
      { label: 'absolute-form target under a route prefix', target: `http://${E}/ingest/batch/`, body: EVENT, allowed: [EVENTS_OK] },
      { label: 'absolute-form https target', target: `https://${E}/e/`, body: EVENT, allowed: [EVENTS_OK] },
      { label: 'absolute-form target with userinfo', target: `http://${P}@${E}/e/`, body: EVENT, allowed: [EVENTS_OK] },
      { label: 'Host: evil', target: '/e/', headers: { host: E }, body: EVENT, allowed: [EVENTS_OK] },
      { label: 'Host: evil under a route prefix', target: '/ingest/e/', headers: { host: E }, body: EVENT, allowed: [EVENTS_OK] },
      { label: 'X-Forwarded-Host / -Proto / -Server / -Port', target: '/e/', headers: { 'x-forwarded-host': E, 'x-forwarded-proto': 'http', 'x-forwarded-server': E, 'x-forwarded-port': String(evil.port) }, body: EVENT, allowed: [EVENTS_OK] },
      { label: 'Forwarded: host=evil', target: '/e/', headers: { forwarded: `for=127.0.0.1;host=${E};proto=http` }, body: EVENT, allowed: [EVENTS_OK] },
      { label: 'X-Original-URL / X-Rewrite-URL naming evil', target: '/e/', headers: { 'x-original-url': `http://${E}/e/`, 'x-rewrite-url': `//${E}/e/` }, body: EVENT, allowed: [EVENTS_OK] },
      { label: 'X-HTTP-Method-Override: CONNECT', target: '/e/', headers: { 'x-http-method-override': 'CONNECT' }, body: EVENT, allowed: [EVENTS_OK] },
      { label: 'passthrough with Host: evil', target: '/array/phc_testtoken/config', headers: { host: E }, allowed: [ARRAY_OK] },
      { label: 'passthrough with X-Forwarded-Host and Forwarded', target: '/static/array.js', headers: { 'x-forwarded-host': E, forwarded: `host=${E}` }, allowed: [STATIC_OK] },
      { label: 'passthrough in absolute form naming evil', target: `http://${E}/static/array.js`, allowed: [STATIC_OK] },
      { label: 'passthrough in absolute form under a prefix', target: `http://${E}/ingest/array/phc_testtoken/config.js`, allowed: [ARRAY_OK] },
      { label: 'passthrough whose query names evil', target: `/array/phc_testtoken/config?next=http://${E}/&host=${E}`, allowed: [ARRAY_OK] },
      { label: 'Upgrade: websocket on a passthrough path', target: '/static/array.js', headers: { upgrade: 'websocket', connection: 'Upgrade, close', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' }, allowed: [STATIC_OK] },
      { label: 'Segment settings with X-Forwarded-Host: evil', target: '/seg/v1/projects/wk1/settings', headers: { 'x-forwarded-host': E }, allowed: [SEGMENT_SETTINGS_OK] },
    ];
    const failures: string[] = [];
    for (const c of cases) {
      const problem = await check(c);
      if (problem !== '') failures.push(problem);
    }
    expect(failures).toEqual([]);
    expect(evil.connections).toEqual([]);
  });

  it('refuses path tricks (doubled slashes, encoded dots and slashes, backslashes, userinfo) or keeps them inside the route', async () => {
    const targets = [
      `//${E}/e/`, `///${E}/e/`, `/ingest//${E}/e/`, `//${E}/static/array.js`, `/static//${E}/x.js`,
      '/..%2f..%2fe/', '/ingest/..%2f..%2fe/', '/%2e%2e/e/', '/%2E%2E/%2E%2E/e/', '/.%2e/e/', '/e/..\\..\\', '/e/%252e%252e/', '/e/%2f%2f' + E,
      '/static/..%2f..%2f', '/static/%2e%2e/%2e%2e/e/', '/static/..;/..;/e/', '/static/../../e/', '/static/./../e/', '/static/x.js/..', '/static/%5c..%5c..%5ce/',
      '/array/phc_testtoken/config/../../../e/', '/array/..%2f..%2f/config', '/ingest/array/phc_testtoken/..%2fconfig',
      `@${E}/e/`, `/@${E}/e/`, `/e/@${E}`, `/static/@${E}/x.js`, `:@${E}/e/`, `/e/?@${E}`, `/static/array.js?@${E}/`, `/static/array.js#@${E}`,
      `/e/%40${E}`, `/e/%2F%2F${E}%2Fe%2F`, '*', `${E}/e/`, `/e/\t${E}`,
      '/seg/v1/projects/..%2f..%2fwk1/settings', `/seg/v1/projects/wk1%2f..%2f..%2f/settings`, `/seg/v1/projects/@${E}/settings`,
    ];
    const failures: string[] = [];
    for (const target of targets) {
      for (const c of [
        { label: 'GET', target, allowed: [ARRAY_OK, STATIC_OK, SEGMENT_SETTINGS_OK] },
        { label: 'POST', target, body: EVENT, allowed: [EVENTS_OK] },
      ] satisfies Case[]) {
        const problem = await check(c);
        if (problem !== '') failures.push(problem);
      }
    }
    expect(failures).toEqual([]);
    expect(evil.connections).toEqual([]);
  });

  it('does not tunnel: CONNECT to evil (or to the upstream) is refused or the connection closed, and nothing is forwarded', async () => {
    const failures: string[] = [];
    for (const target of [E, `${E}:443`, `http://${E}/`, new URL(upstream.url).host, '/e/']) {
      const problem = await check({ label: 'CONNECT', method: 'CONNECT', target, headers: { host: target.startsWith('/') ? P : target }, allowed: [] }, { noResponseIsRefusal: true });
      if (problem !== '') failures.push(problem);
    }
    expect(failures).toEqual([]);
    expect(evil.connections).toEqual([]);
  });

  it('tells a Segment SDK to use the proxy, never a host named by X-Forwarded-Host or Forwarded', async () => {
    for (const headers of [{ 'x-forwarded-host': E, 'x-forwarded-proto': 'https' }, { forwarded: `host=${E};proto=https` }] as Record<string, string>[]) {
      const reply = await raw(proxy.port, requestText({ label: '', target: '/seg/v1/projects/wk1/settings', headers, allowed: [] }));
      expect(reply.status).toBe(200);
      const settings = JSON.parse(reply.text.slice(reply.text.indexOf('\r\n\r\n') + 4)) as { metrics: { host: string } };
      expect(settings.metrics.host).toBe(`${P}/seg/v1`);
      expect(reply.text).not.toContain(String(evil.port));
    }
    expect(evil.connections).toEqual([]);
  });

  it('keeps forwarding to the configured upstream on a keep-alive connection after a request naming evil', async () => {
    upstream.requests.splice(0);
    const first = requestText({ label: '', target: `http://${E}/e/`, headers: { host: E, connection: 'keep-alive' }, body: EVENT, allowed: [] });
    const second = requestText({ label: '', target: '/e/', headers: { 'x-forwarded-host': E }, body: EVENT, allowed: [] });
    const reply = await raw(proxy.port, first + second);
    const statuses = [...reply.text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    expect(statuses).toHaveLength(2);
    expect(statuses[1]).toBe(200);
    expect(upstream.requests.length).toBeGreaterThanOrEqual(1);
    for (const r of upstream.requests) {
      expect(r.path).toBe('/e/');
      expect(r.headers.host).toBe(new URL(upstream.url).host);
    }
    expect(evil.connections).toEqual([]);
  });

  it('sanity: the evil listener does see a connection made to it (so the zero above means something)', async () => {
    const before = evil.connections.length;
    await raw(evil.port, 'GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    expect(evil.connections.length).toBe(before + 1);
  });
});
