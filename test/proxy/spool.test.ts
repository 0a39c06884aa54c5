/**
 * The durable spool behind a real proxy: an upstream that is down, failing, rate-limiting, slow
 * or refusing; a full spool; a restart; a corrupt file; two proxies on one directory.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { ConfigError } from '../../src/errors';
import { startProxy, type RunningProxy } from '../../src/proxy/server';
import { startRecordingUpstream, type Override, type RecordingUpstream } from '../e2e/recording-upstream';
import { freePort, tempDir } from '../helpers';

jest.setTimeout(30_000);

const EMAIL = 'jane.doe@example.com';
const SSN = '123-45-6789';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function send(url: string, method: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}


/** A PostHog /batch/ body of one event per name, each carrying PHI the rules must remove. */
function batch(...names: string[]): { api_key: string; batch: Record<string, unknown>[] } {
  return {
    api_key: 'phc_test',
    batch: names.map((event) => ({ event, uuid: randomUUID(), distinct_id: 'user-1', properties: { email: EMAIL, note: `SSN ${SSN}`, plan: 'pro' } })),
  };
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(path.join(dir, d.name)) : [path.join(dir, d.name)]));
}

function spooledFiles(dir: string): string[] {
  return filesUnder(dir).filter((f) => f.endsWith('.req'));
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

interface Setup {
  proxy: RunningProxy;
  spoolDir: string;
  configFile: string;
  port: number;
  logs: Capture;
}

const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!.close().catch(() => undefined);
});

async function setup(spoolYaml = '', port?: number, spoolDir?: string): Promise<Setup> {
  const upstreamPort = port ?? (await freePort());
  const dir = tempDir('phi-spool-');
  const spool = spoolDir ?? path.join(dir, 'spool');
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(
    configFile,
    `upstream: http://127.0.0.1:${upstreamPort}
log_level: debug
spool:
  dir: ${spool}
  retry_initial_ms: 50
  retry_max_ms: 2000
  forward_timeout_ms: 1000
${spoolYaml}`,
  );
  const logs = new Capture();
  const proxy = await startProxy({ configFile, overrides: { port: 0, host: '127.0.0.1' }, logDestination: logs, env: {}, metricsRegistry: new Registry() });
  running.push(proxy);
  return { proxy, spoolDir: spool, configFile, port: upstreamPort, logs };
}

async function upstreamOn(port: number, override?: Override): Promise<RecordingUpstream> {
  const upstream = await startRecordingUpstream({ port, override });
  running.unshift(upstream); // closed after the proxy
  return upstream;
}

async function readyz(proxy: RunningProxy): Promise<{ status: number; json: Record<string, any> }> {
  const answer = await send(`${proxy.adminUrl ?? proxy.url}/readyz`, 'GET');
  return { status: answer.status, json: JSON.parse(answer.body) };
}

describe('spool', () => {
  it('upstream down: the SDK gets PostHog’s answer, only scrubbed data is spooled, and all of it arrives once the upstream is back', async () => {
    const s = await setup();
    const sent = [batch('a1', 'a2'), batch('b1'), batch('c1')];
    for (const body of sent) {
      const answer = await send(`${s.proxy.url}/batch/`, 'POST', body);
      expect(answer).toMatchObject({ status: 200, body: '{"status":1}' });
    }
    const files = spooledFiles(s.spoolDir);
    expect(files).toHaveLength(3);
    for (const file of files) {
      expect(path.basename(file)).toMatch(/^\d{15}-\d{9}\.req$/);
      expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
      const text = fs.readFileSync(file, 'latin1');
      expect(text).toContain('"event":"'); // the request is there…
      expect(text).not.toContain(EMAIL); // …scrubbed
      expect(text).not.toContain(SSN);
    }
    const ready = await readyz(s.proxy);
    expect(ready.status).toBe(200);
    expect(ready.json.spool).toMatchObject({ requests: 3, full: false });
    expect(ready.json.spool.oldestAgeSeconds).toBeGreaterThanOrEqual(0);

    const upstream = await upstreamOn(s.port);
    await until('delivery', () => upstream.events().length === 4);
    // Several deliveries run at once (delivery_concurrency 4): the set, not the order (see the order test).
    expect(upstream.events().map((e) => e.uuid).sort()).toEqual(sent.flatMap((b) => b.batch.map((e) => String(e.uuid))).sort());
    expect(upstream.everything()).not.toContain(EMAIL);
    await until('an empty spool', () => spooledFiles(s.spoolDir).length === 0);
    expect((await readyz(s.proxy)).json.spool.requests).toBe(0);
    expect(s.logs.text).toContain('spool: delivery failed, will retry');
    expect(s.logs.text).not.toContain(EMAIL);
    expect(s.logs.text).not.toContain(SSN);
  });

  it('503 answers: spooled, retried with backoff, delivered exactly once', async () => {
    const port = await freePort();
    let failures = 2;
    const upstream = await upstreamOn(port, (r) => (r.path === '/batch/' && failures-- > 0 ? { status: 503 } : undefined));
    const s = await setup('', port);
    const body = batch('x');
    expect((await send(`${s.proxy.url}/batch/`, 'POST', body)).status).toBe(200);
    await until('delivery', () => upstream.requests.some((r) => r.status === 200));
    expect(upstream.requests.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(upstream.events().map((e) => e.uuid)).toEqual([body.batch[0]!.uuid, body.batch[0]!.uuid, body.batch[0]!.uuid]);
    await until('an empty spool', () => spooledFiles(s.spoolDir).length === 0);
    const metrics = (await send(`${s.proxy.url}/metrics`, 'GET')).body;
    expect(metrics).toContain('phi_proxy_spooled_total{route="/"} 1');
    expect(metrics).toContain('phi_proxy_upstream_retries_total{route="/"} 2'); // the live 503 and the first spooled 503
    expect(metrics).toContain('phi_proxy_spool_delivered_total{route="/"} 1');
    expect(metrics).toMatch(/^phi_proxy_spool_requests 0$/m);
  });

  it('429 with Retry-After: the next attempt waits at least that long', async () => {
    const port = await freePort();
    const times: number[] = [];
    const upstream = await upstreamOn(port, (r) => {
      if (r.path !== '/batch/') return undefined;
      times.push(Date.now());
      return times.length === 1 ? { status: 429, headers: { 'retry-after': '1' } } : undefined;
    });
    const s = await setup('', port);
    expect((await send(`${s.proxy.url}/batch/`, 'POST', batch('x'))).status).toBe(200);
    await until('the retry', () => upstream.requests.length === 2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(950);
  });

  it('a 400 from the upstream is its verdict: relayed to the SDK, not spooled', async () => {
    const port = await freePort();
    await upstreamOn(port, () => ({ status: 400, body: '{"error":"invalid api key"}' }));
    const s = await setup('', port);
    const answer = await send(`${s.proxy.url}/batch/`, 'POST', batch('x'));
    expect(answer).toMatchObject({ status: 400, body: '{"error":"invalid api key"}' });
    expect(spooledFiles(s.spoolDir)).toHaveLength(0);
  });

  it('a slow upstream: after forward_timeout_ms the request is spooled and the SDK answered', async () => {
    const port = await freePort();
    let hang = true;
    const upstream = await upstreamOn(port);
    // Stand a hanging server in front for the first request only.
    await upstream.close();
    const slow = http.createServer((req, res) => {
      if (hang) {
        hang = false;
        return; // never answers
      }
      req.resume();
      req.on('end', () => res.end('{"status":1}'));
    });
    await new Promise<void>((resolve) => slow.listen(port, '127.0.0.1', resolve));
    running.unshift({ close: () => new Promise((resolve) => { slow.closeAllConnections(); slow.close(() => resolve()); }) });
    const s = await setup('', port);
    const started = Date.now();
    expect((await send(`${s.proxy.url}/batch/`, 'POST', batch('x'))).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await until('delivery', () => spooledFiles(s.spoolDir).length === 0);
  });

  it('while a backlog drains, new requests queue behind it: order is kept (delivery_concurrency 1)', async () => {
    const s = await setup('  delivery_concurrency: 1\n');
    const names = Array.from({ length: 12 }, (_, i) => `e${i}`);
    for (const name of names) expect((await send(`${s.proxy.url}/batch/`, 'POST', batch(name))).status).toBe(200);
    const upstream = await upstreamOn(s.port);
    // Requests sent while the backlog drains must land after it.
    for (const name of ['late1', 'late2']) expect((await send(`${s.proxy.url}/batch/`, 'POST', batch(name))).status).toBe(200);
    await until('delivery', () => upstream.events().length === 14);
    expect(upstream.events().map((e) => e.event)).toEqual([...names, 'late1', 'late2']);
  });

  it('a full spool: 503 with Retry-After (the SDK keeps its events), /readyz not ready; both recover', async () => {
    const s = await setup('  max_bytes: 65536\n');
    const padded = (name: string) => {
      const b = batch(name);
      (b.batch[0]!.properties as Record<string, unknown>).items = Array.from({ length: 1500 }, (_, i) => `item-${i}`);
      return b;
    };
    const statuses: number[] = [];
    let last: Answer | undefined;
    for (let i = 0; i < 6; i++) {
      last = await send(`${s.proxy.url}/batch/`, 'POST', padded(`p${i}`));
      statuses.push(last.status);
    }
    expect(statuses).toContain(200);
    expect(statuses[statuses.length - 1]).toBe(503);
    expect(last!.headers['retry-after']).toBe('30');
    expect(JSON.parse(last!.body).error).toMatch(/spool is full/);
    const full = await readyz(s.proxy);
    expect(full.status).toBe(503);
    const metrics = (await send(`${s.proxy.url}/metrics`, 'GET')).body;
    expect(metrics).toMatch(/^phi_proxy_spool_full 1$/m);
    expect(metrics).toMatch(new RegExp(`^phi_proxy_spool_requests ${statuses.filter((c) => c === 200).length}$`, 'm'));
    expect(Number(/^phi_proxy_spool_bytes (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(30_000);
    expect(full.json).toMatchObject({ status: 'spool full', spool: { full: true } });
    const upstream = await upstreamOn(s.port);
    await until('delivery', () => upstream.events().length === statuses.filter((c) => c === 200).length);
    expect((await readyz(s.proxy)).status).toBe(200);
  });

  it('what a stopped proxy spooled, the next one on the same directory delivers', async () => {
    const first = await setup();
    expect((await send(`${first.proxy.url}/batch/`, 'POST', batch('before-restart'))).status).toBe(200);
    await first.proxy.close();
    running.splice(running.indexOf(first.proxy), 1);
    expect(spooledFiles(first.spoolDir)).toHaveLength(1);
    const upstream = await upstreamOn(first.port);
    const second = await setup('', first.port, first.spoolDir);
    await until('delivery', () => upstream.events().length === 1);
    expect(upstream.events()[0]!.event).toBe('before-restart');
    await until('an empty spool', () => spooledFiles(second.spoolDir).length === 0);
  });

  it('a second live proxy on the same spool directory is refused at start', async () => {
    const first = await setup();
    await expect(setup('', first.port, first.spoolDir)).rejects.toThrow(ConfigError);
    await expect(setup('', first.port, first.spoolDir)).rejects.toThrow(/in use by process/);
  });

  it('a corrupt spool file is moved aside and never sent; an unacknowledged temporary file is removed', async () => {
    const port = await freePort();
    const upstream = await upstreamOn(port);
    const spoolDir = path.join(tempDir('phi-spool-'), 'spool');
    const routeDir = path.join(spoolDir, 'w0', 'r_');
    fs.mkdirSync(routeDir, { recursive: true });
    const stamp = String(Date.now()).padStart(15, '0');
    fs.writeFileSync(path.join(routeDir, `${stamp}-000000001.req`), 'PHISPOOL 1\n{"method":"POST","path":"/batch/","headers":{},"body":999}\nshort');
    fs.writeFileSync(path.join(routeDir, `${stamp}-000000002.req.tmp`), 'half-written');
    const s = await setup('', port, spoolDir);
    await until('quarantine', () => fs.existsSync(path.join(spoolDir, 'corrupt')) && fs.readdirSync(path.join(spoolDir, 'corrupt')).length === 1);
    expect(filesUnder(routeDir)).toEqual([]);
    expect(upstream.requests).toHaveLength(0);
    expect(s.logs.text).toContain('moved to corrupt/');
  });

  it('a request older than max_age_seconds is given up, not sent', async () => {
    const port = await freePort();
    const upstream = await upstreamOn(port);
    const spoolDir = path.join(tempDir('phi-spool-'), 'spool');
    const routeDir = path.join(spoolDir, 'w0', 'r_');
    fs.mkdirSync(routeDir, { recursive: true });
    const old = String(Date.now() - 120_000).padStart(15, '0');
    fs.writeFileSync(path.join(routeDir, `${old}-000000001.req`), 'PHISPOOL 1\n{"method":"POST","path":"/batch/","headers":{},"body":-1}\n');
    const s = await setup('  max_age_seconds: 60\n', port, spoolDir);
    await until('expiry', () => spooledFiles(spoolDir).length === 0);
    expect(upstream.requests).toHaveLength(0);
    expect(s.logs.text).toContain('older than spool.max_age_seconds');
    expect((await send(`${s.proxy.url}/metrics`, 'GET')).body).toContain('phi_proxy_spool_given_up_total{route="/",reason="expired"} 1');
  });

  it('slot 0 adopts the requests of a retired worker slot (the worker count went down)', async () => {
    const port = await freePort();
    const upstream = await upstreamOn(port);
    const spoolDir = path.join(tempDir('phi-spool-'), 'spool');
    const retired = path.join(spoolDir, 'w1', 'r_');
    fs.mkdirSync(retired, { recursive: true });
    const stamp = String(Date.now()).padStart(15, '0');
    const event = JSON.stringify({ api_key: 'phc_test', batch: [{ event: 'from-w1', uuid: randomUUID(), distinct_id: 'x', properties: {} }] });
    fs.writeFileSync(
      path.join(retired, `${stamp}-000000001.req`),
      `PHISPOOL 1\n${JSON.stringify({ method: 'POST', path: '/batch/', headers: { 'content-type': 'application/json' }, body: Buffer.byteLength(event) })}\n${event}`,
    );
    await setup('', port, spoolDir);
    await until('delivery', () => upstream.events().length === 1);
    expect(upstream.events()[0]!.event).toBe('from-w1');
    expect(spooledFiles(spoolDir)).toEqual([]);
  });

  it('Amplitude uploads (one unit for scrubbing) are spooled too, acknowledged with Amplitude’s own answer', async () => {
    const s = await setup('routes:\n  - { prefix: /amp, format: amplitude, upstream: PLACEHOLDER }\n'.replace('PLACEHOLDER', `http://127.0.0.1:${await freePort()}`));
    const body = { api_key: 'amp_key', events: [{ event_type: 'visit', user_id: 'user-1', insert_id: randomUUID(), event_properties: { email: EMAIL } }] };
    const answer = await send(`${s.proxy.url}/amp/2/httpapi`, 'POST', body);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 200 });
    const files = spooledFiles(s.spoolDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toContain(`${path.sep}r_amp${path.sep}`);
    expect(fs.readFileSync(files[0]!, 'latin1')).not.toContain(EMAIL);
  });

  it('flags requests need the live answer: 502 while the upstream is down, never spooled', async () => {
    const s = await setup();
    const answer = await send(`${s.proxy.url}/flags/?v=2`, 'POST', { api_key: 'phc_test', distinct_id: 'user-1' });
    expect(answer.status).toBe(502);
    expect(spooledFiles(s.spoolDir)).toHaveLength(0);
  });

  it('an unwritable spool directory is a config error naming spool.dir', async () => {
    const dir = tempDir('phi-spool-');
    const blocker = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocker, '');
    await expect(setup('', undefined, path.join(blocker, 'spool'))).rejects.toThrow(/spool\.dir/);
  });
});
