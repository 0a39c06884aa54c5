#!/usr/bin/env node
'use strict';
/**
 * Engine benchmark: events/s of scrubEvent with the default Safe Harbor pack on a realistic,
 * labelled event set (PostHog and Segment shapes, ~1.1 KB each, PHI in a minority of fields),
 * side by side in one run with
 *   - the floor: the same loop doing only JSON.parse + JSON.stringify;
 *   - npm PII-redaction libraries run on the same events' string values;
 * and for each, what it leaked (planted identifiers that survived) and damaged (benign values
 * that changed). Run: `npm run bench:engine` (builds first). Options: --events N (default 3000),
 * --rounds N (default 5, after one untimed round; the median round is reported), --no-peers (floor
 * and engine only).
 *
 * The set is generated fresh (test/fixtures/make-labelled-events.js, a seed the quality set does
 * not use), so every event is distinct, and each round starts from a freshly compiled plan:
 * the engine's memos only help where distinct events share values (browsers, event names,
 * pages), as in real traffic.
 *
 * The engine is measured twice: *warm*, the headline, is what a long-running proxy sees — each
 * round's fresh plan (and vault) first scrubs an untimed warm-up set of the same size generated
 * from another seed, so property names, clean values and URLs that real traffic repeats are
 * known, but none of the measured events has been seen; *cold* starts each round from a plan
 * that has scrubbed nothing (what a proxy sees right after it starts or reloads its rules).
 * `--warmup N` sets the warm-up set's size (default: --events; 0 drops the warm row).
 *
 * Then the whole process: `phi-proxy scrub FILE > /dev/null` on an NDJSON file of
 * `--process-events N` events (default 20000; 0 skips it) against bench/lib/ndjson-floor.js (the
 * same file parsed and stringified line by line, same output writes), wall time including start-up
 * (compiling the rules, loading the dictionaries). phi-proxy runs twice per round in one fresh
 * directory: first with an empty vault file (a one-off export: every identifier is new and
 * appended to the vault), then again (every identifier already in the vault).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { loadPeers } = require('./peers');

const ROOT = path.resolve(__dirname, '..');
const { compileRules, scrubEvent, TokenVault } = require(path.join(ROOT, 'dist', 'index.js'));

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const EVENTS = arg('--events', 3000);
const ROUNDS = arg('--rounds', 5);
const WARMUP = arg('--warmup', EVENTS);
/** `--no-peers`: floor and engine only (for profiling and quick before/after checks). */
const PEERS = !process.argv.includes('--no-peers');
const PROCESS_EVENTS = arg('--process-events', 20000);

/** The measured set is seed 777; the warm-up set another seed, so no measured event is seen before. */
function makeSet(count = EVENTS, seed = 777) {
  const suffix = seed === 777 ? '' : `-seed${seed}`;
  const out = path.join(os.tmpdir(), `phi-proxy-bench-${count}${suffix}.ndjson`);
  if (!fs.existsSync(out)) {
    execFileSync(process.execPath, [path.join(ROOT, 'test/fixtures/make-labelled-events.js'), '--seed', String(seed), '--count', String(count), '--out', out], { stdio: 'ignore' });
  }
  return fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

/** The same over an async redactor, string by string. */
async function mapStringsAsync(value, redact) {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return Promise.all(value.map((v) => mapStringsAsync(v, redact)));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[await redact(k)] = await mapStringsAsync(v, redact);
    return out;
  }
  return value;
}

/** Applies `redact(string) → string` to every string leaf and property name of a parsed event. */
function mapStrings(value, redact) {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, redact));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[redact(k)] = mapStrings(v, redact);
    return out;
  }
  return value;
}

function survives(text, value) {
  const lower = text.toLowerCase();
  return [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)].some((f) => f && lower.includes(f.toLowerCase()));
}
const at = (root, p) => p.reduce((n, k) => (n == null ? n : n[k]), root);

/** Leaks and damage of one candidate's outputs, judged per planted path like `phi-proxy quality`. */
function judge(cases, outputs) {
  let planted = 0, leaked = 0, benign = 0, damaged = 0;
  cases.forEach((c, i) => {
    const out = outputs[i];
    for (const p of c.planted) {
      planted++;
      const where = p.paths && p.paths.length ? p.paths.map((q) => JSON.stringify(at(out, q)) ?? '').join('\n') : JSON.stringify(out);
      if (survives(where, p.value)) leaked++;
    }
    for (const b of c.benign) {
      benign++;
      if (JSON.stringify(at(out, b.path)) !== JSON.stringify(b.value)) damaged++;
    }
  });
  return { planted, leaked, benign, damaged };
}

/** One timed pass of `fn` over `lines`: [events/s, outputs]. */
async function timePass(lines, fn) {
  const t = process.hrtime.bigint();
  const outputs = new Array(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const out = fn(lines[i]);
    outputs[i] = out instanceof Promise ? await out : out;
  }
  return [lines.length / (Number(process.hrtime.bigint() - t) / 1e9), outputs];
}

const median = (rates) => rates.slice().sort((a, b) => a - b)[Math.floor(rates.length / 2)];

/** `fn` for each line, per round; `setup()` runs before each round, untimed (fresh state). */
async function timeRounds(lines, fn, setup = () => {}) {
  const rates = [];
  let outputs;
  for (let r = 0; r < ROUNDS; r++) {
    setup();
    let rate;
    [rate, outputs] = await timePass(lines, fn);
    rates.push(rate);
  }
  return { rate: median(rates), outputs };
}

async function main() {
  const cases = makeSet();
  const lines = cases.map((c) => JSON.stringify(c.event));
  const bytes = lines.reduce((n, l) => n + l.length, 0) / lines.length;
  console.log(`engine bench: ${lines.length} distinct events (~${Math.round(bytes)} B each), ${ROUNDS} rounds, median reported; warm-up ${WARMUP} events of another seed; node ${process.version}`);

  // The floor and the engine take turns within each round, so that a shared machine's drifts
  // (other jobs, CPU frequency) hit all rows alike; one untimed round first warms the JIT.
  // A fresh plan (and vault) per round: the engine's memos only help where distinct events
  // really share values (browsers, event names, pages), never by seeing the same event twice.
  const warmup = WARMUP > 0 ? makeSet(WARMUP, 4242).map((c) => JSON.stringify(c.event)) : [];
  const floorFn = (l) => JSON.stringify(JSON.parse(l));
  let plan;
  const scrub = (l) => JSON.stringify(scrubEvent(plan, JSON.parse(l)));
  const fresh = () => compileRules(undefined, { pseudonymizer: new TokenVault() });
  const rates = { floor: [], warm: [], cold: [] };
  const outputs = {};
  for (let r = -1; r < ROUNDS; r++) {
    const [floorRate, floorOut] = await timePass(lines, floorFn);
    let warmRate, warmOut;
    if (WARMUP > 0) {
      plan = fresh();
      for (const l of warmup) scrub(l);
      [warmRate, warmOut] = await timePass(lines, scrub);
    }
    plan = fresh();
    const [coldRate, coldOut] = await timePass(lines, scrub);
    if (r < 0) continue;
    rates.floor.push(floorRate);
    rates.warm.push(warmRate);
    rates.cold.push(coldRate);
    Object.assign(outputs, { floor: floorOut, warm: warmOut, cold: coldOut });
  }
  const verdict = (outs) => judge(cases, outs.map((o) => JSON.parse(o)));
  const floor = { rate: median(rates.floor) };
  const rows = [{ name: 'floor: JSON.parse + stringify', rate: floor.rate, verdict: verdict(outputs.floor) }];
  if (WARMUP > 0) rows.push({ name: 'phi-proxy scrubEvent, warm (after warm-up)', rate: median(rates.warm), verdict: verdict(outputs.warm) });
  rows.push({ name: 'phi-proxy scrubEvent, cold (fresh plan)', rate: median(rates.cold), verdict: verdict(outputs.cold) });

  for (const peer of PEERS ? await loadPeers() : []) {
    // Peers see the same string values the engine sees (values and property names).
    const result = peer.redact
      ? await timeRounds(lines, (l) => JSON.stringify(mapStrings(JSON.parse(l), peer.redact)))
      : await timeRounds(lines, async (l) => JSON.stringify(await mapStringsAsync(JSON.parse(l), peer.redactAsync)));
    rows.push({ name: `${peer.name} (npm ${peer.version})`, rate: result.rate, verdict: judge(cases, result.outputs.map((o) => JSON.parse(o))) });
  }

  const pct = (n, d) => (d === 0 ? '-' : `${((n / d) * 100).toFixed(1)}%`);
  console.log('');
  console.log(`${'candidate'.padEnd(44)} ${'events/s'.padStart(10)} ${'x floor time'.padStart(12)} ${'leaked'.padStart(14)} ${'benign damaged'.padStart(16)}`);
  for (const row of rows) {
    const v = row.verdict;
    console.log(
      `${row.name.padEnd(44)} ${Math.round(row.rate).toString().padStart(10)} ${(floor.rate / row.rate).toFixed(2).padStart(12)} ` +
        `${`${v.leaked}/${v.planted} ${pct(v.leaked, v.planted)}`.padStart(14)} ${`${v.damaged}/${v.benign} ${pct(v.damaged, v.benign)}`.padStart(16)}`,
    );
  }
  console.log('\n"x floor time" = time per event relative to parse + stringify alone (target: <= 2).');
  if (WARMUP > 0) await withoutIdentifiers(cases, warmup);
  if (PROCESS_EVENTS > 0) wholeProcess();
}

/**
 * The warm engine on the events of the set that carry no planted identifier, against their own
 * floor: the set plants 1.6 identifiers per event, and a string that holds one costs 10-100 times
 * a clean string, so this row shows what the engine costs on the traffic most events are.
 */
async function withoutIdentifiers(cases, warmup) {
  const clean = cases.filter((c) => c.planted.length === 0);
  if (clean.length === 0) return;
  const lines = clean.map((c) => JSON.stringify(c.event));
  const floorRates = [];
  const warmRates = [];
  let outputs;
  for (let r = -1; r < ROUNDS; r++) {
    const [floorRate] = await timePass(lines, (l) => JSON.stringify(JSON.parse(l)));
    const plan = compileRules(undefined, { pseudonymizer: new TokenVault() });
    for (const l of warmup) scrubEvent(plan, JSON.parse(l));
    const [warmRate, out] = await timePass(lines, (l) => JSON.stringify(scrubEvent(plan, JSON.parse(l))));
    if (r < 0) continue;
    floorRates.push(floorRate);
    warmRates.push(warmRate);
    outputs = out;
  }
  const v = judge(clean, outputs.map((o) => JSON.parse(o)));
  const floor = median(floorRates);
  const warm = median(warmRates);
  console.log(`\nevents without a planted identifier (${clean.length} of ${cases.length}), warm, against their own floor:`);
  console.log(`  floor ${Math.round(floor)} events/s; phi-proxy ${Math.round(warm)} events/s: ${(floor / warm).toFixed(2)} x floor time; benign damaged ${v.damaged}/${v.benign}`);
}

/** Wall seconds of `node args…` run in `cwd`, stdout to /dev/null. */
function timeProcess(args, cwd) {
  const devNull = fs.openSync('/dev/null', 'w');
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd, stdio: ['ignore', devNull, 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  fs.closeSync(devNull);
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${String(result.stderr).slice(0, 300)}`);
  return seconds;
}

/** `phi-proxy scrub FILE` as a whole process against the parse + stringify process floor. */
function wholeProcess() {
  const file = path.join(os.tmpdir(), `phi-proxy-bench-process-${PROCESS_EVENTS}.ndjson`);
  if (!fs.existsSync(file)) {
    const events = makeSet(PROCESS_EVENTS, 31337).map((c) => JSON.stringify(c.event));
    fs.writeFileSync(file, events.join('\n') + '\n');
  }
  const mb = fs.statSync(file).size / 1e6;
  const times = { floor: [], fresh: [], known: [] };
  for (let r = 0; r < ROUNDS; r++) {
    times.floor.push(timeProcess([path.join(__dirname, 'lib', 'ndjson-floor.js'), file], os.tmpdir()));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phi-bench-scrub-'));
    times.fresh.push(timeProcess([path.join(ROOT, 'bin', 'phi-proxy.js'), 'scrub', file], dir));
    times.known.push(timeProcess([path.join(ROOT, 'bin', 'phi-proxy.js'), 'scrub', file], dir));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const floor = median(times.floor);
  console.log(`\nwhole process: ${PROCESS_EVENTS} events (${mb.toFixed(1)} MB NDJSON) in, stdout to /dev/null; wall time incl. start-up, median of ${ROUNDS}`);
  console.log(`${'process'.padEnd(52)} ${'seconds'.padStart(8)} ${'events/s'.padStart(10)} ${'x floor time'.padStart(12)}`);
  const row = (name, seconds) => console.log(`${name.padEnd(52)} ${seconds.toFixed(2).padStart(8)} ${Math.round(PROCESS_EVENTS / seconds).toString().padStart(10)} ${(seconds / floor).toFixed(2).padStart(12)}`);
  row('floor: node, JSON.parse + stringify per line', floor);
  row('phi-proxy scrub, empty vault (every id new)', median(times.fresh));
  row('phi-proxy scrub, again (every id in the vault)', median(times.known));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
