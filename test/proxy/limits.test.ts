import * as http from 'node:http';
import * as net from 'node:net';
import { Registry } from 'prom-client';
import { startProxy, type RunningProxy } from '../../src/proxy/server';
import { startRecordingUpstream, type RecordingUpstream } from '../e2e/recording-upstream';
import { writeConfig } from '../helpers';

function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
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

describe('hostile-input limits (each a config key)', () => {
  let upstream: RecordingUpstream;
  let proxy: RunningProxy;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    const config = writeConfig({
      'config.yaml': [
        `upstream: ${upstream.url}`,
        'limits: { max_string_length: 1000, max_keys: 20, max_events_per_batch: 3, max_header_bytes: 2048,',
        '          max_connections: 5, headers_timeout_ms: 500, request_timeout_ms: 2000 }',
      ].join('\n'),
    });
    proxy = await startProxy({ configFile: config, overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' }, metricsRegistry: new Registry() });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });
  beforeEach(() => upstream.requests.splice(0));

  const ok = { event: 'ok', properties: { plan: 'pro' } };

  /** phi_proxy_refusals_total{reason} as scraped now. */
  async function refusals(reason: string): Promise<number> {
    const text = await new Promise<string>((resolve, reject) =>
      http.get(`${proxy.url}/metrics`, (res) => {
        let t = '';
        res.on('data', (d) => (t += d));
        res.on('end', () => resolve(t));
      }).on('error', reject),
    );
    return Number(new RegExp(`^phi_proxy_refusals_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  }

  it('drops an event holding an over-long string or an over-wide object, forwarding the rest', async () => {
    const long = { event: 'long', properties: { note: 'x'.repeat(1001) } };
    const wide = { event: 'wide', properties: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i])) };
    expect((await post(`${proxy.url}/e/`, JSON.stringify([long, wide, ok]))).status).toBe(200);
    expect(upstream.events().map((e) => e.event)).toEqual(['ok']);
  });

  it('refuses a batch with too many events (413), forwarding nothing', async () => {
    const reply = await post(`${proxy.url}/e/`, JSON.stringify([ok, ok, ok, ok]));
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body).error).toMatch(/more than 3 events/);
    expect(upstream.requests).toHaveLength(0);
    expect(await refusals('too_large')).toBeGreaterThanOrEqual(1);
  });

  it('answers 431 to an oversized request head', async () => {
    const reply = await post(`${proxy.url}/e/`, JSON.stringify([ok]), { 'x-filler': 'a'.repeat(4000) });
    expect(reply.status).toBe(431);
    expect(upstream.requests).toHaveLength(0);
    expect(await refusals('header_too_large')).toBe(1);
  });

  it('closes a slowloris client that never finishes its headers, and keeps serving others', async () => {
    const { port } = new URL(proxy.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    const closed = new Promise<number>((resolve) => {
      const started = Date.now();
      socket.on('close', () => resolve(Date.now() - started));
    });
    socket.on('error', () => {});
    socket.write('POST /e/ HTTP/1.1\r\nHost: x\r\n'); // and then nothing
    const drip = setInterval(() => socket.write('X-A: b\r\n'), 100); // a header every 100 ms, never the blank line
    expect(await closed).toBeLessThan(5_000);
    clearInterval(drip);
    expect((await post(`${proxy.url}/e/`, JSON.stringify([ok]))).status).toBe(200);
    expect(await refusals('timeout')).toBe(1);
  });

  it('survives a connection flood beyond max_connections and still answers', async () => {
    const { port } = new URL(proxy.url);
    const sockets = Array.from({ length: 30 }, () => {
      const s = net.connect(Number(port), '127.0.0.1');
      s.on('error', () => {});
      return s;
    });
    await new Promise((r) => setTimeout(r, 300));
    for (const s of sockets) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect((await post(`${proxy.url}/e/`, JSON.stringify([ok]))).status).toBe(200);
    const health = await new Promise<number>((resolve) => http.get(`${proxy.url}/healthz`, (res) => { res.resume(); resolve(res.statusCode ?? 0); }));
    expect(health).toBe(200);
    expect(await refusals('connection_limit')).toBeGreaterThanOrEqual(20);
  });
});
