/**
 * Nothing acknowledged is lost: the real posthog-node SDK sends through the real CLI (with a
 * spool) while the upstream is killed and brought back, and while the proxy itself is SIGKILLed
 * and restarted. An event counts as acknowledged when the SDK's own request for it got a 2xx
 * (observed in the fetch the SDK is given; the SDK itself is unchanged).
 *
 * Delivery is at least once, not exactly once: a request the upstream took just before the
 * connection or the proxy died is sent again (the spool removes a file only after the upstream's
 * answer). PostHog dedupes by event uuid, which phi-proxy keeps, so the count comes out right.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { PostHog } from 'posthog-node';
import { freePort, tempDir } from '../helpers';
import { startRecordingUpstream, type RecordingUpstream } from './recording-upstream';

jest.setTimeout(120_000);

const BIN = path.resolve(__dirname, '../../bin/phi-proxy.js');
const EMAIL = 'jane.doe@example.com';


async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface ProxyProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

async function startCli(configFile: string, port: number, workers = 1): Promise<ProxyProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', configFile, '--workers', String(workers), '--port', String(port), '--host', '127.0.0.1', '--log-level', workers > 1 ? 'info' : 'warn'], {
    cwd: path.dirname(configFile),
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`proxy did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => out, exited };
}

/** posthog-node, one request per event, with its fetch observed to learn which events were acknowledged. */
function sdk(host: string, acknowledged: Set<string>): PostHog {
  const observed: typeof fetch = async (url, init) => {
    const response = await fetch(url, init);
    if (response.ok && init?.body !== undefined && init.body !== null) {
      let bytes = Buffer.from(init.body as Uint8Array);
      if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = zlib.gunzipSync(bytes);
      const payload = JSON.parse(bytes.toString('utf8')) as { batch?: Array<{ uuid?: string }> };
      for (const event of payload.batch ?? []) if (event.uuid) acknowledged.add(event.uuid);
    }
    return response;
  };
  const client = new PostHog('phc_durability', { host, flushAt: 1, flushInterval: 0, fetchRetryCount: 0, requestTimeout: 5_000, fetch: observed as never });
  client.on('error', () => undefined); // an unacknowledged event is the SDK's to keep; counted by absence
  return client;
}

/**
 * Sends `count` events, `parallel` at a time. `at(i)` runs before event i (fault injection);
 * the other lanes wait for it before sending more, while requests already in flight go on.
 */
async function load(client: PostHog, count: number, parallel: number, at: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let gate: Promise<void> = Promise.resolve();
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await gate;
      const fault = at(i);
      gate = gate.then(() => fault);
      await gate;
      await client.captureImmediate({ distinctId: `patient-${i % 7}`, event: `visit ${i}`, properties: { email: EMAIL, n: i, plan: 'pro' } });
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
}

function writeConfig(upstreamPort: number): { configFile: string; spoolDir: string } {
  const dir = tempDir('phi-durability-');
  const spoolDir = path.join(dir, 'spool');
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(
    configFile,
    `upstream: http://127.0.0.1:${upstreamPort}
log_level: warn
spool:
  dir: spool
  retry_initial_ms: 100
  retry_max_ms: 1000
  forward_timeout_ms: 3000
`,
  );
  return { configFile, spoolDir };
}

function spooled(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  const walk = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [e.name]));
  return walk(dir).filter((n) => n.endsWith('.req')).length;
}

/** uuid → times received, over several upstream lives. */
function arrivals(upstreams: RecordingUpstream[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const u of upstreams) {
    for (const r of u.requests) {
      if (r.status < 200 || r.status >= 300) continue; // an attempt the upstream refused did not land
      const events = (r.json as { batch?: Array<{ uuid?: string }> } | undefined)?.batch ?? [];
      for (const e of events) if (e.uuid) seen.set(e.uuid, (seen.get(e.uuid) ?? 0) + 1);
    }
  }
  return seen;
}

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

describe('durable forwarding with the real posthog-node and the real CLI', () => {
  it('the upstream is killed mid-load and comes back: every acknowledged event arrives', async () => {
    const upstreamPort = await freePort();
    const proxyPort = await freePort();
    const upstreams = [await startRecordingUpstream({ port: upstreamPort })];
    cleanup.push(() => Promise.all(upstreams.map((u) => u.close())));
    const { configFile, spoolDir } = writeConfig(upstreamPort);
    const proxy = await startCli(configFile, proxyPort);
    cleanup.push(() => void proxy.child.kill('SIGKILL'));

    const acknowledged = new Set<string>();
    const client = sdk(`http://127.0.0.1:${proxyPort}`, acknowledged);
    cleanup.push(() => client.shutdown());
    const TOTAL = 240;
    await load(client, TOTAL, 8, async (i) => {
      if (i === 80) await upstreams[0]!.close(); // killed with requests in flight
      if (i === 160) upstreams.push(await startRecordingUpstream({ port: upstreamPort }));
    });

    // The proxy acknowledged everything: live while the upstream was up, from the spool while down.
    expect(acknowledged.size).toBe(TOTAL);
    await until('every acknowledged event upstream', () => [...acknowledged].every((u) => arrivals(upstreams).has(u)));
    await until('an empty spool', () => spooled(spoolDir) === 0);
    const seen = arrivals(upstreams);
    const duplicates = [...seen.values()].filter((n) => n > 1).length;
    expect(duplicates).toBeLessThanOrEqual(8); // only requests in flight when the upstream died
    const everything = upstreams.map((u) => u.everything()).join('\n');
    expect(everything).not.toContain(EMAIL);
    expect(proxy.output()).not.toContain(EMAIL);
  });

  it('the proxy is SIGKILLed mid-load and restarted: every acknowledged event arrives', async () => {
    const upstreamPort = await freePort();
    const proxyPort = await freePort();
    const { configFile, spoolDir } = writeConfig(upstreamPort);
    // The upstream is down at first, so acknowledged events sit in the spool when the proxy dies.
    let proxy = await startCli(configFile, proxyPort);
    const procs = [proxy];
    cleanup.push(() => procs.forEach((p) => p.child.kill('SIGKILL')));

    const acknowledged = new Set<string>();
    const client = sdk(`http://127.0.0.1:${proxyPort}`, acknowledged);
    cleanup.push(() => client.shutdown());
    const TOTAL = 160;
    const upstreams: RecordingUpstream[] = [];
    cleanup.push(() => Promise.all(upstreams.map((u) => u.close())));
    let ackedBeforeKill = 0;
    await load(client, TOTAL, 6, async (i) => {
      if (i === 60) {
        proxy.child.kill('SIGKILL'); // mid-write for some requests: those were never acknowledged
        await proxy.exited;
        ackedBeforeKill = acknowledged.size;
      }
      if (i === 90) {
        proxy = await startCli(configFile, proxyPort);
        procs.push(proxy);
      }
      if (i === 120) upstreams.push(await startRecordingUpstream({ port: upstreamPort }));
    });

    expect(ackedBeforeKill).toBeGreaterThan(40); // the spool held real work when the proxy died
    expect(acknowledged.size).toBeGreaterThan(100); // and the restarted proxy took more
    await until('every acknowledged event upstream', () => [...acknowledged].every((u) => arrivals(upstreams).has(u)));
    await until('an empty spool', () => spooled(spoolDir) === 0);
    expect(proxy.output()).toContain('spool: resuming delivery of requests left by a previous run');
    expect(upstreams.map((u) => u.everything()).join('\n')).not.toContain(EMAIL);
  });

  it('with --workers 2, a SIGKILLed worker’s replacement takes over its spool slot: every acknowledged event arrives', async () => {
    const upstreamPort = await freePort();
    const proxyPort = await freePort();
    const { configFile, spoolDir } = writeConfig(upstreamPort);
    const proxy = await startCli(configFile, proxyPort, 2);
    cleanup.push(() => void proxy.child.kill('SIGKILL'));
    await until('both workers', () => [...proxy.output().matchAll(/"workerPid":(\d+)/g)].length === 2);
    const firstPids = [...proxy.output().matchAll(/"workerPid":(\d+)/g)].map((m) => Number(m[1]));

    const acknowledged = new Set<string>();
    const client = sdk(`http://127.0.0.1:${proxyPort}`, acknowledged);
    cleanup.push(() => client.shutdown());
    const upstreams: RecordingUpstream[] = [];
    cleanup.push(() => Promise.all(upstreams.map((u) => u.close())));
    await load(client, 120, 6, async (i) => {
      if (i === 60) {
        process.kill(firstPids[0]!, 'SIGKILL'); // its spooled requests wait in its slot
        await until('a replacement worker', () => [...proxy.output().matchAll(/"workerPid":(\d+)/g)].length === 3);
        await until('the replacement to listen', () => /"msg":"worker listening"[\s\S]*"msg":"worker listening"[\s\S]*"msg":"worker listening"/.test(proxy.output()));
      }
      if (i === 90) upstreams.push(await startRecordingUpstream({ port: upstreamPort }));
    });
    expect(fs.readdirSync(spoolDir).filter((d) => /^w\d+$/.test(d)).sort()).toEqual(['w0', 'w1']);
    expect(acknowledged.size).toBeGreaterThan(100);
    await until('every acknowledged event upstream', () => [...acknowledged].every((u) => arrivals(upstreams).has(u)));
    await until('an empty spool', () => spooled(spoolDir) === 0);
  });
});
