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
 * --rounds N (default 5; the median round is reported), --no-peers (floor and engine only).
 *
 * The set is generated fresh (test/fixtures/make-labelled-events.js, a seed the quality set does
 * not use), so every event is distinct, and each round starts from a freshly compiled plan:
 * the engine's memos only help where distinct events share values (browsers, event names,
 * pages), as in real traffic.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { loadPeers } = require('./peers');

const ROOT = path.resolve(__dirname, '..');
const { compileRules, scrubEvent, TokenVault } = require(path.join(ROOT, 'dist', 'index.js'));

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const EVENTS = arg('--events', 3000);
const ROUNDS = arg('--rounds', 5);
/** `--no-peers`: floor and engine only (for profiling and quick before/after checks). */
const PEERS = !process.argv.includes('--no-peers');

function makeSet() {
  const out = path.join(os.tmpdir(), `phi-proxy-bench-${EVENTS}.ndjson`);
  if (!fs.existsSync(out)) {
    execFileSync(process.execPath, [path.join(ROOT, 'test/fixtures/make-labelled-events.js'), '--seed', '777', '--count', String(EVENTS), '--out', out], { stdio: 'ignore' });
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

/** `fn` for each line, per round; `setup()` runs before each round, untimed (fresh state). */
async function timeRounds(lines, fn, setup = () => {}) {
  const rates = [];
  let outputs;
  for (let r = 0; r < ROUNDS; r++) {
    setup();
    const t = process.hrtime.bigint();
    const round = new Array(lines.length);
    for (let i = 0; i < lines.length; i++) {
      const out = fn(lines[i]);
      round[i] = out instanceof Promise ? await out : out;
    }
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    rates.push(lines.length / s);
    outputs = round;
  }
  rates.sort((a, b) => a - b);
  return { rate: rates[Math.floor(rates.length / 2)], outputs };
}

async function main() {
  const cases = makeSet();
  const lines = cases.map((c) => JSON.stringify(c.event));
  const bytes = lines.reduce((n, l) => n + l.length, 0) / lines.length;
  console.log(`engine bench: ${lines.length} distinct events (~${Math.round(bytes)} B each), ${ROUNDS} rounds, median reported; node ${process.version}`);

  const rows = [];
  const floor = await timeRounds(lines, (l) => JSON.stringify(JSON.parse(l)));
  rows.push({ name: 'floor: JSON.parse + stringify', rate: floor.rate, verdict: judge(cases, floor.outputs.map((o) => JSON.parse(o))) });

  // A fresh plan (and vault) per round: the engine's memos only help where distinct events
  // really share values (browsers, event names, pages), never by seeing the same event twice.
  let plan;
  const engine = await timeRounds(lines, (l) => JSON.stringify(scrubEvent(plan, JSON.parse(l))), () => {
    plan = compileRules(undefined, { pseudonymizer: new TokenVault() });
  });
  rows.push({ name: 'phi-proxy scrubEvent (Safe Harbor pack)', rate: engine.rate, verdict: judge(cases, engine.outputs.map((o) => JSON.parse(o))) });

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
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
