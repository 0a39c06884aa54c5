/**
 * Safety under load, through a real proxy (in this process) to a recording upstream (issue 5):
 *  - user patterns cannot stall the event loop: custom detectors with catastrophic-backtracking
 *    patterns (run by RE2) on 100 KB hostile values from 40 concurrent requests, and a key glob
 *    with two stars on a long hostile property name;
 *  - hot reload under load: rule files rewritten while clients stream events; every event is
 *    scrubbed by one whole version of the rules, never half of each.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { startProxy, type RunningProxy } from '../../src/proxy/server';
import { startRecordingUpstream, type RecordingUpstream } from '../e2e/recording-upstream';
import { writeConfig } from '../helpers';

jest.setTimeout(30_000);

interface Reply {
  status: number;
  body: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
afterAll(() => agent.destroy());

function post(url: string, body: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function getJson(url: string): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          try {
            resolve({ ...JSON.parse(text), httpStatus: res.statusCode });
          } catch (err) {
            reject(err);
          }
        });
      })
      .on('error', reject);
  });
}

function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(text));
      })
      .on('error', reject);
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Runs `load` while measuring this process's event-loop delay (the proxy runs in it) and polling
 * /healthz. Returns the longest delay in ms and how many health checks were both sent after the
 * load started and answered before it finished.
 *
 * The histogram only records from its second tick (the first sets its baseline), so it is given
 * time to start before the load; a plain interval timer's longest gap is taken as well.
 */
async function underLoad<T>(proxyUrl: string, load: () => Promise<T>): Promise<{ result: T; maxDelayMs: number; healthDuringLoad: number; healthStatuses: number[] }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let lastTick = performance.now();
  let longestGap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - lastTick);
    lastTick = now;
  }, 10);
  await new Promise((r) => setTimeout(r, 50));
  let loading = true;
  let started = false;
  let healthDuringLoad = 0;
  const healthStatuses: number[] = [];
  const poller = (async () => {
    while (loading) {
      const sentDuringLoad = started;
      const reply = await getJson(`${proxyUrl}/healthz`).catch(() => ({ httpStatus: 0 }));
      healthStatuses.push(reply.httpStatus as number);
      if (sentDuringLoad && loading && reply.httpStatus === 200) healthDuringLoad++;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  try {
    started = true;
    const result = await load();
    // One more tick, so a stall at the very end is recorded too.
    await new Promise((r) => setTimeout(r, 30));
    return { result, maxDelayMs: Math.max(histogram.max / 1e6, longestGap - 10), healthDuringLoad, healthStatuses };
  } finally {
    loading = false;
    clearInterval(ticker);
    histogram.disable();
    await poller;
  }
}

describe('user patterns cannot stall the event loop', () => {
  let upstream: RecordingUpstream;
  let proxy: RunningProxy;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    const config = writeConfig({
      'config.yaml': `upstream: ${upstream.url}\nrules: [rules.yaml]\n`,
      // Patterns that take exponential time in a backtracking engine on a near-miss input.
      'rules.yaml': `version: 1
detectors:
  - { id: nested_a, pattern: '^(a+)+$', marker: '[NESTED_A]' }
  - { id: pair_x, pattern: '(x+x+)+y', marker: '[PAIR_X]' }
  - { id: alt_b, pattern: '(b|bb)+c', marker: '[ALT_B]' }
rules:
  - id: note-nested
    match: { keys: [note], detectors: [nested_a] }
    action: redact
  - id: everywhere
    match: { detectors: [pair_x, alt_b] }
    action: redact
  - id: emails
    match: { keys: [email] }
    action: redact
    marker: '[EMAIL]'
`,
    });
    proxy = await startProxy({ configFile: config, overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' }, metricsRegistry: new Registry() });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });
  beforeEach(() => upstream.requests.splice(0));

  it('the hostile detectors are live: each redacts the input it matches', async () => {
    // Without this, a test where nothing matched could pass with the detectors never running.
    const event = { event: 'probe', properties: { note: 'aaaa', other: 'xxxy', third: 'bbbc', email: 'jane@example.com' } };
    expect((await post(`${proxy.url}/e/`, JSON.stringify([event]))).status).toBe(200);
    expect(upstream.events()).toEqual([{ event: 'probe', properties: { note: '[NESTED_A]', other: '[PAIR_X]', third: '[ALT_B]', email: '[EMAIL]' } }]);
  });

  it('40 concurrent requests with 100 KB near-miss values: all answered, /healthz answered meanwhile, no long event-loop stall', async () => {
    const N = 40;
    const SIZE = 100_000;
    const bodies = Array.from({ length: N }, (_, i) =>
      JSON.stringify([
        {
          event: `load-${i}`,
          properties: { note: `${'a'.repeat(SIZE)}!`, other: 'x'.repeat(SIZE), third: `${'b'.repeat(SIZE)}!`, email: `jane+${i}@example.com` },
        },
      ]),
    );
    const { result, maxDelayMs, healthDuringLoad, healthStatuses } = await underLoad(proxy.url, () => Promise.all(bodies.map((b) => post(`${proxy.url}/e/`, b))));
    expect(result.map((r) => r.status)).toEqual(Array(N).fill(200));
    expect(healthStatuses.every((s) => s === 200)).toBe(true);
    expect(healthDuringLoad).toBeGreaterThan(0);
    // Liveness, not speed: RE2 is linear (milliseconds per value); a backtracking engine would
    // need longer than the age of the universe on these inputs, and block everything meanwhile.
    expect(maxDelayMs).toBeLessThan(2_000);
    // Every event arrived, unchanged where nothing matched (near misses), PHI still scrubbed.
    const events = upstream.events() as Array<{ event: string; properties: Record<string, string> }>;
    expect(events.map((e) => e.event).sort()).toEqual(Array.from({ length: N }, (_, i) => `load-${i}`).sort());
    for (const e of events) {
      expect(e.properties.note).toHaveLength(SIZE + 1);
      expect(e.properties.other).toHaveLength(SIZE);
      expect(e.properties.email).toBe('[EMAIL]');
    }
  });
});

describe('a key glob cannot stall the event loop on a long property name', () => {
  let upstream: RecordingUpstream;
  let proxy: RunningProxy;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    const config = writeConfig({
      'config.yaml': `upstream: ${upstream.url}\nrules: [rules.yaml]\n`,
      'rules.yaml': `version: 1
rules:
  - id: home-address
    match: { keys: ['*home*address*'] }
    action: redact
    marker: '[ADDRESS]'
`,
    });
    proxy = await startProxy({ configFile: config, overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' }, metricsRegistry: new Registry() });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  /**
   * Key globs are user patterns too, run on attacker-chosen property names. They are compiled to
   * backtracking JS RegExps (src/engine/matchers.ts compileKeyPatterns: `*` becomes `.*`), so a
   * glob with two stars is quadratic in the key's length.
   */
  it('a 160,000-character key that nearly matches a two-star glob', async () => {
    // The glob is live: a matching key is redacted.
    expect((await post(`${proxy.url}/e/`, JSON.stringify([{ event: 'probe', properties: { patient_home_street_address: '1 Main St' } }]))).status).toBe(200);
    expect(upstream.events()).toEqual([{ event: 'probe', properties: { patient_home_street_address: '[ADDRESS]' } }]);
    upstream.requests.splice(0);

    // Property names may be as long as limits.max_string_length (default 262,144). A key of
    // "home_home_…" has a `home` at every fifth character and no `address`: a backtracking
    // `.*home.*address.*` rescans the rest of the key from each one (quadratic).
    const key = 'home_'.repeat(32_000);
    const body = JSON.stringify([{ event: 'long-key', properties: { [key]: 'x', plan: 'pro' } }]);
    const { result, maxDelayMs } = await underLoad(proxy.url, () => post(`${proxy.url}/e/`, body));
    // Liveness bound, as above: a linear matcher takes milliseconds on 160 KB.
    expect(maxDelayMs).toBeLessThan(2_000);
    expect(result.status).toBe(200);
    expect(upstream.events()).toEqual([{ event: 'long-key', properties: { [key]: 'x', plan: 'pro' } }]);
  });
});

describe('hot reload under load', () => {
  let upstream: RecordingUpstream;
  let proxy: RunningProxy;
  let rulesFile: string;

  /** Version `v` of the rules: both markers name it, so an event shows which rules scrubbed it. */
  const pack = (v: number): string => `version: 1
rules:
  - id: email-v${v}
    match: { keys: [email] }
    action: redact
    marker: '[E${v}]'
  - id: nickname-v${v}
    match: { keys: [nickname] }
    action: redact
    marker: '[N${v}]'
`;
  /** Invalid edits of version `v`: each must be refused, naming the file and line. */
  const invalid = {
    // An unknown action on the second rule (the first rule alone would be valid).
    schema: (v: number) => pack(v).replace(`action: redact\n    marker: '[N${v}]'`, 'action: obliterate'),
    // A backreference, which RE2 refuses at compile time.
    re2: (v: number) => pack(v).replace('rules:\n', "detectors:\n  - { id: backref, pattern: '(a)\\1' }\nrules:\n").replace('match: { keys: [nickname] }', 'match: { keys: [nickname], detectors: [backref] }'),
  };

  /** Replaces the rules file by rename, as editors and ConfigMaps do (a reader never sees half a file). */
  function writeRules(text: string): void {
    fs.writeFileSync(`${rulesFile}.tmp`, text);
    fs.renameSync(`${rulesFile}.tmp`, rulesFile);
  }

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    const config = writeConfig({ 'config.yaml': `upstream: ${upstream.url}\nrules: [rules.yaml]\n`, 'rules.yaml': pack(1) });
    rulesFile = path.join(path.dirname(config), 'rules.yaml');
    proxy = await startProxy({ configFile: config, overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' }, watch: true, metricsRegistry: new Registry() });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('every event is scrubbed by one whole version while the rules change ~10 times; invalid edits are refused and shown in /readyz', async () => {
    // Sanity checks for the edits themselves: the invalid ones must really be invalid.
    expect(invalid.schema(2)).toContain('obliterate');
    expect(invalid.re2(2)).toContain("pattern: '(a)\\1'");

    type Forwarded = { event: string; properties: { email: string; nickname: string; plan: string } };
    const forwarded = (): Forwarded[] => upstream.events() as Forwarded[];
    const versionOf = (e: Forwarded): string => `${e.properties.email} ${e.properties.nickname}`;

    // 8 clients, each sending one event at a time until told to stop.
    let stop = false;
    let sent = 0;
    const statuses: number[] = [];
    const failures: string[] = [];
    const client = async (c: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const n = sent++;
        const body = JSON.stringify({ api_key: 'phc_test', batch: [{ event: `c${c}-${i}`, properties: { email: `jane+${n}@example.com`, nickname: `JJ-${n}`, plan: 'pro' } }] });
        try {
          statuses.push((await post(`${proxy.url}/e/`, body)).status);
        } catch (err) {
          failures.push((err as NodeJS.ErrnoException).code ?? String(err));
        }
      }
    };
    const clients = Array.from({ length: 8 }, (_, c) => client(c));

    /** Waits until events scrubbed by version `v` arrive (proof the swap happened under load). */
    const seen = (v: number): Promise<void> => {
      const from = forwarded().length;
      return until(`events scrubbed by version ${v}`, () => forwarded().slice(from).some((e) => versionOf(e) === `[E${v}] [N${v}]`));
    };

    const readyErrors: string[][] = [];
    try {
      await seen(1);
      // Valid edits alternate 2 and 1; two invalid edits come in between, each written from the
      // *other* version's text (so applying any of it would show), refused while the running
      // version stays. Some valid edits are applied at once by reload() (what SIGHUP calls) as
      // well as by the file watch.
      type Step = { version: number; direct?: boolean } | { bad: keyof typeof invalid };
      const steps: Step[] = [
        { version: 2 }, { version: 1, direct: true }, { version: 2 }, { bad: 'schema' }, { version: 1 },
        { version: 2, direct: true }, { version: 1 }, { bad: 're2' }, { version: 2 }, { version: 1, direct: true }, { version: 2 },
      ];
      let running = 1;
      for (const step of steps) {
        if ('bad' in step) {
          const before = (await getJson(`${proxy.url}/readyz`)).reload;
          writeRules(invalid[step.bad](running === 1 ? 2 : 1));
          await until('the invalid edit to be refused', async () => {
            const ready = await getJson(`${proxy.url}/readyz`);
            return ready.reload.ok === false && ready.reload.at !== before.at;
          });
          const ready = await getJson(`${proxy.url}/readyz`);
          expect(ready.httpStatus).toBe(200);
          expect(ready.status).toBe('ready');
          readyErrors.push(ready.reload.errors);
          // The running rules stay: the next 50 events all carry the version before the invalid edit.
          const from = forwarded().length;
          await until('events after the refused edit', () => forwarded().length >= from + 50);
          expect(new Set(forwarded().slice(from).map(versionOf))).toEqual(new Set([`[E${running}] [N${running}]`]));
          expect(proxy.reload()).toBe(false); // reload() refuses it too
          continue;
        }
        writeRules(pack(step.version));
        if (step.direct) expect(proxy.reload()).toBe(true);
        await seen(step.version);
        running = step.version;
      }
    } finally {
      stop = true;
      await Promise.all(clients);
    }

    // Every request was answered 2xx, none failed.
    expect(failures).toEqual([]);
    expect(statuses).toHaveLength(sent);
    expect(statuses.filter((s) => s < 200 || s >= 300)).toEqual([]);
    // Every event arrived, scrubbed by one whole version: never a marker of each.
    const events = forwarded();
    expect(events).toHaveLength(sent);
    const versions = new Map<string, number>();
    for (const e of events) versions.set(versionOf(e), (versions.get(versionOf(e)) ?? 0) + 1);
    expect([...versions.keys()].sort()).toEqual(['[E1] [N1]', '[E2] [N2]']);
    for (const e of events) expect(e.properties.plan).toBe('pro');
    // Nothing unscrubbed reached the upstream.
    const everything = upstream.everything();
    expect(everything).not.toContain('example.com');
    expect(everything).not.toContain('JJ-');
    // /readyz named each invalid edit by file:line:column while it was current.
    expect(readyErrors).toHaveLength(2);
    expect(readyErrors[0]!.length).toBeGreaterThan(0);
    expect(readyErrors[0]![0]).toMatch(/rules\.yaml:\d+:\d+: .*action/);
    expect(readyErrors[1]!.length).toBeGreaterThan(0);
    expect(readyErrors[1]![0]).toMatch(/rules\.yaml:\d+:\d+: /);
    // The last edit was valid: /readyz is clean again, and the metrics counted both kinds.
    await until('the last reload to settle', async () => (await getJson(`${proxy.url}/readyz`)).reload.ok === true);
    const metrics = await getText(`${proxy.url}/metrics`);
    expect(Number(/^phi_proxy_config_reloads_total\{result="failure"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    expect(Number(/^phi_proxy_config_reloads_total\{result="success"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(9);
  });
});
