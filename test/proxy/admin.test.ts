/**
 * `admin: { host, port }`: /healthz, /readyz and /metrics move to their own plain-HTTP listener;
 * the public listener answers them 404 and still forwards events. Without `admin` the public
 * listener serves them as before. close() closes both listeners.
 */
import * as http from 'node:http';
import { PassThrough } from 'node:stream';
import { Registry } from 'prom-client';
import { ConfigError } from '../../src/errors';
import { startProxy, type RunningProxy } from '../../src/proxy/server';
import { startRecordingUpstream, type RecordingUpstream } from '../e2e/recording-upstream';
import { writeConfig } from '../helpers';

interface Reply { status: number; type: string; body: string }

function get(url: string, init: { method?: string; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? 'GET', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const EVENT = JSON.stringify({ api_key: 'phc_test', batch: [{ event: 'booked', properties: { distinct_id: 'patient-123', email: 'jane.doe@example.com' } }] });

function start(configYaml: string): Promise<RunningProxy> {
  return startProxy({
    configFile: writeConfig({ 'config.yaml': `vault: { path: vault.jsonl }\n${configYaml}` }),
    env: {},
    overrides: { port: 0, host: '127.0.0.1' },
    logDestination: new PassThrough(),
    sinkOutput: new PassThrough(),
    metricsRegistry: new Registry(),
  });
}

describe('admin listener', () => {
  let upstream: RecordingUpstream;
  beforeAll(async () => {
    upstream = await startRecordingUpstream();
  });
  afterAll(() => upstream.close());
  beforeEach(() => upstream.requests.splice(0));

  it('serves /healthz, /readyz and /metrics only on the admin port; the public port answers them 404 and still forwards events', async () => {
    const proxy = await start(`upstream: ${upstream.url}\nadmin: { host: 127.0.0.1, port: 0 }\n`);
    try {
      expect(proxy.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(proxy.adminPort).not.toBe(proxy.port);

      // An event first, so the metrics have something to count.
      expect((await get(`${proxy.url}/e/`, { method: 'POST', body: EVENT })).status).toBe(200);
      expect(upstream.events().map((e) => e.event)).toEqual(['booked']);

      for (const path of ['/healthz', '/readyz', '/metrics', '/metrics/', '/METRICS']) {
        const reply = await get(`${proxy.url}${path}`);
        expect({ path, status: reply.status, body: reply.body }).toEqual({ path, status: 404, body: '{"error":"unknown path"}' });
      }
      expect((await get(`${proxy.url}/metrics`, { method: 'POST', body: '{}' })).status).toBe(404);

      expect(await get(`${proxy.adminUrl}/healthz`)).toMatchObject({ status: 200, body: '{"status":"ok"}' });
      const ready = await get(`${proxy.adminUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.body)).toMatchObject({ status: 'ready', mode: 'safe_harbor' });
      const metrics = await get(`${proxy.adminUrl}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.type).toMatch(/^text\/plain/);
      expect(metrics.body).toMatch(/^phi_proxy_events_total\{route="\/",format="posthog",outcome="in"\} 1$/m);

      // The admin listener is not a second way in: SDK paths are 404 there and nothing is forwarded.
      const sideDoor = await get(`${proxy.adminUrl}/e/`, { method: 'POST', body: EVENT });
      expect(sideDoor).toMatchObject({ status: 404, body: '{"error":"unknown path"}' });
      expect(upstream.requests).toHaveLength(1);
    } finally {
      await proxy.close();
    }
    // close() closed both listeners.
    await expect(get(`${proxy.adminUrl}/healthz`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(get(`${proxy.url}/healthz`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('without `admin`, the public port serves them as before', async () => {
    const proxy = await start(`upstream: ${upstream.url}\n`);
    try {
      expect(proxy.adminUrl).toBeUndefined();
      expect((await get(`${proxy.url}/healthz`)).status).toBe(200);
      expect((await get(`${proxy.url}/readyz`)).status).toBe(200);
      const metrics = await get(`${proxy.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain('phi_proxy_');
    } finally {
      await proxy.close();
    }
  });

  it('refuses an admin port equal to the public one, naming admin.port at its line', async () => {
    const file = writeConfig({ 'config.yaml': 'listen: { port: 18080 }\nadmin:\n  port: 18080\n' });
    const err = await startProxy({ configFile: file, env: {}, logDestination: new PassThrough(), metricsRegistry: new Registry() }).then(
      (p) => p.close(),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(`${file}:3:9: admin.port: must differ from the public port (listen.port)`);
  });
});
