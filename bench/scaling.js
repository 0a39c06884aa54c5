#!/usr/bin/env node
'use strict';
/**
 * Scaling benchmark of phi-proxy (default Safe Harbor pack) in front of the minimal upstream,
 * loopback only, posthog-js-shaped gzip batches (bench/lib/payloads.js):
 *   1. workers: `serve --workers 1` and `--workers 2` at full load: events/s, per worker, and the
 *      workers' CPU time per event (what scaling costs, independent of how busy the machine is);
 *   2. cost as requests grow: 1, 10 and 100 events per request, ~1 KB and ~10 KB events, one
 *      worker: events/s, decoded MB/s, CPU µs per event and per KB, and whether the time per
 *      event (per KB for the large events) stays roughly constant, i.e. growth is linear.
 *
 *   npm run bench:scaling        (builds first)
 *   node bench/scaling.js [--seconds 8] [--connections 16]
 */
const os = require('node:os');
const { load, AUTOCANNON_VERSION } = require('./lib/autocannon');
const { posthogEvents, largeEvents, requests } = require('./lib/payloads');
const { startUpstream, startPhiProxy, peakRssMb, cpuSeconds } = require('./lib/stack');

const argv = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const SECONDS = arg('--seconds', 8);
const CONNECTIONS = arg('--connections', 16);
const WARMUP = 3;
const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '–');

/** Full load on `proxy` with `reqs` → throughput and the workers' CPU per request. */
async function measure(proxy, reqs, eventsPerReq, warmup = true) {
  if (warmup) await load(proxy.url, reqs, { seconds: WARMUP, connections: CONNECTIONS });
  const pids = proxy.pids();
  const cpu0 = pids.map(cpuSeconds);
  const r = await load(proxy.url, reqs, { seconds: SECONDS, connections: CONNECTIONS });
  const cpu = pids.map((p, i) => cpuSeconds(p) - cpu0[i]);
  const cpuTotal = cpu.reduce((a, b) => a + b, 0);
  return { ...r, eventsPerSec: r.rps * eventsPerReq, cpuPerEventUs: (cpuTotal * 1e6) / (r.ok * eventsPerReq), cpuShare: cpu.map((c) => c / SECONDS), rss: Math.max(...pids.map(peakRssMb)) };
}

async function main() {
  const started = Date.now();
  const small = posthogEvents();
  const large = largeEvents(small);
  const size = (evs) => evs.reduce((s, e) => s + JSON.stringify(e).length, 0) / evs.length;
  console.log(`scaling bench: ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), Node ${process.version}, autocannon ${AUTOCANNON_VERSION}, ${CONNECTIONS} connections, ${SECONDS} s per step (after ${WARMUP} s warm-up), load ${os.loadavg()[0].toFixed(2)}`);
  console.log(`events: ${small.length} distinct of ${fmt(size(small) / 1024, 1)} KB; ${large.length} large of ${fmt(size(large) / 1024, 1)} KB\n`);
  const upstream = await startUpstream();

  // 1. Workers.
  const base = requests('posthog-js', small, 10, 300);
  const byWorkers = {};
  for (const workers of [1, 2]) {
    const proxy = await startPhiProxy({ upstreamUrl: upstream.url, workers });
    byWorkers[workers] = await measure(proxy, base, 10);
    await proxy.stop();
  }
  console.log('| workers | req/s | events/s | events/s per worker | p50 / p99 ms | worker CPU µs/event | worker CPU use (cores) | peak RSS MB per worker |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [w, r] of Object.entries(byWorkers)) {
    console.log(`| ${w} | ${fmt(r.rps)} | ${fmt(r.eventsPerSec)} | ${fmt(r.eventsPerSec / Number(w))} | ${fmt(r.p50)} / ${fmt(r.p99)} | ${fmt(r.cpuPerEventUs)} | ${r.cpuShare.map((c) => fmt(c, 2)).join(' + ')} | ${fmt(r.rss)} |`);
  }
  const speedup = byWorkers[2].eventsPerSec / byWorkers[1].eventsPerSec;
  console.log(`2 workers / 1 worker: ${fmt(speedup, 2)}× events/s (linear: 2.00×); CPU per event ${fmt(byWorkers[2].cpuPerEventUs / byWorkers[1].cpuPerEventUs, 2)}× (1.00× = no per-worker overhead)\n`);

  // 2. Batch size × event size, one worker.
  const proxy = await startPhiProxy({ upstreamUrl: upstream.url, workers: 1 });
  await load(proxy.url, base, { seconds: WARMUP, connections: CONNECTIONS });
  const rows = [];
  for (const [label, events] of [['~1 KB', small], ['~10 KB', large]]) {
    const kb = size(events) / 1024;
    for (const batch of [1, 10, 100]) {
      const count = Math.max(10, Math.min(300, Math.floor((3000 * 1024) / (batch * kb * 1024))));
      const r = await measure(proxy, requests('posthog-js', events, batch, count), batch, false);
      rows.push({ label, kb, batch, ...r, cpuPerKbUs: r.cpuPerEventUs / kb });
    }
  }
  await proxy.stop();
  await upstream.stop();
  const ref = rows.find((r) => r.label === '~1 KB' && r.batch === 10);
  console.log('| event | events/request | req/s | events/s | decoded MB/s | p50 / p99 ms | CPU µs/event | CPU µs/KB | µs/KB vs 10×1 KB |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.label} | ${r.batch} | ${fmt(r.rps)} | ${fmt(r.eventsPerSec)} | ${fmt((r.eventsPerSec * r.kb) / 1024, 1)} | ${fmt(r.p50)} / ${fmt(r.p99)} | ${fmt(r.cpuPerEventUs)} | ${fmt(r.cpuPerKbUs, 1)} | ${fmt(r.cpuPerKbUs / ref.cpuPerKbUs, 2)}× |`);
  }
  const verdict = (a, b, what) => {
    const ratio = b.cpuPerKbUs / a.cpuPerKbUs;
    return `${what}: ${fmt(ratio, 2)}× the time per KB (${ratio <= 1.25 ? 'linear or better' : ratio <= 1.6 ? 'slightly worse than linear' : 'worse than linear'})`;
  };
  const at = (label, batch) => rows.find((r) => r.label === label && r.batch === batch);
  console.log('');
  console.log(verdict(at('~1 KB', 10), at('~1 KB', 100), '1 KB events, 10 → 100 per request'));
  console.log(verdict(at('~10 KB', 10), at('~10 KB', 100), '10 KB events, 10 → 100 per request'));
  console.log(verdict(at('~1 KB', 10), at('~10 KB', 10), '10 per request, 1 KB → 10 KB events'));
  console.log(verdict(at('~1 KB', 100), at('~10 KB', 100), '100 per request, 1 KB → 10 KB events'));
  console.log(`(${fmt((Date.now() - started) / 1000)} s)`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
