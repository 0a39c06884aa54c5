import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import * as zlib from 'node:zlib';
import { Registry } from 'prom-client';
import { main } from '../../src/cli/main';
import { AuditTrail, canonicalJson, GENESIS, lineHash, PathTemplater, planDetectors, verifyAuditFiles } from '../../src/observability/audit';
import { startProxy, type RunningProxy } from '../../src/proxy/server';
import { startRecordingUpstream, type RecordingUpstream } from '../e2e/recording-upstream';
import { defaultPlan, tempDir, writeConfig } from '../helpers';

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
    expect(text).toMatch(/phi_proxy_findings_total\{route="\/",rule="[^"]+",identifier="F",action="redact"\} \d+/);
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
