import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir, writeConfig } from '../helpers';

const BIN = path.resolve(__dirname, '../../bin/phi-proxy.js');

interface Result { code: number | null; stdout: string; stderr: string }

/** Runs the real CLI (the built package, as `npx phi-proxy` would) in a scratch directory. */
function cli(args: string[], stdin = '', cwd = tempDir()): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const EVENT = {
  event: '$identify',
  properties: { distinct_id: 'patient-123', $browser: 'Chrome', plan: 'pro', note: 'call jane.doe@example.com' },
  $set: { email: 'jane.doe@example.com', name: 'Jane Doe' },
  timestamp: '2026-11-22T08:36:14.594Z',
};

describe('phi-proxy CLI', () => {
  it('scrub: one scrubbed object per input line, in order, with the default pack', async () => {
    const cwd = tempDir();
    const input = [JSON.stringify(EVENT), JSON.stringify({ event: 'clicked', properties: { n: 1 } })].join('\n') + '\n';
    const { code, stdout, stderr } = await cli(['scrub'], input, cwd);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(stdout).not.toContain('jane.doe@example.com');
    expect(stdout).not.toContain('patient-123');
    expect(lines[0].properties.plan).toBe('pro');
    expect(lines[0].timestamp).toBe(EVENT.timestamp);
    expect(lines[1]).toEqual({ event: 'clicked', properties: { n: 1 } });
    // The vault persisted the surrogate in the working directory, owner-only.
    const vault = path.join(cwd, '.phi-proxy', 'vault.jsonl');
    expect(fs.statSync(vault).mode & 0o777).toBe(0o600);
    const again = await cli(['scrub'], JSON.stringify(EVENT) + '\n', cwd);
    expect(JSON.parse(again.stdout).properties.distinct_id).toBe(lines[0].properties.distinct_id);
  });

  it('scrub: a bad line is reported by number, never printed, and the exit code says so', async () => {
    const input = `${JSON.stringify(EVENT)}\n{"email": "leak@example.com",\n${JSON.stringify({ a: 1 })}\n`;
    const { code, stdout, stderr } = await cli(['scrub', '-'], input);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^stdin:2: not valid JSON \(at character \d+\); line skipped\n$/);
    expect(stdout + stderr).not.toContain('leak@example.com');
    expect(stdout.trim().split('\n')).toHaveLength(2);
  });

  it('scrub: reads a file argument; --format refuses lines that are not that format', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'events.ndjson');
    fs.writeFileSync(file, `${JSON.stringify(EVENT)}\n${JSON.stringify({ foo: 'x@y.co' })}\n`);
    const { code, stdout, stderr } = await cli(['scrub', '--format', 'posthog', file], '', dir);
    expect(code).toBe(1);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(`${file}:2: not a posthog event or batch; line skipped`);
    expect((await cli(['scrub', '--format', 'amplitude'])).code).toBe(2);
  });

  it('check: ok with a summary, or file:line:column errors and a distinct exit code', async () => {
    const ok = await cli(['check']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ok: embedded default \(rules\/safe-harbor\.yaml\): \d+ rules, \d+ detectors, mode safe_harbor\n$/);

    const config = writeConfig({ 'config.yaml': 'mode: safe_harbour\n' });
    const bad = await cli(['check', '--config', config]);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/config\.yaml:1:7: mode: Invalid option/);
  });

  it('explain: paths, rule ids, kinds and new values, never the originals', async () => {
    const { code, stdout } = await cli(['explain'], JSON.stringify(EVENT) + '\n');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^line 1: \d+ changes\n/);
    expect(stdout).toMatch(/ \$set\.email {2}F-email-fields \[F\] {2}field\/redact → "\[EMAIL\]"/);
    expect(stdout).toMatch(/ properties\.distinct_id {2}R-person-ids \[R\] {2}field\/pseudonymize → "tok_/);
    expect(stdout).toMatch(/ properties\.note {2}F-emails-in-text \[F\] {2}email\/redact → "\[EMAIL\]"/);
    expect(stdout).not.toContain('jane.doe@example.com');
    expect(stdout).not.toContain('patient-123');
    expect(stdout).not.toContain('Jane Doe');
  });

  it('explain --json: one object per event', async () => {
    const { stdout } = await cli(['explain', '--json'], JSON.stringify(EVENT) + '\n');
    const parsed = JSON.parse(stdout);
    expect(parsed.line).toBe(1);
    expect(parsed.changes).toEqual(expect.arrayContaining([expect.objectContaining({ path: '$set.name', ruleId: 'A-name-fields', result: '[NAME]' })]));
  });

  it('prints usage for unknown commands', async () => {
    const { code, stderr } = await cli(['frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "frobnicate"');
  });

  it.each(['constructor', '__proto__', 'toString'])('treats the object built-in %s as an unknown command', async (name) => {
    const { code, stderr } = await cli([name]);
    expect(code).toBe(2);
    expect(stderr).toContain(`unknown command "${name}"`);
  });
});
