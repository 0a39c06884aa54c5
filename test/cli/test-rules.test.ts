/**
 * `phi-proxy test`: YAML rule test cases users run in their own CI. The cases shipped for the
 * default pack (rules/tests/) run here, so `npm test` proves every Safe Harbor identifier A–R.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main';
import { parsePath, resolvePath, showPath } from '../../src/cli/test-rules';
import { tempDir, writeConfig } from '../helpers';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'phi-proxy.js');
const CASES = path.join(ROOT, 'rules', 'tests');

interface Result { code: number | null; stdout: string; stderr: string }

/** In process, on the TypeScript sources. */
async function run(argv: string[]): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) => new Writable({ write(chunk, _enc, cb) { append(String(chunk)); cb(); } });
  const code = await main(argv, { stdin: process.stdin, stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)) });
  return { code, stdout, stderr };
}

/** The built CLI, as a user's CI runs it (`npx phi-proxy test`). */
function cli(args: string[], cwd: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, PHI_PROXY_CONFIG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function caseFile(yaml: string): string {
  const file = path.join(tempDir(), 'cases.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

describe('phi-proxy test: the cases shipped for the default pack', () => {
  it('all pass (rules/tests/*.yaml)', async () => {
    const { code, stdout, stderr } = await run(['test', CASES]);
    expect(stderr).toBe('');
    expect(stdout).not.toMatch(/^FAIL/m);
    expect(stdout).toMatch(/^(\d+) passed, 0 failed\n$/m);
    expect(Number(/^(\d+) passed/m.exec(stdout)![1])).toBeGreaterThanOrEqual(40);
    expect(code).toBe(0);
  });

  it('cover every Safe Harbor identifier A–R, plus utility cases', () => {
    const files = fs.readdirSync(CASES).filter((f) => f.endsWith('.yaml'));
    for (const letter of 'abcdefghijklmnopqr') {
      expect({ letter, files: files.filter((f) => f.startsWith(`${letter}-`)) }).toEqual({ letter, files: [expect.any(String)] });
    }
    expect(files).toContain('utility.yaml');
  });

  it('run through the built CLI with rules/tests as the default directory, without touching the vault', async () => {
    const cwd = tempDir();
    fs.cpSync(CASES, path.join(cwd, 'rules', 'tests'), { recursive: true });
    const { code, stdout } = await cli(['test', '--quiet'], cwd);
    expect(stdout).toMatch(/^\d+ passed, 0 failed\n$/);
    expect(code).toBe(0);
    // The default config's vault (.phi-proxy/vault.jsonl) is never created: tests use an in-memory vault.
    expect(fs.existsSync(path.join(cwd, '.phi-proxy'))).toBe(false);
  });
});

describe('phi-proxy test: failures', () => {
  const BROKEN = `
- name: email survives (wrong on purpose)
  event:
    event: signup
    properties: { email: jane@example.com, plan: pro, distinct_id: p-1 }
  expect:
    event: signup
    properties: { email: jane@example.com, plan: pro, distinct_id: <pseudonym> }
- name: correct
  event: { event: signup, properties: { email: jane@example.com } }
  present: { properties.email: '[EMAIL]' }
`;

  it('a broken case fails with a readable diff (path: expected vs got) and exit code 1', async () => {
    const file = caseFile(BROKEN);
    const { code, stdout } = await run(['test', file]);
    expect(code).toBe(1);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(`FAIL  email survives (wrong on purpose)  (${file}:2)`);
    expect(lines[1]).toBe('        expect: properties.email: expected "jane@example.com", got "[EMAIL]"');
    expect(lines[2]).toMatch(/^ {8}output: \{"event":"signup","properties":\{"email":"\[EMAIL\]","plan":"pro","distinct_id":"tok_[\w-]{20}"\}\}$/);
    expect(lines[3]).toBe(`ok    correct  (${file}:9)`);
    expect(stdout).toMatch(/^1 passed, 1 failed\n$/m);
  });

  it('reports each kind of check by name', async () => {
    const file = caseFile(`
- name: every check fails
  event: { event: note, properties: { note: call 617-555-0134, plan: pro, email: a@example.com } }
  absent: ['**.plan']
  changed: [properties.plan]
  present: { properties.note: call 617-555-0134, properties.missing: 1 }
  not_contains: [PRO]
`);
    const { code, stdout } = await run(['test', file]);
    expect(code).toBe(1);
    expect(stdout).toContain('        absent: properties.plan should not exist, got "pro" (from **.plan)\n');
    expect(stdout).toContain('        changed: properties.plan should change, got the input value unchanged: "pro"\n');
    expect(stdout).toContain('        present: properties.note: expected "call 617-555-0134", got "call [PHONE]"\n');
    expect(stdout).toContain('        present: properties.missing: expected 1, got (absent)\n');
    expect(stdout).toContain('        not_contains: the output contains "PRO"\n');
  });

  it('pseudonym placeholders: any surrogate, never the input; labels join and stay apart', async () => {
    const file = caseFile(`
- name: joins
  event: { properties: { distinct_id: p-1, user_id: p-1, session_id: s-9 } }
  expect: { properties: { distinct_id: <pseudonym:p>, user_id: <pseudonym:p>, session_id: <pseudonym:s> } }
- name: wrong labels
  event: { properties: { distinct_id: p-1, user_id: p-1, session_id: s-9 } }
  expect: { properties: { distinct_id: <pseudonym:a>, user_id: <pseudonym:b>, session_id: <pseudonym:a> } }
- name: not a pseudonym
  event: { properties: { plan: pro } }
  present: { properties.plan: <pseudonym> }
- name: any
  event: { properties: { plan: pro } }
  present: { properties.plan: <any> }
`);
    const { stdout } = await run(['test', file]);
    expect(stdout).toMatch(/^ok {4}joins/m);
    expect(stdout).toContain('expect: properties.user_id: <pseudonym:b> is the same surrogate as <pseudonym:a> at properties.distinct_id');
    expect(stdout).toMatch(/expect: properties\.session_id: <pseudonym:a> differs from the one at properties\.distinct_id/);
    expect(stdout).toContain('present: properties.plan: expected a pseudonym, got "pro"');
    expect(stdout).toMatch(/^ok {4}any/m);
    expect(stdout).toMatch(/^2 passed, 2 failed$/m);
  });

  it('an invalid case file is reported by file:line:column and fails the run', async () => {
    const file = caseFile('- name: no event\n  expect: {}\n- name: typo\n  event: {}\n  absnet: [a]\n');
    const { code, stderr } = await run(['test', file]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${file}: invalid case file\n`);
    expect(stderr).toMatch(/:1:3: 0\.event: /);
    expect(stderr).toContain(`${file}:5:3: unknown key "absnet"`);
  });

  it('a missing directory is a usage error (exit 2); an invalid config exits 3', async () => {
    expect((await run(['test', path.join(tempDir(), 'nope')])).code).toBe(2);
    const config = writeConfig({ 'config.yaml': 'rulez: []\n' });
    expect((await run(['test', '--config', config, CASES])).code).toBe(3);
  });
});

describe('phi-proxy test --config: a team tests its own rules', () => {
  it('runs cases against the given config and its packs', async () => {
    const config = writeConfig({
      'config.yaml': 'rules: [rules.yaml]\n',
      'rules.yaml': 'version: 1\nrules:\n  - { id: drop-notes, match: { keys: [note] }, action: drop }\n  - { id: ids, match: { keys: [member] }, action: pseudonymize }\n',
    });
    const file = caseFile(`
- name: notes are dropped, members pseudonymised
  event: { note: hello, member: m-1, n: 1 }
  expect: { member: <pseudonym>, n: 1 }
`);
    const { code, stdout } = await run(['test', '--config', config, file]);
    expect(stdout).toBe(`ok    notes are dropped, members pseudonymised  (${file}:2)\n1 passed, 0 failed\n`);
    expect(code).toBe(0);
  });
});

describe('case paths', () => {
  it('parse dotted, indexed, quoted and wildcard segments', () => {
    expect(parsePath('properties.$set.email')).toEqual(['properties', '$set', 'email']);
    expect(parsePath('a[0].b.1["c.d"]')).toEqual(['a', 0, 'b', 1, 'c.d']);
    expect(parsePath('**.email')).toEqual([{ wildcard: '**' }, 'email']);
    expect(() => parsePath('a..b')).toThrow(/empty segment/);
    expect(() => parsePath('a[x]')).toThrow(/neither an index nor a quoted key/);
  });

  it('resolve every match, once', () => {
    const doc = { a: { email: 1, b: [{ email: 2 }] }, email: 3, 'c.d': { '0': 4 } };
    expect(resolvePath(doc, parsePath('**.email')).map((m) => showPath(m.keys)).sort()).toEqual(['a.b[0].email', 'a.email', 'email']);
    expect(resolvePath(doc, parsePath('a.b.*.email')).map((m) => m.value)).toEqual([2]);
    expect(resolvePath(doc, parsePath('["c.d"].0')).map((m) => m.value)).toEqual([4]);
    expect(showPath(['c.d', '0', 0])).toBe('["c.d"]["0"][0]');
  });
});
