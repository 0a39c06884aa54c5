#!/usr/bin/env node
'use strict';
/**
 * The whole-process floor for `phi-proxy scrub FILE`: the same NDJSON in, JSON.parse and
 * JSON.stringify per line, the same output (64 KB writes) to stdout, nothing else.
 * Used by bench/engine.js; `node bench/lib/ndjson-floor.js FILE > /dev/null`.
 */
const fs = require('node:fs');

let pending = '';
for (const line of fs.readFileSync(process.argv[2], 'utf8').split('\n')) {
  if (line.trim() === '') continue;
  pending += JSON.stringify(JSON.parse(line)) + '\n';
  if (pending.length >= 64 * 1024) {
    fs.writeSync(1, pending);
    pending = '';
  }
}
if (pending !== '') fs.writeSync(1, pending);
