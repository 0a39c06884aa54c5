'use strict';
/**
 * autocannon, the load generator of the proxy benches: a benchmark tool, not a project
 * dependency, so the first run installs the pinned version into bench/.peers (git-ignored), as
 * bench/peers.js does for the PII libraries.
 */
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const DIR = path.join(__dirname, '..', '.peers');
const VERSION = '8.0.0';

function loadAutocannon() {
  const pkg = path.join(DIR, 'node_modules', 'autocannon', 'package.json');
  if (!fs.existsSync(pkg) || JSON.parse(fs.readFileSync(pkg, 'utf8')).version !== VERSION) {
    fs.mkdirSync(DIR, { recursive: true });
    if (!fs.existsSync(path.join(DIR, 'package.json'))) fs.writeFileSync(path.join(DIR, 'package.json'), '{"private":true}\n');
    console.log(`installing the load generator into bench/.peers: autocannon@${VERSION}`);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', `autocannon@${VERSION}`], { cwd: DIR, stdio: 'inherit' });
  }
  return require(path.join(DIR, 'node_modules', 'autocannon'));
}

/**
 * One load step: `requests` (autocannon request objects, cycled by every connection) for
 * `seconds`, at full speed or at `rate` requests/s overall. → { rps, p50, p99, ok, errors }
 */
async function load(url, requests, { seconds = 10, connections = 16, rate } = {}) {
  const autocannon = loadAutocannon();
  const result = await autocannon({ url, requests, connections, duration: seconds, overallRate: rate, pipelining: 1, timeout: 10 });
  const ok = result['2xx'];
  return {
    rps: ok / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

module.exports = { loadAutocannon, load, AUTOCANNON_VERSION: VERSION };
