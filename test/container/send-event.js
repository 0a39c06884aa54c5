'use strict';
// Sends one event through the proxy with the real posthog-node SDK, then checks what the
// recording upstream received: `[EMAIL]` and a `tok_` surrogate, never the email or the raw id.
// Usage: node send-event.js PROXY_URL RECORD_FILE      (exit 0: pass, 1: fail)
const fs = require('node:fs');
const { randomUUID } = require('node:crypto');
const { PostHog } = require('posthog-node');

const [proxyUrl, recordFile] = process.argv.slice(2);
const runId = randomUUID().slice(0, 8);
const EMAIL = `jane.doe.${runId}@example.com`;
const DISTINCT_ID = `patient-${runId}`;
const EVENT = 'container_smoke_test';

function fail(message) {
  process.stderr.write(`send-event: FAIL: ${message}\n`);
  process.exit(1);
}

async function main() {
  const errors = [];
  const ph = new PostHog('phc_container_test', { host: proxyUrl, flushAt: 1, flushInterval: 0, fetchRetryCount: 0 });
  ph.on('error', (err) => errors.push(err));
  const uuid = randomUUID();
  ph.capture({
    distinctId: DISTINCT_ID,
    event: EVENT,
    uuid,
    properties: { email: EMAIL, note: `please call back, reply to ${EMAIL}`, plan: 'pro-annual', seats: 12 },
  });
  await ph.shutdown();
  if (errors.length > 0) fail(`posthog-node reported: ${errors.map((e) => (e && e.message) || String(e)).join('; ')}`);

  // The SDK returns once the proxy answered, which is after the upstream answered; poll briefly anyway.
  let events = [];
  let everything = '';
  for (let i = 0; i < 50 && !events.some((e) => e.uuid === uuid); i++) {
    everything = fs.readFileSync(recordFile, 'utf8');
    events = [];
    for (const line of everything.split('\n').filter(Boolean)) {
      const rec = JSON.parse(line);
      if (rec.method !== 'POST') continue;
      let json;
      try {
        json = JSON.parse(rec.body);
      } catch {
        continue;
      }
      events.push(...(Array.isArray(json.batch) ? json.batch : [json]));
    }
    if (!events.some((e) => e.uuid === uuid)) await new Promise((r) => setTimeout(r, 100));
  }
  const event = events.find((e) => e.uuid === uuid);
  if (!event) fail(`the upstream never received event ${uuid} (${events.length} other events recorded)`);
  if (event.event !== EVENT) fail(`event name changed: ${JSON.stringify(event.event)}`);
  if (everything.includes(EMAIL) || everything.includes(EMAIL.replace('@', '%40'))) fail('the email reached the upstream');
  if (everything.includes(DISTINCT_ID)) fail('the raw distinct_id reached the upstream');
  const props = JSON.stringify(event.properties ?? {});
  if (!props.includes('[EMAIL]')) fail(`no [EMAIL] marker in the forwarded properties: ${props}`);
  const distinctId = event.distinct_id ?? event.properties?.distinct_id;
  if (typeof distinctId !== 'string' || !distinctId.startsWith('tok_')) fail(`distinct_id is not a tok_ surrogate: ${JSON.stringify(distinctId)}`);
  if (event.properties?.plan !== 'pro-annual' || event.properties?.seats !== 12) fail(`benign properties changed: ${props}`);
  process.stdout.write(`send-event: ok: distinct_id=${distinctId}, email -> [EMAIL], event ${uuid} forwarded\n`);
  process.stdout.write(`${JSON.stringify({ email: EMAIL, distinctId: DISTINCT_ID })}\n`);
}

main().catch((err) => fail(err && err.stack ? err.stack : String(err)));
