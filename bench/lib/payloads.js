'use strict';
/**
 * Request bodies for the proxy benches, built from the labelled generator
 * (test/fixtures/make-labelled-events.js, seed 9191: neither the quality set's nor the engine
 * bench's), PostHog shape only, so every body is a realistic mix of clean and PHI-bearing events:
 *
 *   - posthog-js:   POST /e/?compression=gzip-js…, `text/plain`, raw gzip of {api_key, batch, sent_at}
 *   - posthog-node: POST /batch/, `application/json`, {api_key, batch, sent_at} with posthog-node's
 *                   message fields (distinct_id at the top, type, library, library_version)
 *
 * Large (~10 KB) events are a generated event whose properties carry 7 more events' properties
 * as `items` (an order with line items): the same kinds of values, 8× as many.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const SEED = 9191;

/** Distinct generated PostHog events (posthog-js shape), about 1.2 KB each. */
function posthogEvents(cases = 6000) {
  const file = path.join(os.tmpdir(), `phi-proxy-bench-proxy-${SEED}-${cases}.ndjson`);
  if (!fs.existsSync(file)) {
    execFileSync(process.execPath, [path.join(ROOT, 'test/fixtures/make-labelled-events.js'), '--seed', String(SEED), '--count', String(cases), '--out', file], { stdio: 'ignore' });
  }
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((c) => c.shape === 'posthog')
    .map((c) => c.event);
}

/** ~10 KB events: each carries the properties of 7 others as line items. */
function largeEvents(events) {
  const out = [];
  for (let i = 0; i + 8 <= events.length; i += 8) {
    const base = structuredClone(events[i]);
    base.properties.items = events.slice(i + 1, i + 8).map((e) => structuredClone(e.properties));
    out.push(base);
  }
  return out;
}

function toNodeMessage(e) {
  const { distinct_id, ...properties } = e.properties;
  return {
    distinct_id: distinct_id ?? properties.$device_id ?? 'anonymous',
    event: e.event,
    properties: { ...properties, $lib: 'posthog-node', $lib_version: '5.9.0' },
    type: 'capture',
    library: 'posthog-node',
    library_version: '5.9.0',
    timestamp: e.timestamp,
    uuid: e.uuid,
  };
}

/**
 * `count` distinct requests of `batchSize` events each (events reused round-robin when the pool
 * runs out), as autocannon request objects, with the number of events each carries.
 */
function requests(kind, events, batchSize, count) {
  const out = [];
  let k = 0;
  const sentAt = '2026-11-23T10:00:00.000Z';
  for (let r = 0; r < count; r++) {
    const batch = [];
    for (let i = 0; i < batchSize; i++) batch.push(events[k++ % events.length]);
    if (kind === 'posthog-js') {
      const body = zlib.gzipSync(JSON.stringify({ api_key: 'phc_bench', batch, sent_at: sentAt }));
      out.push({ method: 'POST', path: `/e/?ip=0&_=${1790000000000 + r}&ver=1.449.2&compression=gzip-js`, headers: { 'content-type': 'text/plain' }, body });
    } else {
      const body = Buffer.from(JSON.stringify({ api_key: 'phc_bench', batch: batch.map(toNodeMessage), sent_at: sentAt }));
      out.push({ method: 'POST', path: '/batch/', headers: { 'content-type': 'application/json' }, body });
    }
  }
  return out;
}

module.exports = { posthogEvents, largeEvents, requests };
