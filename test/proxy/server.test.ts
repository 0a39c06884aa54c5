import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import * as zlib from 'node:zlib';
import { startProxy, type RunningProxy } from '../../src/proxy/server';
import { startRecordingUpstream, type RecordingUpstream } from '../e2e/recording-upstream';
import { tempDir, writeConfig } from '../helpers';

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: string }

/** Sends the path exactly as written (a URL object would normalise `/%2e%2e/` away). */
function request(url: string, init: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Reply> {
  const m = /^http:\/\/([^/:]+):(\d+)(.*)$/.exec(url)!;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: m[1], port: Number(m[2]), path: m[3] || '/', method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const PHI_EVENT = {
  api_key: 'phc_test',
  batch: [
    { event: 'booked', uuid: '0190a1b2-0000-7000-8000-000000000001', properties: { distinct_id: 'patient-123', email: 'jane.doe@example.com', note: 'Patient Jane Doe called from 617-555-0123', plan: 'pro' } },
  ],
};
const PLANTED = ['jane.doe@example.com', 'patient-123', 'Jane Doe', '617-555-0123'];

describe('proxy', () => {
  let upstream: RecordingUpstream;
  let proxy: RunningProxy;
  const logs = new PassThrough();
  let logText = '';
  logs.on('data', (d) => (logText += d));

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    const config = writeConfig({
      'config.yaml': [
        `upstream: ${upstream.url}`,
        'vault: { path: vault.jsonl }',
        'cors: { allowed_origins: ["http://app.example.org"] }',
        'limits: { max_body_bytes: 65536, max_decoded_bytes: 262144, max_depth: 16 }',
        'routes:',
        `  - { prefix: /ingest, upstream: ${upstream.url}, format: posthog }`,
        `  - { prefix: /amp, upstream: ${upstream.url}, format: amplitude }`,
      ].join('\n'),
    });
    proxy = await startProxy({ configFile: config, overrides: { port: 0, host: '127.0.0.1', logLevel: 'debug' }, logDestination: logs });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });
  beforeEach(() => upstream.requests.splice(0));

  it('answers /healthz and /readyz', async () => {
    expect((await request(`${proxy.url}/healthz`)).status).toBe(200);
    const ready = await request(`${proxy.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'ready', mode: 'safe_harbor', routes: expect.arrayContaining([{ prefix: '/ingest', format: 'posthog', upstream: 'configured' }]) });
  });

  it('forwards only scrubbed events, with no client IP, cookie, referer or origin, and the upstream as Host', async () => {
    const reply = await request(`${proxy.url}/e/`, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain', 'x-forwarded-for': '198.51.100.7', 'x-real-ip': '198.51.100.7', forwarded: 'for=198.51.100.7',
        'cf-connecting-ip': '198.51.100.7', 'true-client-ip': '198.51.100.7', cookie: 'ph_session=abc; email=jane.doe@example.com',
        referer: 'https://clinic.example.org/patients/123?email=jane.doe@example.com', origin: 'http://app.example.org',
        'x-client-url': 'https://clinic.example.org/patients/123', 'x-patient-email': 'jane.doe@example.com', via: '1.1 cdn',
      },
      body: zlib.gzipSync(JSON.stringify(PHI_EVENT)),
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('{"status":1}');
    expect(upstream.requests).toHaveLength(1);
    const seen = upstream.requests[0]!;
    for (const name of ['x-forwarded-for', 'x-real-ip', 'forwarded', 'cf-connecting-ip', 'true-client-ip', 'cookie', 'referer', 'origin', 'x-client-url', 'x-patient-email', 'via']) {
      expect(seen.headers).not.toHaveProperty(name);
    }
    expect(seen.headers.host).toBe(new URL(upstream.url).host);
    expect(Number(seen.headers['content-length'])).toBe(seen.raw.length);
    const everything = upstream.everything();
    for (const value of [...PLANTED, '198.51.100.7']) expect(everything).not.toContain(value);
    const [event] = upstream.events();
    expect(event).toMatchObject({ event: 'booked', uuid: PHI_EVENT.batch[0]!.uuid, properties: { email: '[EMAIL]', plan: 'pro' } });
  });

  it('strips a route prefix before forwarding', async () => {
    const reply = await request(`${proxy.url}/ingest/batch/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(PHI_EVENT) });
    expect(reply.status).toBe(200);
    expect(upstream.requests.map((r) => r.path)).toEqual(['/batch/']);
  });

  it('answers CORS for allowed origins (mirrored, with credentials) and refuses others', async () => {
    const preflight = await request(`${proxy.url}/e/`, {
      method: 'OPTIONS',
      headers: { origin: 'http://app.example.org', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://app.example.org');
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');
    expect(preflight.headers['access-control-allow-headers']).toBe('content-type');
    const denied = await request(`${proxy.url}/e/`, { method: 'OPTIONS', headers: { origin: 'http://evil.example' } });
    expect(denied.status).toBe(403);
    expect(upstream.requests).toHaveLength(0);
  });

  it.each([
    ['not JSON', 'text/plain', Buffer.from('{"batch": ['), 400],
    ['truncated gzip', 'text/plain', zlib.gzipSync(JSON.stringify(PHI_EVENT)).subarray(0, 20), 400],
    ['invalid UTF-8', 'application/json', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 400],
    ['a body over the limit', 'application/json', Buffer.alloc(70_000, 0x20), 413],
    ['a gzip bomb', 'text/plain', zlib.gzipSync(Buffer.alloc(5_000_000, 0x20)), 413],
  ])('refuses %s and forwards nothing', async (_label, type, body, status) => {
    const reply = await request(`${proxy.url}/e/`, { method: 'POST', headers: { 'content-type': type }, body });
    expect(reply.status).toBe(status);
    expect(JSON.parse(reply.body)).toEqual({ error: expect.any(String) });
    expect(upstream.requests).toHaveLength(0);
    expect((await request(`${proxy.url}/healthz`)).status).toBe(200);
  });

  it('drops an event that cannot be scrubbed and forwards the rest', async () => {
    let deep: Record<string, unknown> = { email: 'jane.doe@example.com' };
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const body = { api_key: 'phc_test', batch: [{ event: 'deep', properties: deep }, { event: 'ok', properties: { plan: 'pro' } }] };
    expect((await request(`${proxy.url}/e/`, { method: 'POST', body: JSON.stringify(body) })).status).toBe(200);
    expect(upstream.events().map((e) => e.event)).toEqual(['ok']);
  });

  it('forwards nothing when every event had to be dropped, and refuses a flags request it cannot scrub', async () => {
    let deep: Record<string, unknown> = { email: 'jane.doe@example.com' };
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect((await request(`${proxy.url}/e/`, { method: 'POST', body: JSON.stringify([{ event: 'deep', properties: deep }]) })).status).toBe(200);
    const flags = await request(`${proxy.url}/flags/?v=2`, { method: 'POST', body: JSON.stringify({ token: 'phc_test', distinct_id: 'p-1', person_properties: deep }) });
    expect(flags.status).toBe(422);
    expect(upstream.requests).toHaveLength(0);
  });

  it('answers a refused all-or-nothing batch in the vendor\'s terms (Amplitude: code 400, all silenced)', async () => {
    let deep: Record<string, unknown> = { email: 'jane.doe@example.com' };
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const body = JSON.stringify({ api_key: 'k', events: [{ event_type: 'ok', user_id: 'patient-123' }, { event_type: 'deep', event_properties: deep }] });
    const reply = await request(`${proxy.url}/amp/2/httpapi`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toMatchObject({ code: 400, silenced_events: [0, 1] });
    expect(upstream.requests).toHaveLength(0);
  });

  it('refuses unknown paths and path tricks with 404, forwarding nothing', async () => {
    for (const p of ['/api/projects/1/persons', '/patients/jane.doe@example.com', '//evil.example/e/', '/e/../../admin', '/%2e%2e/e/']) {
      const reply = await request(`${proxy.url}${p}`, { method: 'POST', body: '{}' });
      expect(reply.status).toBe(404);
    }
    expect(upstream.requests).toHaveLength(0);
  });

  it('answers session recordings itself: they are not forwarded', async () => {
    const reply = await request(`${proxy.url}/s/`, { method: 'POST', body: zlib.gzipSync('[{"event":"$snapshot","properties":{"$snapshot_data":[]}}]') });
    expect(reply.status).toBe(200);
    expect(upstream.requests).toHaveLength(0);
  });

  it('answers 502 when the upstream is unreachable', async () => {
    const config = writeConfig({ 'config.yaml': 'upstream: http://127.0.0.1:9\n' });
    const dead = await startProxy({ configFile: config, overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' } });
    try {
      const reply = await request(`${dead.url}/e/`, { method: 'POST', body: JSON.stringify(PHI_EVENT) });
      expect(reply.status).toBe(502);
      expect(JSON.parse(reply.body)).toEqual({ error: 'upstream unavailable' });
    } finally {
      await dead.close();
    }
  });

  it('never writes a scrubbed value into its logs, even at debug level', () => {
    expect(logText).toContain('"msg":"request"');
    expect(logText).toContain('"rules":{');
    for (const value of [...PLANTED, '198.51.100.7', 'evil.example', 'ph_session']) expect(logText).not.toContain(value);
  });
});

describe('phi-proxy serve', () => {
  it('starts on the embedded default, prints scrubbed events from the inspection sink, and exits 0 on SIGTERM', async () => {
    const bin = path.resolve(__dirname, '../../bin/phi-proxy.js');
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--host', '127.0.0.1', '--log-level', 'info'], { cwd: tempDir() });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 15_000);
      child.stdout.on('data', () => {
        const m = /"port":(\d+)/.exec(out);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      });
    });
    const reply = await request(`http://127.0.0.1:${port}/e/`, { method: 'POST', body: JSON.stringify(PHI_EVENT) });
    expect(reply.status).toBe(200);
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    const sinkLine = out.split('\n').find((l) => l.startsWith('{"sink"'));
    expect(JSON.parse(sinkLine!)).toMatchObject({ sink: 'posthog', path: '/e/', event: { event: 'booked', properties: { email: '[EMAIL]', plan: 'pro' } } });
    for (const value of PLANTED) expect(out).not.toContain(value);
  }, 30_000);
});
