'use strict';
/**
 * The npm PII-redaction libraries the engine is compared with. They are benchmark comparators
 * only (none is fit to build on: shared/stack-notes.md), so they are not project dependencies:
 * the first bench run installs the pinned versions into bench/.peers (git-ignored).
 */
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const DIR = path.join(__dirname, '.peers');
const PINS = {
  'redact-pii': '3.4.0',
  '@coffeeandfun/remove-pii': '3.0.1',
  '@redactpii/node': '1.0.17',
  openredaction: '1.1.5',
};

function ensureInstalled() {
  const missing = Object.keys(PINS).filter((name) => !fs.existsSync(path.join(DIR, 'node_modules', name, 'package.json')));
  if (missing.length === 0) return;
  fs.mkdirSync(DIR, { recursive: true });
  if (!fs.existsSync(path.join(DIR, 'package.json'))) fs.writeFileSync(path.join(DIR, 'package.json'), '{"private":true}\n');
  console.log(`installing benchmark comparators into bench/.peers: ${missing.join(', ')}`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...missing.map((n) => `${n}@${PINS[n]}`)], { cwd: DIR, stdio: 'inherit' });
}

const load = (name) => require(path.join(DIR, 'node_modules', name));

/** [{ name, version, redact(string) → string }] */
async function loadPeers() {
  ensureInstalled();
  const peers = [];
  const { SyncRedactor } = load('redact-pii');
  const redactPii = new SyncRedactor();
  peers.push({ name: 'redact-pii', version: PINS['redact-pii'], redact: (s) => redactPii.redact(s) });

  const removePii = load('@coffeeandfun/remove-pii');
  peers.push({ name: '@coffeeandfun/remove-pii', version: PINS['@coffeeandfun/remove-pii'], redact: (s) => removePii.removePII(s) });

  const { Redactor } = load('@redactpii/node');
  const redactpii = new Redactor();
  peers.push({ name: '@redactpii/node', version: PINS['@redactpii/node'], redact: (s) => redactpii.redact(s) });

  // openredaction's detect() is async (it returns a Promise), so the bench awaits it per string.
  const { OpenRedaction } = load('openredaction');
  const open = new OpenRedaction();
  peers.push({ name: 'openredaction', version: PINS.openredaction, redactAsync: async (s) => (await open.detect(s)).redacted });
  return peers;
}

module.exports = { loadPeers };
