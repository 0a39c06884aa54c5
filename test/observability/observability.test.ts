import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import * as zlib from 'node:zlib';
import { Registry } from 'prom-client';
import { main } from '../../src/cli/main';
import { clusterMetricsText, mergeSnapshots, ProxyMetrics, retiredPart, type MetricsSnapshot } from '../../src/observability/metrics';
import type { Pseudonymizer } from '../../src/vault/types';
import { AuditTrail, canonicalJson, GENESIS, lineHash, PathTemplater, planDetectors, verifyAuditFiles } from '../../src/observability/audit';
import { startProxy, type RunningProxy } from '../../src/proxy/server';
import { startRecordingUpstream, type RecordingUpstream } from '../e2e/recording-upstream';
import { defaultPlan, planFromRules, tempDir, writeConfig } from '../helpers';

const SAFE_HARBOR = path.resolve(__dirname, '../../rules/safe-harbor.yaml');

function request(url: string, init: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const PLANTED = ['jane.doe@example.com', 'patient-123', 'Jane Doe', '617-555-0123', 'john.roe@example.org', '02139'];
const PHI_BATCH = {
  api_key: 'phc_test',
  batch: [
    {
      event: 'booked',
      uuid: '0190a1b2-0000-7000-8000-000000000001',
      properties: {
        distinct_id: 'patient-123',
        email: 'jane.doe@example.com',
        note: 'Patient Jane Doe called from 617-555-0123',
        plan: 'pro',
        // A property *name* that is an identifier: it must not reach paths in the audit trail.
        'john.roe@example.org': true,
        $set: { zip: '02139' },
      },
    },
    { event: 'viewed', properties: { distinct_id: 'patient-123', plan: 'pro', items: [{ contact: 'jane.doe@example.com' }] } },
  ],
};

const sendBatch = (proxy: RunningProxy, prefix = '') =>
  request(`${proxy.url}${prefix}/batch/`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: zlib.gzipSync(JSON.stringify(PHI_BATCH)) });

function collector(): { stream: Writable; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d) => (text += d));
  return { stream, text: () => text };
}

async function cli(argv: string[]): Promise<{ code: number; out: string }> {
  const out = collector();
  const err = collector();
  const code = await main(argv, { stdin: new PassThrough(), stdout: out.stream, stderr: err.stream });
  return { code, out: out.text() + err.text() };
}

/** Sum of every sample line of `name` whose labels include `labels`. */
function total(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Value of one sample line `name{labels} value` in the text format (labels given as a subset, in order). */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('metrics at GET /metrics', () => {
  let upstream: RecordingUpstream;
  let proxy: RunningProxy;
  const logs = collector();

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    const config = writeConfig({
      'config.yaml': [
        `upstream: ${upstream.url}`,
        'vault: { path: vault.jsonl }',
        'routes:',
        `  - { prefix: /ingest, upstream: ${upstream.url}, format: posthog }`,
        `  - { prefix: /amp, upstream: ${upstream.url}, format: amplitude }`,
      ].join('\n'),
    });
    proxy = await startProxy({ configFile: config, overrides: { port: 0, host: '127.0.0.1', logLevel: 'debug' }, logDestination: logs.stream, metricsRegistry: new Registry() });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('exposes every family with route, format, kind, rule and letter labels after traffic, and no planted value', async () => {
    expect((await sendBatch(proxy)).status).toBe(200);
    expect((await sendBatch(proxy, '/ingest')).status).toBe(200);
    expect((await request(`${proxy.url}/nope/jane.doe@example.com`)).status).toBe(404);
    expect((await request(`${proxy.url}/batch/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' })).status).toBeGreaterThanOrEqual(400);
    const scraped = await request(`${proxy.url}/metrics`);
    expect(scraped.status).toBe(200);
    const text = scraped.body;

    expect(sample(text, 'phi_proxy_requests_total', { route: '/', format: 'posthog', kind: 'events', status_class: '2xx' })).toBe(1);
    expect(sample(text, 'phi_proxy_requests_total', { route: '/ingest', format: 'posthog', kind: 'events', status_class: '2xx' })).toBe(1);
    expect(sample(text, 'phi_proxy_requests_total', { kind: 'unknown', status_class: '4xx' })).toBe(1);
    expect(sample(text, 'phi_proxy_requests_total', { route: '/', kind: 'refused', status_class: '4xx' })).toBe(1);
    expect(sample(text, 'phi_proxy_events_total', { route: '/', format: 'posthog', outcome: 'in' })).toBe(2);
    expect(sample(text, 'phi_proxy_events_total', { route: '/', format: 'posthog', outcome: 'forwarded' })).toBe(2);
    expect(sample(text, 'phi_proxy_events_total', { route: '/', format: 'posthog', outcome: 'dropped' })).toBe(0);
    expect(sample(text, 'phi_proxy_findings_total', { route: '/', identifier: 'F' })).toBeGreaterThan(0);
    expect(text).toMatch(/phi_proxy_findings_total\{route="\/",rule="[^"]+",identifier="F",identifier_kind="email",action="redact"\} \d+/);
    // Per identifier kind: one distinct_id in each of the 2 events, one $set.zip, one email field.
    expect(sample(text, 'phi_proxy_findings_total', { route: '/', rule: 'R-person-ids', identifier: 'R', identifier_kind: 'id', action: 'pseudonymize' })).toBe(2);
    expect(sample(text, 'phi_proxy_findings_total', { route: '/', rule: 'B-zip-fields', identifier: 'B', identifier_kind: 'zip', action: 'generalize' })).toBe(1);
    expect(sample(text, 'phi_proxy_findings_total', { route: '/', rule: 'F-email-fields', identifier_kind: 'email' })).toBe(1);
    // The e-mail in items[].contact (and the one used as a property name) are found in text, also as `email`.
    expect(total(text, 'phi_proxy_findings_total', { route: '/', identifier_kind: 'email' })).toBeGreaterThanOrEqual(2);
    expect(total(text, 'phi_proxy_findings_total', { route: '/', identifier_kind: 'phone' })).toBeGreaterThanOrEqual(1);
    expect(total(text, 'phi_proxy_findings_total', { route: '/', identifier_kind: 'name' })).toBeGreaterThanOrEqual(1);
    // Every findings series has a kind from the rules, never a value.
    const kinds = new Set([...text.matchAll(/phi_proxy_findings_total\{[^}]*identifier_kind="([^"]*)"/g)].map((m) => m[1]));
    expect(kinds.size).toBeGreaterThanOrEqual(4);
    for (const kind of kinds) expect(kind).toMatch(/^[a-z_]+$/);
    expect(sample(text, 'phi_proxy_scrub_duration_seconds_count', { route: '/', format: 'posthog' })).toBe(1); // the undecodable body never reached the engine
    expect(sample(text, 'phi_proxy_upstream_duration_seconds_count', { route: '/', format: 'posthog', kind: 'events' })).toBe(1);
    expect(sample(text, 'phi_proxy_upstream_errors_total', { route: '/', format: 'posthog' })).toBe(0);
    expect(sample(text, 'phi_proxy_vault_size', {})).toBeGreaterThan(0);
    expect(sample(text, 'phi_proxy_ruleset_info', { hash: proxy.rulesetHash })).toBe(1);
    expect(proxy.rulesetHash).toMatch(/^[0-9a-f]{16}$/);
    expect(sample(text, 'phi_proxy_config_reloads_total', { result: 'success' })).toBe(0);
    expect(sample(text, 'phi_proxy_config_reloads_total', { result: 'failure' })).toBe(0);

    for (const value of PLANTED) expect(text).not.toContain(value);
    for (const value of PLANTED) expect(logs.text()).not.toContain(value);
    // Labels are config names only: no request paths beyond the route prefix.
    expect(text).not.toContain('/batch');
    expect(text).not.toContain('/nope');
  });

  it('deploy/grafana/phi-proxy.json is a dashboard over a Prometheus datasource variable that plots only exported families', async () => {
    const dashboard = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../deploy/grafana/phi-proxy.json'), 'utf8'));
    expect(dashboard.templating.list).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' })]));
    const text = (await request(`${proxy.url}/metrics`)).body;
    const exprs: string[] = dashboard.panels.flatMap((p: { targets?: { expr: string }[] }) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    const families = new Set(exprs.flatMap((e) => e.match(/phi_proxy_[a-z_]+/g) ?? []).map((n) => n.replace(/_(bucket|count|sum)$/, '')));
    for (const f of ['phi_proxy_requests_total', 'phi_proxy_events_total', 'phi_proxy_findings_total', 'phi_proxy_scrub_duration_seconds', 'phi_proxy_upstream_duration_seconds', 'phi_proxy_upstream_errors_total', 'phi_proxy_vault_size', 'phi_proxy_ruleset_info', 'phi_proxy_shadow_differences_total']) {
      expect(families).toContain(f);
    }
    for (const f of families) expect(text).toContain(`# TYPE ${f} `);
    for (const p of dashboard.panels) if (p.type !== 'row') expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    // Findings are plotted by identifier kind, and every grouping label exists on the family.
    expect(exprs.some((e) => /sum by \([^)]*identifier_kind[^)]*\) \([^(]*\(phi_proxy_findings_total/.test(e))).toBe(true);
    const findingsLabels = /phi_proxy_findings_total\{([^}]*)\}/.exec(text)![1]!.split(',').map((l) => l.split('=')[0]);
    for (const e of exprs.filter((x) => x.includes('phi_proxy_findings_total'))) {
      for (const by of /by \(([^)]*)\)/.exec(e)![1]!.split(',').map((l) => l.trim())) expect(findingsLabels).toContain(by);
    }
    // Panels do not overlap.
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('counts 502s from an unreachable upstream', async () => {
    const registry = new Registry();
    const dead = await startProxy({ configFile: writeConfig({ 'config.yaml': 'upstream: http://127.0.0.1:9\nvault: { path: vault.jsonl }\n' }), overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' }, metricsRegistry: registry });
    try {
      expect((await sendBatch(dead)).status).toBe(502);
      const text = (await request(`${dead.url}/metrics`)).body;
      expect(sample(text, 'phi_proxy_upstream_errors_total', { route: '/' })).toBe(1);
      expect(sample(text, 'phi_proxy_requests_total', { route: '/', kind: 'events', status_class: '5xx' })).toBe(1);
    } finally {
      await dead.close();
    }
  });

  it('is off with metrics.enabled: false', async () => {
    const off = await startProxy({ configFile: writeConfig({ 'config.yaml': 'metrics: { enabled: false }\nvault: { path: vault.jsonl }\n' }), overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' }, sinkOutput: new PassThrough(), metricsRegistry: new Registry() });
    try {
      expect((await request(`${off.url}/metrics`)).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});

describe('identifier kind per rule (identifier_kind label)', () => {
  it('is resolved at compile time: the detector kind, a generalize rule\'s `as`, else the letter\'s name', () => {
    const plan = defaultPlan();
    const kind = (id: string) => plan.rules.find((r) => r.id === id)?.identifierKind;
    expect(kind('F-email-fields')).toBe('email');
    expect(kind('F-emails-in-text')).toBe('email');
    expect(kind('D-E-phones-in-text')).toBe('phone'); // letter D, detector phone
    expect(kind('E-fax-fields')).toBe('fax');
    expect(kind('B-zip-fields')).toBe('zip'); // as: zip
    expect(kind('B-address-fields')).toBe('location');
    expect(kind('B-places-in-text')).toBe('location'); // address, zip and geo: no one kind, so the letter's
    expect(kind('C-age')).toBe('age');
    expect(kind('C-birth-year')).toBe('age');
    expect(kind('C-date-fields')).toBe('date');
    expect(kind('C-dates-in-text')).toBe('date'); // date and age
    expect(kind('J-accounts-in-text')).toBe('account'); // card, iban and account
    expect(kind('O-ip-fields')).toBe('ip');
    expect(kind('R-person-ids')).toBe('id');
    expect(kind('R-other-ids')).toBe('id'); // the `identifier` detector's kind is `other`: the letter decides
    expect(kind('keep-event-metadata')).toBe('none');
    // Every rule with a letter has a kind; few distinct values (low cardinality), all on frozen rules.
    for (const r of plan.rules) {
      if (r.identifier !== undefined) expect(r.identifierKind).not.toBe('none');
      expect(Object.isFrozen(r)).toBe(true);
    }
    expect(new Set(plan.rules.map((r) => r.identifierKind)).size).toBeLessThanOrEqual(25);
  });

  it('for custom rules: the detector wins over the letter; custom patterns without a letter are `other`', () => {
    const plan = planFromRules([
      'version: 1',
      'detectors:',
      '  - { id: rx_number, pattern: "RX[0-9]{6}" }',
      'rules:',
      '  - { id: plain, match: { keys: [plan] }, action: redact }',
      '  - { id: lettered, identifier: H, match: { keys: [chart] }, action: redact }',
      '  - { id: mislabelled, identifier: R, match: { detectors: [email] }, action: redact }',
      '  - { id: custom, match: { detectors: [rx_number] }, action: redact }',
      '  - { id: custom-h, identifier: H, match: { detectors: [rx_number] }, action: redact }',
      '  - { id: mixed, match: { detectors: [email, phone] }, action: redact }',
    ].join('\n'));
    expect(Object.fromEntries(plan.rules.map((r) => [r.id, r.identifierKind]))).toEqual({
      plain: 'none', lettered: 'mrn', mislabelled: 'email', custom: 'other', 'custom-h': 'mrn', mixed: 'other',
    });
  });
});

describe('findings counted at the scrape', () => {
  it('adds up per request, keeps a reloaded plan\'s findings under its own rules, and counts a closed route\'s', async () => {
    const registry = new Registry();
    const m = ProxyMetrics.for(registry);
    const route = m.route('/', 'posthog');
    const before = defaultPlan();
    const after = planFromRules(`
version: 1
rules:
  - id: emails-after-reload
    identifier: F
    match: { detectors: [email] }
    action: redact
`);
    const counts = (plan: typeof before, id: string, n: number) => {
      const c = new Uint32Array(plan.rules.length);
      c[plan.rules.find((r) => r.id === id)!.index] = n;
      return c;
    };
    route.findings(before, counts(before, 'F-email-fields', 2));
    route.findings(before, counts(before, 'F-email-fields', 3));
    expect(sample(await registry.metrics(), 'phi_proxy_findings_total', { rule: 'F-email-fields' })).toBe(5);
    route.findings(before, counts(before, 'F-email-fields', 1));
    route.findings(after, counts(after, 'emails-after-reload', 4)); // a reload between two requests
    let text = await registry.metrics();
    expect(sample(text, 'phi_proxy_findings_total', { rule: 'F-email-fields' })).toBe(6);
    expect(sample(text, 'phi_proxy_findings_total', { rule: 'emails-after-reload' })).toBe(4);
    text = await registry.metrics(); // a second scrape adds nothing
    expect(sample(text, 'phi_proxy_findings_total', { rule: 'emails-after-reload' })).toBe(4);
    route.findings(after, counts(after, 'emails-after-reload', 2));
    m.closeRoute(route);
    expect(sample(await registry.metrics(), 'phi_proxy_findings_total', { rule: 'emails-after-reload' })).toBe(6);
  });
});

describe('cluster aggregation (serve --workers N)', () => {
  const vault = (size: number): Pseudonymizer => ({ size, pseudonym: () => 'tok', isIssued: () => false });

  /** One worker's registry after `events` events with one e-mail finding each. */
  async function worker(events: number, vaultSize: number): Promise<MetricsSnapshot> {
    const registry = new Registry();
    const m = ProxyMetrics.for(registry);
    m.attach([vault(vaultSize)], 'abcdef0123456789', undefined);
    const plan = defaultPlan();
    const route = m.route('/', 'posthog');
    const counts = new Uint32Array(plan.rules.length);
    counts[plan.rules.find((r) => r.id === 'F-email-fields')!.index] = events;
    route.events(events, events, 0);
    route.findings(plan, counts);
    for (let i = 0; i < events; i++) route.scrubbed(process.hrtime.bigint());
    // What crosses the IPC channel is JSON.
    return JSON.parse(JSON.stringify(await registry.getMetricsAsJSON())) as MetricsSnapshot;
  }

  it('sums counters and histograms, takes the largest vault and one rule-set line, and says who answered', async () => {
    const [a, b] = [await worker(3, 5), await worker(4, 7)];
    const text = await clusterMetricsText({ fresh: [a, b], stale: [], missing: 0, retired: [] });
    expect(sample(text, 'phi_proxy_events_total', { route: '/', outcome: 'in' })).toBe(7);
    expect(sample(text, 'phi_proxy_findings_total', { rule: 'F-email-fields', identifier: 'F', identifier_kind: 'email' })).toBe(7);
    expect(sample(text, 'phi_proxy_scrub_duration_seconds_count', { route: '/' })).toBe(7);
    expect(sample(text, 'phi_proxy_scrub_duration_seconds_bucket', { route: '/', le: '+Inf' })).toBe(7);
    expect(sample(text, 'phi_proxy_vault_size', {})).toBe(7);
    expect(sample(text, 'phi_proxy_ruleset_info', { hash: 'abcdef0123456789' })).toBe(1);
    expect(sample(text, 'phi_proxy_cluster_workers', { state: 'answered' })).toBe(2);
    expect(sample(text, 'phi_proxy_cluster_workers', { state: 'stale' })).toBe(0);
    expect(text).toContain('# TYPE phi_proxy_events_total counter');
    expect(text).toContain('# TYPE phi_proxy_scrub_duration_seconds histogram');
  });

  it('counts a slow worker from its last answer and an exited one\'s counters only', async () => {
    const [a, b, c] = [await worker(3, 5), await worker(4, 7), await worker(10, 9)];
    const text = await clusterMetricsText({ fresh: [a], stale: [b], missing: 1, retired: [retiredPart(c)] });
    expect(sample(text, 'phi_proxy_events_total', { route: '/', outcome: 'in' })).toBe(17);
    expect(sample(text, 'phi_proxy_scrub_duration_seconds_count', { route: '/' })).toBe(17);
    expect(sample(text, 'phi_proxy_vault_size', {})).toBe(7); // the exited worker's gauge is gone
    expect(sample(text, 'phi_proxy_cluster_workers', { state: 'answered' })).toBe(1);
    expect(sample(text, 'phi_proxy_cluster_workers', { state: 'stale' })).toBe(1);
    expect(sample(text, 'phi_proxy_cluster_workers', { state: 'missing' })).toBe(1);
  });

  it('merges exited workers\' counters into one snapshot without losing counts', async () => {
    const parts = [await worker(1, 1), await worker(2, 1), await worker(3, 1), await worker(4, 1)].map(retiredPart);
    const merged = JSON.parse(JSON.stringify(await mergeSnapshots(parts))) as MetricsSnapshot;
    const text = await clusterMetricsText({ fresh: [await worker(5, 2)], stale: [], missing: 0, retired: [merged] });
    expect(sample(text, 'phi_proxy_events_total', { route: '/', outcome: 'in' })).toBe(15);
    expect(sample(text, 'phi_proxy_findings_total', { rule: 'F-email-fields', identifier_kind: 'email' })).toBe(15);
    expect(sample(text, 'phi_proxy_scrub_duration_seconds_count', { route: '/' })).toBe(15);
    expect(sample(text, 'phi_proxy_vault_size', {})).toBe(2);
  });

  it('in one process, text() is the registry\'s own exposition', async () => {
    const registry = new Registry();
    const m = ProxyMetrics.for(registry);
    m.route('/', 'posthog').events(2, 2, 0);
    expect(await m.text()).toBe(await registry.metrics());
    expect(await m.text()).not.toContain('phi_proxy_cluster_workers');
  });
});

describe('audit trail', () => {
  it('writes chained window lines of counts per rule per path template, never values, and verifies', async () => {
    const upstream = await startRecordingUpstream();
    const config = writeConfig({ 'config.yaml': [`upstream: ${upstream.url}`, 'vault: { path: vault.jsonl }', 'audit: { path: audit/audit.jsonl, window_seconds: 3600 }'].join('\n') });
    const logs = collector();
    const proxy = await startProxy({ configFile: config, overrides: { port: 0, host: '127.0.0.1', logLevel: 'debug' }, logDestination: logs.stream, metricsRegistry: new Registry() });
    await sendBatch(proxy);
    await sendBatch(proxy);
    await proxy.close();
    await upstream.close();

    const file = proxy.auditFile!;
    expect(file).toBe(path.join(path.dirname(config), 'audit', 'audit.jsonl'));
    const text = fs.readFileSync(file, 'utf8');
    for (const value of PLANTED) expect(text).not.toContain(value);
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['start', 'findings', 'stop']);
    expect(lines[0].prev).toBe(GENESIS);
    for (let i = 1; i < lines.length; i++) expect(lines[i].prev).toBe(lines[i - 1].hash);
    for (const line of lines) expect(lineHash(line)).toBe(line.hash);
    const window = lines[1];
    expect(window.ruleset).toBe(proxy.rulesetHash);
    expect(window.events['/']).toEqual({ in: 4, forwarded: 4 });
    const byRule = window.findings['/'] as Record<string, Record<string, number>>;
    const templates = Object.values(byRule).flatMap((paths) => Object.keys(paths));
    expect(templates).toContain('properties.email');
    expect(templates).toContain('properties.items[].contact');
    // The identifier-named key is a `*` in the template.
    expect(templates.some((t) => t.includes('*'))).toBe(true);
    expect(templates.every((t) => !/\[\d+\]/.test(t))).toBe(true);
    const emailRule = Object.entries(byRule).find(([, paths]) => paths['properties.email'] !== undefined)!;
    expect(emailRule[1]['properties.email']).toBe(2);

    expect(await cli(['audit', 'verify', file])).toEqual({ code: 0, out: expect.stringMatching(/^ok: 3 lines in 1 file, chain intact/) });
  });

  function trail(dir: string, clock: { t: number }, maxBytes = 1 << 20): AuditTrail {
    return new AuditTrail({ file: path.join(dir, 'audit.jsonl'), windowSeconds: 60, maxBytes, ruleset: 'abcdef0123456789', now: () => clock.t, timers: false });
  }

  function fill(dir: string, windows: number, maxBytes?: number): string {
    const clock = { t: Date.UTC(2025, 0, 1) };
    const audit = trail(dir, clock, maxBytes);
    for (let w = 0; w < windows; w++) {
      audit.finding('/', `rule-${w % 3}`, 'batch[].properties.email');
      audit.eventCounts('/', 3, 2, 1, 0);
      clock.t += 60_000;
      audit.rollover();
    }
    audit.close();
    return path.join(dir, 'audit.jsonl');
  }

  it('fails at the right file:line when a byte is changed', async () => {
    const file = fill(tempDir(), 5);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines[2] = lines[2]!.replace('"in":3', '"in":4');
    fs.writeFileSync(file, lines.join('\n'));
    expect(await cli(['audit', 'verify', file])).toEqual({ code: 1, out: `${file}:3: hash does not match the line: the line was altered\n` });

    const again = fill(tempDir(), 5);
    const bytes = fs.readFileSync(again);
    const at = bytes.indexOf('rule-1');
    bytes[at + 5] = '7'.charCodeAt(0); // rule-1 → rule-7, line 3
    fs.writeFileSync(again, bytes);
    expect((await cli(['audit', 'verify', again])).out).toBe(`${again}:3: hash does not match the line: the line was altered\n`);
  });

  it('fails at the right file:line when a line is deleted, or the first line is', async () => {
    const file = fill(tempDir(), 5);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    fs.writeFileSync(file, [...lines.slice(0, 3), ...lines.slice(4)].join('\n'));
    expect(await cli(['audit', 'verify', file])).toEqual({ code: 1, out: `${file}:4: does not chain to line 3: a line was removed, inserted or altered\n` });

    fs.writeFileSync(file, lines.slice(1).join('\n'));
    expect((await cli(['audit', 'verify', file])).out).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: the chain does not begin here`));
  });

  it('rotation keeps the chain across files; a missing or reordered file breaks it', async () => {
    const dir = tempDir();
    const file = fill(dir, 40, 4096);
    const rotated = fs.readdirSync(dir).filter((n) => /^audit\.jsonl\.\d{6}$/.test(n)).sort().map((n) => path.join(dir, n));
    expect(rotated.length).toBeGreaterThanOrEqual(2);
    for (const f of [...rotated, file]) expect(fs.statSync(f).size).toBeLessThanOrEqual(4096);
    const first = JSON.parse(fs.readFileSync(rotated[1]!, 'utf8').split('\n')[0]!);
    expect(first).toMatchObject({ type: 'rotate', previous_file: path.basename(rotated[0]!) });
    const lastOfPrevious = fs.readFileSync(rotated[0]!, 'utf8').trim().split('\n').pop()!;
    expect(first.prev).toBe(JSON.parse(lastOfPrevious).hash);

    const all = [...rotated, file];
    const ok = await cli(['audit', 'verify', ...all]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(new RegExp(`in ${all.length} files, chain intact`));
    const missing = verifyAuditFiles([rotated[0]!, ...rotated.slice(2), file]);
    expect(missing.error).toMatchObject({ file: rotated[2] ?? file, line: 1 });
    expect(missing.error!.message).toMatch(/does not chain to the last line of/);
  });

  it('a restart continues the chain in the same file', () => {
    const dir = tempDir();
    const file = fill(dir, 2);
    fill(dir, 2);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'start')).toHaveLength(2);
    expect(verifyAuditFiles([file]).ok).toBe(true);
  });

  it('writes canonical JSON, so even whitespace changes show', () => {
    const file = fill(tempDir(), 2);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(canonicalJson(JSON.parse(lines[1]!))).toBe(lines[1]);
    lines[1] = lines[1]!.replace('{', '{ ');
    fs.writeFileSync(file, lines.join('\n'));
    expect(verifyAuditFiles([file]).error).toMatchObject({ line: 2 });
  });

  it('path templates drop indices and mask keys that hold identifiers', () => {
    const templater = new PathTemplater(planDetectors(defaultPlan()));
    expect(templater.template('batch[12].properties.email')).toBe('batch[].properties.email');
    expect(templater.template('properties.items[0][3].contact')).toBe('properties.items[][].contact');
    expect(templater.template('properties.jane.doe@example.com')).not.toMatch(/jane|doe|example/);
    expect(templater.template('properties.617-555-0123.x')).toBe('properties.*.x');
    expect(templater.template('properties.patient 48213921')).toBe('properties.*');
    expect(templater.template('$set.$current_url')).toBe('$set.$current_url');
  });
});

describe('shadow rules', () => {
  it('reports where a candidate that adds a rule differs, while the upstream receives the active output', async () => {
    const upstream = await startRecordingUpstream();
    const config = writeConfig({
      'config.yaml': [
        `upstream: ${upstream.url}`,
        'vault: { path: vault.jsonl }',
        `rules: [${SAFE_HARBOR}]`,
        `shadow: { rules: [${SAFE_HARBOR}, extra.yaml] }`,
        'audit: { path: audit.jsonl }',
      ].join('\n'),
      'extra.yaml': ['version: 1', 'rules:', '  - { id: X-plan-tier, identifier: R, match: { keys: [plan] }, action: redact, marker: "[PLAN]" }'].join('\n'),
    });
    const logs = collector();
    const registry = new Registry();
    const proxy = await startProxy({ configFile: config, overrides: { port: 0, host: '127.0.0.1', logLevel: 'debug' }, logDestination: logs.stream, metricsRegistry: registry });
    try {
      expect((await sendBatch(proxy)).status).toBe(200);
      const events = upstream.events();
      expect(events).toHaveLength(2);
      for (const e of events) expect((e.properties as Record<string, unknown>).plan).toBe('pro');
      for (const value of PLANTED) expect(upstream.everything()).not.toContain(value);

      const text = (await request(`${proxy.url}/metrics`)).body;
      expect(sample(text, 'phi_proxy_shadow_differences_total', { route: '/', set: 'candidate', rule: 'X-plan-tier' })).toBe(2);
      expect(text).not.toMatch(/phi_proxy_shadow_differences_total\{[^}]*set="active"/);
      expect(sample(text, 'phi_proxy_shadow_events_total', { route: '/', outcome: 'different' })).toBe(2);
      expect(text).toMatch(/phi_proxy_shadow_ruleset_info\{hash="[0-9a-f]{16}"\} 1/);
      for (const value of [...PLANTED, 'pro"']) expect(text).not.toContain(value);
    } finally {
      await proxy.close();
      await upstream.close();
    }
    const audit = fs.readFileSync(proxy.auditFile!, 'utf8');
    for (const value of PLANTED) expect(audit).not.toContain(value);
    expect(audit).not.toContain('[PLAN]');
    const shadow = audit.trim().split('\n').map((l) => JSON.parse(l)).find((l) => l.type === 'shadow');
    expect(shadow.differences).toEqual({ '/': { candidate: { 'X-plan-tier': { 'properties.plan': 2 } } } });
    expect(shadow.events).toEqual({ '/': { different: 2 } });
    expect(verifyAuditFiles([proxy.auditFile!]).ok).toBe(true);
    for (const value of PLANTED) expect(logs.text()).not.toContain(value);
  });

  it('a candidate that removes a rule shows the active rule firing alone; a route can have its own candidate', async () => {
    const upstream = await startRecordingUpstream();
    const config = writeConfig({
      'config.yaml': [
        'vault: { path: vault.jsonl }',
        `rules: [${SAFE_HARBOR}, extra.yaml]`,
        'routes:',
        `  - { prefix: /x, upstream: ${upstream.url}, format: posthog, rules: [${SAFE_HARBOR}, extra.yaml], shadow: { rules: [${SAFE_HARBOR}] } }`,
      ].join('\n'),
      'extra.yaml': ['version: 1', 'rules:', '  - { id: X-plan-tier, match: { keys: [plan] }, action: redact, marker: "[PLAN]" }'].join('\n'),
    });
    const registry = new Registry();
    const proxy = await startProxy({ configFile: config, overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' }, sinkOutput: new PassThrough(), metricsRegistry: registry });
    try {
      expect((await sendBatch(proxy, '/x')).status).toBe(200);
      for (const e of upstream.events()) expect((e.properties as Record<string, unknown>).plan).toBe('[PLAN]');
      const text = (await request(`${proxy.url}/metrics`)).body;
      expect(sample(text, 'phi_proxy_shadow_differences_total', { route: '/x', set: 'active', rule: 'X-plan-tier' })).toBe(2);
      expect(text).not.toMatch(/phi_proxy_shadow_differences_total\{route="\/"/);
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });
});
