/**
 * `phi-proxy serve --workers 2`: two worker processes share one port (node:cluster), both scrub,
 * a worker that dies is replaced, SIGTERM to the primary drains every worker and exits 0, and
 * `GET /metrics` shows the whole cluster whichever worker answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { startRecordingUpstream, type RecordingUpstream } from '../e2e/recording-upstream';
import { tempDir } from '../helpers';

const BIN = path.resolve(__dirname, '../../bin/phi-proxy.js');
const PLANTED = ['jane.doe@example.com', 'patient-123', '617-555-0123'];

/** One request on a fresh connection (no keep-alive), so the primary hands each to a worker in turn. */
function post(port: number, n: number): Promise<number> {
  const body = zlib.gzipSync(
    JSON.stringify({
      api_key: 'phc_test',
      batch: [{ event: 'booked', properties: { distinct_id: 'patient-123', email: 'jane.doe@example.com', note: 'call 617-555-0123', plan: 'pro', n } }],
    }),
  );
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/e/', method: 'POST', agent: false, headers: { 'content-type': 'text/plain', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** GET /metrics on a fresh connection; `abort` gives up on it (a stopped worker holds it). */
function scrape(port: number): { done: Promise<{ status: number; body: string; ms: number }>; abort: () => void } {
  const started = Date.now();
  let req: http.ClientRequest | undefined;
  const done = new Promise<{ status: number; body: string; ms: number }>((resolve, reject) => {
    req = http.get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: Date.now() - started }));
    });
    req.on('error', reject);
  });
  return { done, abort: () => req?.destroy() };
}

/** Value of the sample line of `name` whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Resolves when `out()` matches `re` (polling), with the match. */
async function waitFor(out: () => string, re: RegExp, ms = 20_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = re.exec(out());
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}:\n${out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('phi-proxy serve --workers 2', () => {
  let upstream: RecordingUpstream;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    upstream = await startRecordingUpstream();
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await upstream.close();
  });

  it('shares one port between two workers, scrubs in both, replaces a dead worker, and drains all on SIGTERM', async () => {
    const dir = tempDir();
    child = spawn(process.execPath, [BIN, 'serve', '--workers', '2', '--port', '0', '--host', '127.0.0.1', '--upstream', upstream.url, '--log-level', 'info'], { cwd: dir });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exit = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));

    const port = Number((await waitFor(() => out, /"port":(\d+),"workers":2,"msg":"phi-proxy cluster listening"/))[1]);
    const pids = [...out.matchAll(/"worker":(\d+),"workerPid":(\d+),"msg":"worker started"/g)].map((m) => Number(m[2]));
    expect(pids).toHaveLength(2);

    for (let i = 0; i < 6; i++) expect(await post(port, i)).toBe(200);
    await waitFor(() => out, /("worker":1,[^\n]*"eventsOut":1[\s\S]*"worker":2,[^\n]*"eventsOut":1)|("worker":2,[^\n]*"eventsOut":1[\s\S]*"worker":1,[^\n]*"eventsOut":1)/);
    const events = upstream.events();
    expect(events).toHaveLength(6);
    for (const event of events) expect(event).toMatchObject({ event: 'booked', properties: { email: '[EMAIL]', plan: 'pro' } });
    // One vault file shared by both workers: one surrogate for the person.
    expect(new Set(events.map((e) => (e.properties as Record<string, unknown>).distinct_id)).size).toBe(1);
    for (const value of PLANTED) {
      expect(JSON.stringify(events)).not.toContain(value);
      expect(out).not.toContain(value);
    }

    // A worker that dies is replaced on the same port.
    process.kill(pids[0]!, 'SIGKILL');
    await waitFor(() => out, /"worker":3,"port":\d+,"msg":"worker listening"/);
    expect(out).toMatch(/"worker":1,"code":null,"signal":"SIGKILL","msg":"worker died; restarting"/);
    const replacement = Number((await waitFor(() => out, /"worker":3,"workerPid":(\d+)/))[1]);
    for (let i = 0; i < 4; i++) expect(await post(port, 10 + i)).toBe(200);

    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(out).toMatch(/"exitCode":0,"msg":"stopped"/);
    for (const pid of [pids[1]!, replacement]) expect(alive(pid)).toBe(false);
  }, 60_000);

  it('one scrape of /metrics shows the sum of all workers, even with a worker stopped or replaced', async () => {
    const dir = tempDir();
    child = spawn(process.execPath, [BIN, 'serve', '--workers', '2', '--port', '0', '--host', '127.0.0.1', '--upstream', upstream.url, '--log-level', 'info'], { cwd: dir });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exit = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    const port = Number((await waitFor(() => out, /"port":(\d+),"workers":2,"msg":"phi-proxy cluster listening"/))[1]);
    const pids = [...out.matchAll(/"worker":(\d+),"workerPid":(\d+),"msg":"worker started"/g)].map((m) => Number(m[2]));

    for (let i = 0; i < 6; i++) expect(await post(port, i)).toBe(200);
    // Each worker scrubbed some of the 6 requests (from its own log lines), none all of them.
    const handled = (id: number) => [...out.matchAll(new RegExp(`"worker":${id},[^\\n]*"eventsOut":1`, 'g'))].length;
    await waitFor(() => String(handled(1) + handled(2)), /^6$/);
    expect(handled(1)).toBeGreaterThan(0);
    expect(handled(2)).toBeGreaterThan(0);

    // Whichever worker answers (fresh connections go round-robin), the scrape has the cluster's totals.
    for (let i = 0; i < 4; i++) {
      const { status, body } = await scrape(port).done;
      expect(status).toBe(200);
      expect(sample(body, 'phi_proxy_events_total', { route: '/', outcome: 'in' })).toBe(6);
      expect(sample(body, 'phi_proxy_events_total', { route: '/', outcome: 'forwarded' })).toBe(6);
      expect(sample(body, 'phi_proxy_requests_total', { route: '/', kind: 'events', status_class: '2xx' })).toBe(6);
      expect(sample(body, 'phi_proxy_findings_total', { rule: 'F-email-fields', identifier: 'F', identifier_kind: 'email' })).toBe(6);
      expect(sample(body, 'phi_proxy_findings_total', { rule: 'R-person-ids', identifier_kind: 'id' })).toBe(6);
      expect(sample(body, 'phi_proxy_scrub_duration_seconds_count', { route: '/' })).toBe(6);
      // Not summed: one shared vault holding one person, one rule set.
      expect(sample(body, 'phi_proxy_vault_size', {})).toBe(1);
      expect(body.match(/^phi_proxy_ruleset_info\{hash="[0-9a-f]{16}"\} 1$/gm)).toHaveLength(1);
      expect(sample(body, 'phi_proxy_cluster_workers', { state: 'answered' })).toBe(2);
      for (const value of PLANTED) expect(body).not.toContain(value);
    }

    // A worker that does not answer (stopped) does not hold the scrape up: its last answer is used.
    // The stopped worker may be handed one of these two connections; the other one answers.
    process.kill(pids[0]!, 'SIGSTOP');
    try {
      const attempts = [scrape(port), scrape(port)];
      const { status, body, ms } = await Promise.any(attempts.map((a) => a.done));
      for (const a of attempts) a.abort();
      expect(status).toBe(200);
      expect(ms).toBeLessThan(4_000);
      expect(sample(body, 'phi_proxy_events_total', { route: '/', outcome: 'in' })).toBe(6);
      expect(sample(body, 'phi_proxy_cluster_workers', { state: 'answered' })).toBe(1);
      expect(sample(body, 'phi_proxy_cluster_workers', { state: 'stale' })).toBe(1);
    } finally {
      process.kill(pids[0]!, 'SIGCONT');
    }

    // A worker that dies takes no counts with it: cluster totals never go backwards.
    process.kill(pids[0]!, 'SIGKILL');
    await waitFor(() => out, /"worker":3,"port":\d+,"msg":"worker listening"/);
    for (let i = 0; i < 2; i++) expect(await post(port, 20 + i)).toBe(200);
    for (let i = 0; i < 2; i++) {
      const { body } = await scrape(port).done;
      expect(sample(body, 'phi_proxy_events_total', { route: '/', outcome: 'in' })).toBe(8);
      expect(sample(body, 'phi_proxy_cluster_workers', { state: 'answered' })).toBe(2);
    }

    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  }, 60_000);

  it('refuses a bad --workers value with exit code 2', async () => {
    const run = spawn(process.execPath, [BIN, 'serve', '--workers', 'zero'], { cwd: tempDir() });
    let err = '';
    run.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => run.on('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(err).toContain('--workers must be a whole number');
  });
});
