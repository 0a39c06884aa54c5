#!/usr/bin/env node
'use strict';
/**
 * Soak (issue 5, "Load"): the real CLI (`phi-proxy serve --workers 1`, built dist/) with one
 * route per format to recording upstreams on 127.0.0.1, a spool, and a rules file rewritten
 * every few seconds (two valid versions, both Safe Harbor) plus SIGHUP, under sustained traffic
 * from seven real Node SDKs and two replayed wire shapes (lib/senders.js), while every upstream
 * is killed for a few seconds and revived on the same port every ~17 s (the last outage spans
 * the end of traffic, so the SDKs' final flushes are spooled and the drain is timed). Loopback
 * only, bounded in time (SOAK_SECONDS) and count (SOAK_RATE events/s per format).
 *
 * Checks, each reported and fatal (exit 1):
 *   lost       every acknowledged event (2xx to the SDK's request) reached its upstream, after
 *              the spool drained; duplicates (at-least-once delivery) are counted, not failed
 *   leaks      no planted value (lib/search.js, through gzip/base64/percent/JSON encodings) in
 *              anything the upstreams received, the proxy's stdout/stderr, or the spool files
 *   memory     proxy VmRSS (sampled from /proc/<pid>/status): last-window median within
 *              SOAK_MEM_RATIO (1.5) × the first-window median (window: 60 s, or a third of a
 *              short run); and the live heap after each full GC (the proxy runs under
 *              `node --trace-gc`), last within the same ratio of the first when there were two
 *   reloads    every rewrite and SIGHUP reloaded (phi_proxy_config_reloads_total), none failed,
 *              and both rule versions' markers reached the upstreams
 *   sanity     every format acknowledged and delivered events; the spool was used during the
 *              outages and drained; the proxy exited 0 on SIGTERM; the leak search finds the
 *              patient ids in the token vault (positive control)
 *
 *   npm run soak                         (builds first; 180 s)
 *   SOAK_SECONDS=60 node test/soak/soak.js
 * Environment: SOAK_SECONDS (180), SOAK_RATE (8 events/s per format), SOAK_FLAP_EVERY (17 s),
 * SOAK_FLAP_DOWN (4 s), SOAK_RELOAD_EVERY (6 s), SOAK_FORMATS (all nine), SOAK_MEM_RATIO (1.5),
 * SOAK_DRAIN_SECONDS (60), SOAK_RESULT_FILE (also write the summary JSON there), SOAK_KEEP=1 (keep the temp directory).
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { RecordingUpstream, revive } = require('./lib/upstreams');
const { LANES, PREFIXES } = require('./lib/senders');
const { leaksIn, occurrences, EMAIL } = require('./lib/search');

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/phi-proxy.js');

const num = (name, dflt) => {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`);
  return n;
};
const SECONDS = num('SOAK_SECONDS', 180);
const RATE = num('SOAK_RATE', 8);
const FLAP_EVERY = num('SOAK_FLAP_EVERY', 17);
const FLAP_DOWN = num('SOAK_FLAP_DOWN', 4);
const RELOAD_EVERY = num('SOAK_RELOAD_EVERY', 6);
const MEM_RATIO = num('SOAK_MEM_RATIO', 1.5);
const RSS_EVERY_MS = 2_000;
/** `node --trace-gc` on the proxy (default on): the live heap after each full GC is the leak signal RSS only hints at. */
const TRACE_GC = process.env.SOAK_TRACE_GC !== '0';
const DRAIN_TIMEOUT_MS = num('SOAK_DRAIN_SECONDS', 60) * 1000;
/** Negative controls: the checks must fail with these (see README). */
const PLANT_LEAK = process.env.SOAK_PLANT_LEAK === '1';
const PLANT_LOSS = process.env.SOAK_PLANT_LOSS === '1';
const FORMATS = (process.env.SOAK_FORMATS || Object.keys(LANES).join(',')).split(',').map((s) => s.trim()).filter(Boolean);
for (const f of FORMATS) if (!LANES[f]) throw new Error(`SOAK_FORMATS: unknown format ${f}`);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const log = (msg) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function getJson(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: await res.json() };
}

async function getText(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return res.text();
}

/** Sum of a Prometheus counter's samples whose labels contain `match`. */
function metric(text, name, match = '') {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (match !== '' && !line.includes(match)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/**
 * The two rule versions: the shipped Safe Harbor pack with a first rule that redacts the
 * `soak_probe` property with a marker naming the version (so the upstreams show which rules
 * scrubbed each event). Both scrub every planted value.
 */
function rulesVersion(which) {
  const safeHarbor = fs.readFileSync(path.join(ROOT, 'rules/safe-harbor.yaml'), 'utf8');
  // Negative control (SOAK_PLANT_LEAK=1): version B keeps `full_name`, so the name must be found.
  const plantedLeak = PLANT_LEAK && which === 'B' ? ['  - id: soak-planted-leak', '    match:', '      keys: [full_name]', '    action: keep', ''] : [];
  const probe = [
    ...plantedLeak,
    `  - id: soak-probe-${which.toLowerCase()}`,
    `    description: Soak marker, rules version ${which} (test/soak).`,
    '    match:',
    '      keys: [soak_probe]',
    '    action: redact',
    `    marker: '[PROBE_${which}]'`,
    '',
  ].join('\n');
  const at = safeHarbor.indexOf('\nrules:\n');
  if (at < 0) throw new Error('rules/safe-harbor.yaml: no `rules:` list');
  const head = safeHarbor.slice(0, at + '\nrules:\n'.length).replace(/^description: .*$/m, `description: Soak rules, version ${which} (Safe Harbor plus a marker rule).`);
  return `${head}${probe}${safeHarbor.slice(at + '\nrules:\n'.length)}`;
}

function writeAtomic(file, text) {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** Every file (and name) under dir: its relative name and bytes. */
function filesUnder(dir) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full).map((f) => ({ name: path.join(entry.name, f.name), bytes: f.bytes })));
    else {
      try {
        out.push({ name: entry.name, bytes: fs.readFileSync(full) });
      } catch {
        /* delivered and removed meanwhile */
      }
    }
  }
  return out;
}

/** User + system CPU seconds of a process (/proc/<pid>/stat). */
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

function rssKb(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The proxy, killed if the soak itself fails or is interrupted (never left behind). */
let proxyChild;
/** When traffic started (GC trace lines before it are start-up). */
let trafficStartAt;
/** The run's temp directory (kept, and named, if the soak fails). */
let runDir;
process.on('exit', () => {
  if (proxyChild && proxyChild.exitCode === null && proxyChild.signalCode === null) proxyChild.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

async function main() {
  const started = Date.now();
  const runTag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const tmpRoot = process.env.PHI_PROXY_TEST_TMP ?? os.tmpdir();
  const dir = fs.mkdtempSync(path.join(tmpRoot, 'phi-soak-'));
  runDir = dir;
  const rulesDir = path.join(dir, 'rules');
  const stateDir = path.join(dir, 'state');
  const spoolDir = path.join(dir, 'spool');
  fs.mkdirSync(rulesDir);
  fs.mkdirSync(stateDir);
  const rulesFile = path.join(rulesDir, 'soak-rules.yaml');
  const versions = { A: rulesVersion('A'), B: rulesVersion('B') };
  writeAtomic(rulesFile, versions.A);

  log(`${SECONDS} s, ${FORMATS.length} formats × ${RATE} events/s, upstreams killed every ${FLAP_EVERY} s for ${FLAP_DOWN} s, rules reloaded every ${RELOAD_EVERY} s; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}; ${dir}`);

  // --- upstreams and the proxy -------------------------------------------------------------
  const upstreams = {};
  for (const f of FORMATS) {
    upstreams[f] = new RecordingUpstream(f, { forgetEvery: PLANT_LOSS ? 13 : 0 });
    await upstreams[f].start();
  }
  const proxyPort = await freePort();
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(
    configFile,
    [
      `# test/soak: one route per format, a spool, the rules file rewritten during the run`,
      `upstream: ${upstreams[FORMATS[0]].url}`,
      `format: ${FORMATS[0]}`,
      'log_level: info',
      'vault: { path: state/vault.jsonl }',
      'spool: { dir: spool, retry_initial_ms: 100, retry_max_ms: 1000, forward_timeout_ms: 3000 }',
      'rules: [rules/soak-rules.yaml]',
      'routes:',
      ...FORMATS.map((f) => `  - { prefix: ${PREFIXES[f]}, upstream: ${upstreams[f].url}, format: ${f} }`),
      '',
    ].join('\n'),
  );

  const child = (proxyChild = spawn(process.execPath, [...(TRACE_GC ? ['--trace-gc'] : []), BIN, 'serve', '--config', configFile, '--workers', '1', '--port', String(proxyPort), '--host', '127.0.0.1'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }));
  const gc = []; // { t, liveMb } after each Mark-Compact
  const out = { lines: 0, requestLines: 0, reloadLines: { 'file change': 0, SIGHUP: 0, other: 0 }, leaks: [], tail: [], errorLines: [], spooledLines: 0 };
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const onLine = (stream) => (line) => {
    if (line === '') return;
    // [pid:0x…]  61234 ms: Mark-Compact 52.1 (60.3) -> 31.0 (58.2) MB, …
    const mc = /^\[\d+:0x[0-9a-f]+\]\s+\d+ ms: Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/.exec(line);
    if (mc) {
      if (typeof trafficStartAt === 'number') gc.push({ t: (Date.now() - trafficStartAt) / 1000, liveMb: Number(mc[1]) });
      return;
    }
    if (/^\[\d+:0x[0-9a-f]+\]/.test(line)) return; // other --trace-gc lines (Scavenge, …)
    out.lines++;
    out.tail.push(`${stream}: ${line.slice(0, 400)}`);
    if (out.tail.length > 12) out.tail.shift();
    if (line.includes('"msg":"request"')) {
      out.requestLines++;
      if (line.includes('"delivery":"spooled"')) out.spooledLines++;
    } else if (line.includes('"msg":"rules reloaded"')) {
      const trigger = /"trigger":"([^"]*)"/.exec(line)?.[1];
      out.reloadLines[trigger === 'file change' || trigger === 'SIGHUP' ? trigger : 'other']++;
    }
    if ((/"level":(50|60)/.test(line) || stream === 'stderr') && out.errorLines.length < 20) out.errorLines.push(line.slice(0, 400));
    const found = leaksIn(`proxy ${stream}`, line);
    if (found.length > 0 && out.leaks.length < 50) out.leaks.push(...found);
  };
  for (const [name, stream] of [['stdout', child.stdout], ['stderr', child.stderr]]) {
    let buffered = '';
    const handle = onLine(name);
    stream.setEncoding('utf8');
    stream.on('data', (d) => {
      buffered += d;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        handle(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    stream.on('end', () => handle(buffered));
  }
  const deadline = Date.now() + 20_000;
  while (!(await accepts(proxyPort))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`proxy did not start:\n${out.tail.join('\n')}`);
    await sleep(50);
  }
  const base = `http://127.0.0.1:${proxyPort}`;
  const pid = child.pid;
  const initialReady = (await getJson(`${base}/readyz`)).body;
  log(`proxy pid ${pid} on ${base}, ruleset ${initialReady.ruleset}`);

  // --- memory --------------------------------------------------------------------------------
  const rss = [];
  const sampleRss = () => {
    const kb = rssKb(pid);
    if (kb !== undefined) rss.push({ t: (Date.now() - trafficStart) / 1000, mb: kb / 1024 });
  };

  // --- traffic ---------------------------------------------------------------------------------
  const lanes = FORMATS.map((f) => LANES[f](base, runTag));
  const counters = Object.fromEntries(FORMATS.map((f) => [f, 0]));
  const trafficStart = Date.now();
  trafficStartAt = trafficStart;
  const trafficEnd = trafficStart + SECONDS * 1000;
  let stopTraffic = false;
  sampleRss();
  const cpuStart = cpuSeconds(pid);
  const rssTimer = setInterval(sampleRss, RSS_EVERY_MS);
  const ticker = (async () => {
    const credit = Object.fromEntries(FORMATS.map((f) => [f, 0]));
    let last = Date.now();
    while (!stopTraffic && Date.now() < trafficEnd) {
      await sleep(100);
      const now = Date.now();
      const dt = (now - last) / 1000;
      last = now;
      for (const lane of lanes) {
        credit[lane.format] += RATE * dt;
        while (credit[lane.format] >= 1) {
          credit[lane.format] -= 1;
          try {
            lane.event(counters[lane.format]++);
          } catch (err) {
            lane.fail(err);
          }
        }
        lane.tick();
      }
    }
  })();

  // --- flapping upstreams ------------------------------------------------------------------------
  // The last outage straddles the end of traffic: the SDKs' final flushes go to the spool, and
  // the drain after the upstreams come back is timed.
  const flaps = { done: 0, spoolPeak: 0, spoolFilesScanned: 0, spoolLeaks: [], finalOutage: false };
  let outage = Promise.resolve();
  const flapper = (async () => {
    if (FLAP_EVERY <= 0 || FLAP_DOWN <= 0) return;
    const down = FLAP_DOWN * 1000;
    let lastEnd = 0;
    for (let k = 1; ; k++) {
      let at = trafficStart + k * FLAP_EVERY * 1000;
      const final = at + down > trafficEnd - 2_000;
      // Regular outages end 2 s before traffic does, so the last one still starts before the end.
      if (final) at = Math.max(trafficEnd - down / 2, lastEnd + 1_000);
      await sleep(at - Date.now());
      if (stopTraffic && !final) return;
      let release;
      outage = new Promise((r) => (release = r));
      await Promise.all(Object.values(upstreams).map((u) => u.stop()));
      log(`outage ${k}${final ? ' (the last, across the end of traffic)' : ''}: every upstream killed for ${FLAP_DOWN} s`);
      await sleep(down / 2);
      // Mid-outage: the spool holds scrubbed requests; search every file and name in it.
      try {
        const ready = (await getJson(`${base}/readyz`)).body;
        flaps.spoolPeak = Math.max(flaps.spoolPeak, ready.spool?.requests ?? 0);
      } catch {
        /* counted by the drain check */
      }
      for (const f of filesUnder(spoolDir)) {
        flaps.spoolFilesScanned++;
        const found = [...leaksIn(`spool file name ${f.name}`, f.name), ...leaksIn(`spool file ${f.name}`, f.bytes)];
        if (found.length > 0 && flaps.spoolLeaks.length < 20) flaps.spoolLeaks.push(...found);
      }
      await sleep(down / 2);
      if (final) {
        try {
          flaps.depthAtRevival = (await getJson(`${base}/readyz`)).body.spool?.requests ?? 0;
        } catch {
          /* the drain check reports it */
        }
      }
      for (const u of Object.values(upstreams)) await revive(u);
      flaps.done++;
      lastEnd = Date.now();
      release();
      if (final) {
        flaps.finalOutage = true;
        flaps.revivedAt = Date.now();
        return;
      }
    }
  })();

  // --- rule reloads ------------------------------------------------------------------------------
  const reloads = { writes: 0, sighups: 0, rulesetChanges: 0, rulesets: new Set([initialReady.ruleset]), notReloaded: [] };
  let current = 'A';
  const reloader = (async () => {
    if (RELOAD_EVERY <= 0) return;
    let lastRuleset = initialReady.ruleset;
    for (let k = 1; ; k++) {
      const at = trafficStart + k * RELOAD_EVERY * 1000;
      if (at > trafficEnd - 2_000) return;
      await sleep(at - Date.now());
      if (stopTraffic) return;
      current = current === 'A' ? 'B' : 'A';
      writeAtomic(rulesFile, versions[current]); // the file watch reloads (250 ms debounce)
      reloads.writes++;
      await sleep(1_200);
      try {
        const ready = (await getJson(`${base}/readyz`)).body;
        if (ready.reload?.ok && ready.reload.ruleset !== lastRuleset) reloads.rulesetChanges++;
        else reloads.notReloaded.push(`write ${k} (version ${current}): ruleset ${ready.reload?.ruleset} ok=${ready.reload?.ok}`);
        lastRuleset = ready.reload?.ruleset ?? lastRuleset;
        reloads.rulesets.add(lastRuleset);
      } catch (err) {
        reloads.notReloaded.push(`write ${k}: /readyz ${err.message}`);
      }
      if (k % 2 === 0) {
        child.kill('SIGHUP'); // the same rules again, by signal
        reloads.sighups++;
      }
    }
  })();

  await ticker;
  stopTraffic = true;
  const trafficSeconds = (Date.now() - trafficStart) / 1000;
  const proxyCpu = cpuSeconds(pid) - cpuStart;
  log(`traffic stopped after ${trafficSeconds.toFixed(1)} s; flushing the SDKs`);
  // The SDKs flush while the last outage lasts (their events are spooled, or retried by the SDK).
  const closing = Promise.all(
    lanes.map((lane) =>
      Promise.race([Promise.resolve(lane.close()).then(() => 'ok', (err) => `close failed: ${err?.message ?? err}`), sleep(30_000).then(() => 'close timed out')]),
    ),
  );
  await Promise.all([flapper, reloader]);
  await outage;
  for (const u of Object.values(upstreams)) if (!u.up) await revive(u);
  const closeResults = await closing;

  // --- drain -------------------------------------------------------------------------------------
  const drainStart = flaps.revivedAt ?? Date.now();
  const missing = () => lanes.reduce((n, lane) => n + [...lane.acked].filter((id) => !upstreams[lane.format].arrivals.has(id)).length, 0);
  let spoolDepth = -1;
  for (;;) {
    try {
      spoolDepth = (await getJson(`${base}/readyz`)).body.spool?.requests ?? 0;
    } catch {
      spoolDepth = -1;
    }
    if (spoolDepth === 0 && missing() === 0) break;
    if (Date.now() - drainStart > DRAIN_TIMEOUT_MS) break;
    await sleep(200);
  }
  const drainSeconds = (Date.now() - drainStart) / 1000;
  sampleRss();
  clearInterval(rssTimer);
  const metricsText = await getText(`${base}/metrics`).catch(() => '');
  const finalReady = await getJson(`${base}/readyz`).then((r) => r.body, () => undefined);
  for (const [label, text] of [['/metrics', metricsText], ['/readyz', JSON.stringify(finalReady ?? {})]]) {
    const found = leaksIn(label, text);
    if (found.length > 0) out.leaks.push(...found);
  }
  await sleep(300); // let the last log lines through
  child.kill('SIGTERM');
  const exit = await Promise.race([exited, sleep(15_000).then(() => ({ code: 'timeout' }))]);
  if (exit.code === 'timeout') child.kill('SIGKILL');

  // --- figures -----------------------------------------------------------------------------------
  const perFormat = {};
  for (const lane of lanes) {
    const up = upstreams[lane.format];
    const lost = [...lane.acked].filter((id) => !up.arrivals.has(id));
    let duplicates = 0;
    let extra = 0;
    for (const n of up.arrivals.values()) if (n > 1) {
      duplicates++;
      extra += n - 1;
    }
    perFormat[lane.format] = {
      sdk: lane.sdk,
      offered: lane.offered,
      acknowledged: lane.acked.size,
      arrived: up.arrivals.size,
      lost: lost.length,
      lostSample: lost.slice(0, 5),
      duplicates,
      duplicateDeliveries: extra,
      sdkFailures: lane.failures,
      sdkErrors: lane.errors,
      upstreamRequests: up.requests,
      undecodable: up.undecodable,
      markers: up.markers,
      leaks: up.leaks.length,
      close: closeResults[lanes.indexOf(lane)],
    };
  }
  const window = Math.min(60, trafficSeconds / 3);
  const first = rss.filter((s) => s.t <= window).map((s) => s.mb);
  const lastW = rss.filter((s) => s.t >= trafficSeconds - window && s.t <= trafficSeconds).map((s) => s.mb);
  const memory = {
    samples: rss.length,
    windowSeconds: Math.round(window),
    firstMedianMb: +median(first).toFixed(1),
    lastMedianMb: +median(lastW).toFixed(1),
    maxMb: +Math.max(...rss.map((s) => s.mb)).toFixed(1),
    ratio: +(median(lastW) / median(first)).toFixed(2),
    bound: MEM_RATIO,
    /** Live heap after each full GC (node --trace-gc Mark-Compact, MB): the first and last of the run, the largest. */
    heapAfterFullGc: gc.length === 0 ? undefined : { count: gc.length, firstMb: gc[0].liveMb, lastMb: gc[gc.length - 1].liveMb, maxMb: Math.max(...gc.map((g) => g.liveMb)), series: gc.map((g) => [Math.round(g.t), g.liveMb]) },
    /** Every sample: [seconds since traffic started, MB]. */
    series: rss.map((x) => [Math.round(x.t), +x.mb.toFixed(1)]),
  };
  const reloadSuccess = metric(metricsText, 'phi_proxy_config_reloads_total', 'result="success"');
  const reloadFailure = metric(metricsText, 'phi_proxy_config_reloads_total', 'result="failure"');
  const markersA = Object.values(perFormat).reduce((n, p) => n + p.markers.A, 0);
  const markersB = Object.values(perFormat).reduce((n, p) => n + p.markers.B, 0);
  const vault = fs.existsSync(path.join(stateDir, 'vault.jsonl')) ? fs.readFileSync(path.join(stateDir, 'vault.jsonl')) : Buffer.alloc(0);
  const vaultControl = occurrences(vault).map((o) => o.value);
  const searchControl = occurrences(require('node:zlib').gzipSync(Buffer.from(`{"data":"${Buffer.from(JSON.stringify({ email: EMAIL })).toString('base64')}"}`))).length > 0;
  const upstreamLeaks = Object.values(upstreams).flatMap((u) => u.leaks);
  const leaks = [...upstreamLeaks, ...out.leaks, ...flaps.spoolLeaks];
  const totals = {
    offered: Object.values(perFormat).reduce((n, p) => n + p.offered, 0),
    acknowledged: Object.values(perFormat).reduce((n, p) => n + p.acknowledged, 0),
    arrived: Object.values(perFormat).reduce((n, p) => n + p.arrived, 0),
    lost: Object.values(perFormat).reduce((n, p) => n + p.lost, 0),
    duplicates: Object.values(perFormat).reduce((n, p) => n + p.duplicates, 0),
    sdkFailures: Object.values(perFormat).reduce((n, p) => n + p.sdkFailures, 0),
    upstreamRequests: Object.values(perFormat).reduce((n, p) => n + p.upstreamRequests, 0),
  };
  const summary = {
    seconds: +trafficSeconds.toFixed(1),
    formats: FORMATS.length,
    ratePerFormat: RATE,
    machine: { cores: os.cpus().length, load1: +os.loadavg()[0].toFixed(2), node: process.version },
    totals,
    proxyRequests: out.requestLines,
    requestsPerSecond: +(out.requestLines / trafficSeconds).toFixed(1),
    acknowledgedPerSecond: +(totals.acknowledged / trafficSeconds).toFixed(1),
    proxyCpuPercentOfOneCore: +((100 * proxyCpu) / trafficSeconds).toFixed(1),
    spool: {
      spooledRequests: metric(metricsText, 'phi_proxy_spooled_total'),
      deliveredFromSpool: metric(metricsText, 'phi_proxy_spool_delivered_total'),
      givenUp: metric(metricsText, 'phi_proxy_spool_given_up_total'),
      // Routes whose batches are all-or-nothing (Amplitude /2/httpapi) are never spooled: the
      // proxy answers 502 while the upstream is down and the SDK retries by itself.
      answered502: metric(metricsText, 'phi_proxy_upstream_errors_total'),
      peakDepthSeen: flaps.spoolPeak,
      depthAtEnd: spoolDepth,
      depthAtLastRevival: flaps.depthAtRevival ?? 0,
      drainSeconds: +drainSeconds.toFixed(1),
      filesScanned: flaps.spoolFilesScanned,
    },
    flaps: flaps.done,
    reloads: { writes: reloads.writes, sighups: reloads.sighups, expected: reloads.writes + reloads.sighups, succeeded: reloadSuccess, failed: reloadFailure, rulesetChangesSeen: reloads.rulesetChanges, rulesets: reloads.rulesets.size, logLines: out.reloadLines, markers: { A: markersA, B: markersB }, notReloaded: reloads.notReloaded },
    leaks: { total: leaks.length, upstream: upstreamLeaks.length, proxyOutput: out.leaks.length, spoolFiles: flaps.spoolLeaks.length, sample: leaks.slice(0, 10) },
    memory,
    proxyExit: exit,
    perFormat,
  };

  const checks = [];
  const check = (name, ok, detail) => checks.push({ name, ok: Boolean(ok), detail });
  check('lost acknowledged events = 0', totals.lost === 0, `${totals.lost} of ${totals.acknowledged}`);
  check('leaks = 0', leaks.length === 0, `${leaks.length} (upstreams ${upstreamLeaks.length}, proxy output ${out.leaks.length}, spool ${flaps.spoolLeaks.length})`);
  check(`memory flat (last ≤ ${MEM_RATIO}× first median)`, memory.ratio <= MEM_RATIO, `${memory.firstMedianMb} → ${memory.lastMedianMb} MB (×${memory.ratio}), max ${memory.maxMb} MB`);
  const heap = memory.heapAfterFullGc;
  check(`live heap after full GC flat (last ≤ ${MEM_RATIO}× first)`, heap === undefined || heap.count < 2 || heap.lastMb <= MEM_RATIO * heap.firstMb, heap === undefined ? 'no full GC traced' : heap.count < 2 ? `${heap.count} full GC: not compared` : `${heap.firstMb} → ${heap.lastMb} MB over ${heap.count} full GCs`);
  check('reloads all succeeded', reloadFailure === 0 && reloadSuccess >= reloads.writes + reloads.sighups && reloads.notReloaded.length === 0, `${reloadSuccess} succeeded, ${reloadFailure} failed, ${reloads.writes} writes + ${reloads.sighups} SIGHUP`);
  check('both rule versions scrubbed traffic', reloads.writes === 0 || (markersA > 0 && markersB > 0), `[PROBE_A] ×${markersA}, [PROBE_B] ×${markersB}`);
  check('every format acknowledged and delivered', Object.values(perFormat).every((p) => p.acknowledged > 0 && p.arrived > 0), FORMATS.filter((f) => perFormat[f].acknowledged === 0 || perFormat[f].arrived === 0).join(', ') || 'all');
  check('every upstream request decoded', Object.values(perFormat).every((p) => p.undecodable.length === 0), Object.entries(perFormat).filter(([, p]) => p.undecodable.length > 0).map(([f, p]) => `${f}: ${p.undecodable[0]}`).join('; ') || 'all');
  check('upstreams flapped and the spool took requests', FLAP_EVERY <= 0 || (flaps.done > 0 && summary.spool.spooledRequests > 0), `${flaps.done} outages, ${summary.spool.spooledRequests} requests spooled`);
  check('spool drained after the last outage, nothing given up', spoolDepth === 0 && summary.spool.givenUp === 0 && (FLAP_EVERY <= 0 || flaps.finalOutage), `${summary.spool.depthAtLastRevival} requests waiting when the upstreams came back, depth ${spoolDepth} ${summary.spool.drainSeconds} s later, given up ${summary.spool.givenUp}`);
  check('proxy exited 0 on SIGTERM', exit.code === 0, JSON.stringify(exit));
  check('leak search positive controls', searchControl && vaultControl.includes('soak patient id'), `encoded sample ${searchControl ? 'found' : 'NOT found'}; vault: ${vaultControl.join(', ') || 'nothing found'}`);
  summary.checks = checks;
  summary.ok = checks.every((c) => c.ok);

  // --- report --------------------------------------------------------------------------------------
  const pad = (s, n) => String(s).padEnd(n);
  const padL = (s, n) => String(s).padStart(n);
  const rows = [`${pad('format', 12)}${padL('offered', 9)}${padL('acked', 9)}${padL('arrived', 9)}${padL('lost', 6)}${padL('dupes', 7)}${padL('sdk fail', 10)}  sdk`];
  for (const [f, p] of Object.entries(perFormat)) rows.push(`${pad(f, 12)}${padL(p.offered, 9)}${padL(p.acknowledged, 9)}${padL(p.arrived, 9)}${padL(p.lost, 6)}${padL(p.duplicates, 7)}${padL(p.sdkFailures, 10)}  ${p.sdk}`);
  rows.push(`${pad('total', 12)}${padL(totals.offered, 9)}${padL(totals.acknowledged, 9)}${padL(totals.arrived, 9)}${padL(totals.lost, 6)}${padL(totals.duplicates, 7)}${padL(totals.sdkFailures, 10)}`);
  const lines = [
    '',
    `soak: ${summary.seconds} s, ${FORMATS.length} formats, ${summary.requestsPerSecond} proxy requests/s, ${summary.acknowledgedPerSecond} acknowledged events/s, proxy CPU ${summary.proxyCpuPercentOfOneCore}% of a core; ${flaps.done} upstream outages of ${FLAP_DOWN} s; ${summary.spool.depthAtLastRevival} requests spooled at the last revival drained in ${summary.spool.drainSeconds} s`,
    ...rows,
    `spool: ${summary.spool.spooledRequests} requests spooled, ${summary.spool.deliveredFromSpool} delivered from it, peak depth seen ${flaps.spoolPeak}, ${flaps.spoolFilesScanned} spool files searched; ${summary.spool.answered502} answered 502 (not spooled, SDK retried)`,
    `reloads: ${reloads.writes} rewrites + ${reloads.sighups} SIGHUP → ${reloadSuccess} succeeded, ${reloadFailure} failed; markers A ${markersA} / B ${markersB}`,
    `memory (VmRSS, ${rss.length} samples): first ${memory.windowSeconds} s median ${memory.firstMedianMb} MB, last ${memory.windowSeconds} s median ${memory.lastMedianMb} MB (×${memory.ratio}), max ${memory.maxMb} MB` +
      (memory.heapAfterFullGc ? `; live heap after full GC (${memory.heapAfterFullGc.count}): first ${memory.heapAfterFullGc.firstMb} MB, last ${memory.heapAfterFullGc.lastMb} MB, max ${memory.heapAfterFullGc.maxMb} MB` : ''),
    `leaks: ${leaks.length}`,
    ...checks.map((c) => `${c.ok ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`),
    '',
  ];
  process.stdout.write(lines.join('\n'));
  if (!summary.ok) {
    process.stdout.write(`\nproxy output (tail):\n${out.tail.join('\n')}\n`);
    if (out.errorLines.length > 0) process.stdout.write(`proxy error lines (first ${out.errorLines.length}; 502s while an upstream is down are expected for routes that are not spooled):\n${out.errorLines.slice(0, 5).join('\n')}\n`);
    if (leaks.length > 0) process.stdout.write(`leaks (first ${Math.min(10, leaks.length)}):\n${leaks.slice(0, 10).join('\n')}\n`);
  }
  const json = JSON.stringify(summary);
  process.stdout.write(`SOAK_RESULT ${json}\n`);
  if (process.env.SOAK_RESULT_FILE) fs.writeFileSync(process.env.SOAK_RESULT_FILE, `${JSON.stringify(summary, null, 2)}\n`);

  for (const u of Object.values(upstreams)) await u.stop();
  if (process.env.SOAK_KEEP === '1' || !summary.ok) log(`kept ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${summary.ok ? 'all checks passed' : 'FAILED'}`);
  return summary.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
    // SDK timers (retry backoff, keep-alive sockets) must not hold the result back.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (err) => {
    process.stderr.write(`soak: ${err?.stack ?? err}\n${runDir ? `kept ${runDir}\n` : ''}`);
    process.exit(2);
  },
);
