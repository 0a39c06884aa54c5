#!/usr/bin/env node
'use strict';
/**
 * Proxy benchmark: autocannon sends posthog-js-shaped gzip batches of 10 events (/e/) and
 * posthog-node JSON batches of 10 (/batch/) to
 *   (a) phi-proxy, one process, the embedded default (Safe Harbor pack), logs at info;
 *   (b) pass-through: the same proxy, same config, whose only rule keeps every top-level field;
 *   (c) nginx proxy_pass (Debian package; keep-alive to the upstream, one worker),
 * all in front of the same minimal upstream (bench/lib/upstream.js, its own process), loopback
 * only, one stack at a time. Prints req/s, events/s, p50/p99, proxy CPU per request, peak RSS and
 * the ratios; then a run at a fixed load (half of phi-proxy's max) for the added p99.
 *
 *   npm run bench:proxy                  (builds first)
 *   node bench/proxy.js [--seconds 10] [--connections 16] [--pairs 5] [--distinct 300] [--profile]
 *
 * --pairs N (default 5, 0 skips): then runs phi-proxy and the pass-through stack side by side (both
 * started, load sent to one at a time) and alternates them N times per kind (after one untimed
 * pair), 5 s each; prints the
 * median of the per-pair throughput and CPU ratios. On a shared machine one sequential run of each
 * stack can differ by 50%; alternating pairs cancel most of that drift. `--pairs-only` runs just
 * these (for a quick before/after of one change).
 *
 * --profile [--pass-through] [--json]: instead, runs phi-proxy (or the pass-through stack) under
 * `node --cpu-prof` at full load of posthog-js batches (posthog-node JSON batches with --json)
 * and prints the top self-time functions and areas of the stack.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { isDeepStrictEqual } = require('node:util');
const { load, AUTOCANNON_VERSION } = require('./lib/autocannon');
const { posthogEvents, requests } = require('./lib/payloads');
const { startUpstream, startPhiProxy, startNginx, nginxBinary, peakRssMb, cpuSeconds, get, sleep } = require('./lib/stack');
const { summarise } = require('./lib/profile');

const argv = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const SECONDS = arg('--seconds', 10);
/** Alternating phi-proxy / pass-through pairs after the table: the ratio a noisy machine can still resolve. */
const PAIRS = arg('--pairs', 5);
const PAIR_SECONDS = 5;
const CONNECTIONS = arg('--connections', 16);
const WARMUP = 3;
/**
 * Distinct request bodies per kind, 10 distinct events each; every connection cycles through
 * them. phi-proxy remembers what it scanned (values under the same property name, URLs, vault
 * ids), so the fewer the bodies, the more of each request it has seen before. At the default 300
 * every body comes back dozens of times a run; `--distinct 3000` (60,000 generated events, made
 * once and kept in the temp dir) brings that down to a few times.
 */
const DISTINCT = arg('--distinct', 300);

const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '–');

function decodeForwarded(last) {
  const body = Buffer.from(last.body, 'base64');
  const raw = last.headers['content-encoding'] === 'gzip' || /compression=gzip/.test(last.url) || body[0] === 0x1f ? zlib.gunzipSync(body) : body;
  return JSON.parse(raw.toString('utf8'));
}

/** Sends one request of each kind through `stack` and compares what the upstream got with what was sent. */
async function checkForwarding(stack, upstream, kinds) {
  const out = {};
  for (const [kind, reqs] of Object.entries(kinds)) {
    const r = reqs[0];
    const sent = JSON.parse((kind === 'posthog-js' ? zlib.gunzipSync(r.body) : r.body).toString('utf8'));
    const status = await new Promise((resolve, reject) => {
      const req = require('node:http').request(`${stack.url}${r.path}`, { method: 'POST', headers: r.headers, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', reject);
      req.end(r.body);
    });
    const got = decodeForwarded(JSON.parse((await get(`${upstream.url}/__last`)).body));
    out[kind] = { status, unchanged: isDeepStrictEqual(sent, got), events: got.batch.length };
  }
  return out;
}

function rss(stack) {
  const all = stack.allPids().map(peakRssMb);
  const work = stack.pids().map(peakRssMb);
  return { total: all.reduce((a, b) => a + b, 0), perWorker: Math.max(...work) };
}

async function runStack(stack, kinds) {
  const results = {};
  const pids = stack.pids();
  await load(stack.url, kinds['posthog-js'], { seconds: WARMUP, connections: CONNECTIONS });
  for (const [kind, reqs] of Object.entries(kinds)) {
    const cpu0 = pids.reduce((s, p) => s + cpuSeconds(p), 0);
    const r = await load(stack.url, reqs, { seconds: SECONDS, connections: CONNECTIONS });
    const cpu = pids.reduce((s, p) => s + cpuSeconds(p), 0) - cpu0;
    results[kind] = { ...r, cpuUsPerReq: (cpu * 1e6) / r.ok };
  }
  return { results, rss: rss(stack) };
}

async function profile(kinds) {
  const upstream = await startUpstream();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phi-bench-prof-'));
  const mode = argv.includes('--pass-through') ? 'pass-through' : 'scrub';
  const kind = argv.includes('--json') ? 'posthog-node' : 'posthog-js';
  const proxy = await startPhiProxy({ upstreamUrl: upstream.url, mode, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir], dir });
  console.log(`profiling ${proxy.name} (node --cpu-prof) under full load of ${kind} batches for ${SECONDS} s …`);
  await load(proxy.url, kinds[kind], { seconds: WARMUP, connections: CONNECTIONS });
  const r = await load(proxy.url, kinds[kind], { seconds: SECONDS, connections: CONNECTIONS });
  await proxy.stop();
  await upstream.stop();
  const file = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f))[0];
  if (!file) throw new Error('no .cpuprofile written');
  const s = summarise(file, 40);
  console.log(`${fmt(r.rps)} req/s under the profiler; ${fmt(s.busyMs)} ms busy of ${fmt(s.totalMs)} ms sampled; profile: ${file}\n`);
  console.log('| area | self time | share of busy |\n|---|---|---|');
  for (const a of s.areas.slice(0, 14)) console.log(`| ${a.name} | ${fmt(a.ms)} ms | ${fmt(a.share * 100, 1)}% |`);
  console.log('\n| function | self time | share of busy |\n|---|---|---|');
  for (const row of s.rows) console.log(`| \`${row.name}\` | ${fmt(row.ms)} ms | ${fmt(row.share * 100, 1)}% |`);
}

async function main() {
  const started = Date.now();
  // About 55% of generated events are PostHog-shaped: 20 cases per body leave some to spare.
  const events = posthogEvents(Math.max(6000, DISTINCT * 20));
  const kinds = { 'posthog-js': requests('posthog-js', events, 10, DISTINCT), 'posthog-node': requests('posthog-node', events, 10, DISTINCT) };
  const avg = (k) => kinds[k].reduce((s, r) => s + r.body.length, 0) / kinds[k].length;
  if (argv.includes('--profile')) return profile(kinds);

  console.log(`proxy bench: ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), Node ${process.version}, autocannon ${AUTOCANNON_VERSION}, ${CONNECTIONS} connections, ${SECONDS} s per step (after ${WARMUP} s warm-up), load ${os.loadavg()[0].toFixed(2)}`);
  console.log(`bodies: ${DISTINCT} distinct per kind, 10 events each; posthog-js gzip ${fmt(avg('posthog-js') / 1024, 1)} KB, posthog-node JSON ${fmt(avg('posthog-node') / 1024, 1)} KB\n`);

  const upstream = await startUpstream();
  if (argv.includes('--pairs-only')) {
    await alternatingPairs(upstream, kinds);
    await upstream.stop();
    return;
  }
  const table = [];
  const run = async (start) => {
    const stack = await start();
    if (!stack) return undefined;
    if (stack.name !== 'nginx') {
      const check = await checkForwarding(stack, upstream, kinds);
      const words = Object.entries(check).map(([k, c]) => `${k} ${c.status} ${c.unchanged ? 'forwarded unchanged' : 'forwarded changed'} (${c.events} events)`);
      console.log(`${stack.name}: ${words.join('; ')}`);
    }
    const r = await runStack(stack, kinds);
    await stack.stop();
    table.push({ name: stack.name === 'nginx' ? `nginx ${stack.version}` : stack.name, ...r });
    return r;
  };
  const phi = await run(() => startPhiProxy({ upstreamUrl: upstream.url }));
  const pass = await run(() => startPhiProxy({ upstreamUrl: upstream.url, mode: 'pass-through' }));
  const nginx = nginxBinary() ? await run(() => startNginx({ upstreamUrl: upstream.url })) : undefined;
  if (!nginx) console.log('nginx: not installed (Debian: apt-get install nginx-light); skipped');

  console.log('\n| stack | kind | req/s | events/s | p50 ms | p99 ms | proxy CPU µs/req | errors | peak RSS MB |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const row of table) {
    for (const [kind, r] of Object.entries(row.results)) {
      console.log(`| ${row.name} | ${kind} | ${fmt(r.rps)} | ${fmt(r.rps * 10)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.cpuUsPerReq)} | ${r.errors} | ${fmt(row.rss.total, 0)} |`);
    }
  }
  console.log('');
  for (const kind of Object.keys(kinds)) {
    const p = phi.results[kind];
    const line = [`${kind}: phi-proxy/pass-through ${fmt(p.rps / pass.results[kind].rps, 2)}× throughput`];
    if (nginx) line.push(`phi-proxy/nginx ${fmt(p.rps / nginx.results[kind].rps, 2)}×`);
    line.push(`CPU per request ${fmt(p.cpuUsPerReq / pass.results[kind].cpuUsPerReq, 2)}× pass-through`);
    console.log(line.join('; '));
  }
  console.log(`peak RSS: phi-proxy ${fmt(phi.rss.perWorker, 0)} MB, pass-through ${fmt(pass.rss.perWorker, 0)} MB per process${nginx ? `, nginx ${fmt(nginx.rss.total, 0)} MB (master + worker)` : ''}`);

  if (PAIRS > 0) await alternatingPairs(upstream, kinds);

  // Latency at a fixed load: half of phi-proxy's max, the same rate for both stacks.
  console.log('\nfixed load: half of phi-proxy\'s max req/s, 8 connections');
  console.log('| kind | rate req/s | phi-proxy p50 / p99 ms | pass-through p50 / p99 ms | added p50 / p99 ms |');
  console.log('|---|---|---|---|---|');
  const fixed = {};
  for (const mode of ['scrub', 'pass-through']) {
    const stack = await startPhiProxy({ upstreamUrl: upstream.url, mode });
    await load(stack.url, kinds['posthog-js'], { seconds: WARMUP, connections: CONNECTIONS });
    for (const kind of Object.keys(kinds)) {
      const rate = Math.max(1, Math.round(phi.results[kind].rps / 2));
      fixed[`${mode} ${kind}`] = { rate, ...(await load(stack.url, kinds[kind], { seconds: SECONDS, connections: 8, rate })) };
    }
    await stack.stop();
  }
  for (const kind of Object.keys(kinds)) {
    const a = fixed[`scrub ${kind}`];
    const b = fixed[`pass-through ${kind}`];
    console.log(`| ${kind} | ${fmt(a.rate)} (got ${fmt(a.rps)} / ${fmt(b.rps)}) | ${fmt(a.p50)} / ${fmt(a.p99)} | ${fmt(b.p50)} / ${fmt(b.p99)} | ${fmt(a.p50 - b.p50)} / ${fmt(a.p99 - b.p99)} |`);
  }
  await upstream.stop();
  console.log(`\ntargets: throughput ≥ 0.6× pass-through; added p99 < 2 ms at half load; peak RSS < 150 MB per worker. (${fmt((Date.now() - started) / 1000)} s)`);
}

/** phi-proxy and pass-through running at once, loaded in turn: per-pair ratios and their medians. */
async function alternatingPairs(upstream, kinds) {
  const phi = await startPhiProxy({ upstreamUrl: upstream.url });
  const pass = await startPhiProxy({ upstreamUrl: upstream.url, mode: 'pass-through' });
  const median = (xs) => {
    const sorted = xs.slice().sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  console.log(`\nalternating pairs: phi-proxy and pass-through both running, ${PAIRS} pairs per kind, ${PAIR_SECONDS} s each`);
  console.log('| kind | throughput ratios per pair | median | CPU/request ratios per pair | median |');
  console.log('|---|---|---|---|---|');
  for (const [kind, reqs] of Object.entries(kinds)) {
    for (const stack of [phi, pass]) await load(stack.url, reqs, { seconds: WARMUP, connections: CONNECTIONS });
    const rps = [];
    const cpu = [];
    // One untimed pair first: in the runs of the day the first pair read 0.05-0.1 low (JIT still warming).
    for (let i = -1; i < PAIRS; i++) {
      const step = async (stack) => {
        const pid = stack.pids()[0];
        const cpu0 = cpuSeconds(pid);
        const r = await load(stack.url, reqs, { seconds: PAIR_SECONDS, connections: CONNECTIONS });
        return { rps: r.rps, cpuUsPerReq: ((cpuSeconds(pid) - cpu0) * 1e6) / r.ok };
      };
      // Alternate which stack goes first, so a drift within the pair does not favour one.
      const [a, b] = i % 2 === 0 ? [await step(phi), await step(pass)] : [await step(pass), await step(phi)].reverse();
      if (i < 0) continue;
      rps.push(a.rps / b.rps);
      cpu.push(a.cpuUsPerReq / b.cpuUsPerReq);
    }
    console.log(`| ${kind} | ${rps.map((x) => fmt(x, 2)).join(', ')} | **${fmt(median(rps), 2)}×** | ${cpu.map((x) => fmt(x, 2)).join(', ')} | ${fmt(median(cpu), 2)}× |`);
  }
  await phi.stop();
  await pass.stop();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
