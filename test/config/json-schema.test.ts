/**
 * The JSON Schemas in schema/ are generated from the zod schemas the validator uses; editors read
 * them through the `# yaml-language-server: $schema=` first line of each config and rule file.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { main } from '../../src/cli/main';
import { JSON_SCHEMA_FILES, renderJsonSchemas } from '../../src/config/json-schema';
import { tempDir } from '../helpers';

const ROOT = path.resolve(__dirname, '../..');
const SCHEMA_DIR = path.join(ROOT, 'schema');

function ajv(): Ajv {
  const a = new Ajv({ allErrors: true, strict: true });
  // zod writes `format: uri` for http(s) URLs; the generated `pattern` narrows it to http(s).
  a.addFormat('uri', (s: string) => URL.canParse(s));
  return a;
}

function compiled(file: string): ValidateFunction {
  return ajv().compile(JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, file), 'utf8')));
}

function yamlFile(file: string): unknown {
  return parseYaml(fs.readFileSync(file, 'utf8'));
}

function errorsOf(validate: ValidateFunction, value: unknown): string[] {
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) => new Writable({ write(chunk, _enc, cb) { append(String(chunk)); cb(); } });
  const code = await main(argv, {
    stdin: process.stdin,
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
  });
  return { code, stdout, stderr };
}

const RULE_PACKS = fs.readdirSync(path.join(ROOT, 'rules')).filter((f) => f.endsWith('.yaml')).map((f) => path.join(ROOT, 'rules', f));
const RULE_TESTS = fs.readdirSync(path.join(ROOT, 'rules', 'tests')).filter((f) => f.endsWith('.yaml')).map((f) => path.join(ROOT, 'rules', 'tests', f));

describe('JSON Schemas for editors', () => {
  it('the checked-in schema/ files are exactly what `phi-proxy schema --out` writes (regenerate: node bin/phi-proxy.js schema --out schema/)', async () => {
    const rendered = renderJsonSchemas();
    for (const name of JSON_SCHEMA_FILES) {
      expect(fs.readFileSync(path.join(SCHEMA_DIR, name), 'utf8')).toBe(rendered[name]);
    }
    const out = tempDir();
    const written = await run(['schema', '--out', out]);
    expect(written.code).toBe(0);
    for (const name of JSON_SCHEMA_FILES) expect(fs.readFileSync(path.join(out, name), 'utf8')).toBe(rendered[name]);
    expect((await run(['schema', '--out', SCHEMA_DIR, '--check'])).code).toBe(0);
  });

  it('`schema --check` fails on a stale file and names it', async () => {
    const out = tempDir();
    await run(['schema', '--out', out]);
    fs.appendFileSync(path.join(out, 'rules.schema.json'), ' ');
    const { code, stderr } = await run(['schema', '--out', out, '--check']);
    expect(code).toBe(1);
    expect(stderr).toBe(`${path.join(out, 'rules.schema.json')}: out of date; run: phi-proxy schema --out ${out}\n`);
  });

  it('`schema config` prints one schema; no arguments is a usage error', async () => {
    const printed = await run(['schema', 'config']);
    expect(printed.code).toBe(0);
    expect(JSON.parse(printed.stdout).title).toBe('phi-proxy config');
    expect((await run(['schema'])).code).toBe(2);
  });

  it('validates config.example.yaml and docker/config.yaml against the config schema', () => {
    const validate = compiled('config.schema.json');
    for (const file of ['config.example.yaml', 'docker/config.yaml']) {
      expect({ file, errors: errorsOf(validate, yamlFile(path.join(ROOT, file))) }).toEqual({ file, errors: [] });
    }
  });

  it('validates every shipped rule pack against the rule pack schema', () => {
    const validate = compiled('rules.schema.json');
    expect(RULE_PACKS.length).toBeGreaterThanOrEqual(9);
    for (const file of RULE_PACKS) expect({ file, errors: errorsOf(validate, yamlFile(file)) }).toEqual({ file, errors: [] });
  });

  it('validates every shipped rule test file against the rule test schema', () => {
    const validate = compiled('rule-tests.schema.json');
    expect(RULE_TESTS.length).toBeGreaterThanOrEqual(19);
    for (const file of RULE_TESTS) expect({ file, errors: errorsOf(validate, yamlFile(file)) }).toEqual({ file, errors: [] });
  });

  it('flags the mistakes the validator flags: unknown keys, unknown actions, bad letters, non-http upstreams', () => {
    const config = compiled('config.schema.json');
    expect(errorsOf(config, { rulez: ['x.yaml'] })).toEqual(['/ must NOT have additional properties']);
    expect(errorsOf(config, { upstream: 'ftp://example.com' })).not.toEqual([]);
    expect(errorsOf(config, { upstream: 'https://us.i.posthog.com', listen: { port: 70000 } })).not.toEqual([]);
    expect(errorsOf(config, { session_recordings: { forward: true } })).not.toEqual([]);
    const rules = compiled('rules.schema.json');
    const pack = (rule: object) => ({ version: 1, rules: [rule] });
    expect(errorsOf(rules, pack({ id: 'a', match: { keys: ['email'] }, action: 'redact', marker: '[E]' }))).toEqual([]);
    expect(errorsOf(rules, pack({ id: 'a', match: { keys: ['email'] }, action: 'delete' }))).not.toEqual([]);
    expect(errorsOf(rules, pack({ id: 'a', identifier: 'Z', match: {}, action: 'drop' }))).not.toEqual([]);
    expect(errorsOf(rules, pack({ id: 'a', match: { key: ['email'] }, action: 'drop' }))).not.toEqual([]);
    // `marker` belongs to redact only: the discriminated union keeps per-action keys apart.
    expect(errorsOf(rules, pack({ id: 'a', match: {}, action: 'drop', marker: 'x' }))).not.toEqual([]);
    expect(errorsOf(rules, { version: 2, rules: [] })).not.toEqual([]);
  });

  it('config.example.yaml and each rule pack start with a yaml-language-server line naming an existing schema', () => {
    const expected: [string, string][] = [
      [path.join(ROOT, 'config.example.yaml'), './schema/config.schema.json'],
      ...RULE_PACKS.map((f): [string, string] => [f, '../schema/rules.schema.json']),
      ...RULE_TESTS.map((f): [string, string] => [f, '../../schema/rule-tests.schema.json']),
    ];
    for (const [file, ref] of expected) {
      const first = fs.readFileSync(file, 'utf8').split('\n', 1)[0];
      expect({ file, first }).toEqual({ file, first: `# yaml-language-server: $schema=${ref}` });
      expect(fs.existsSync(path.resolve(path.dirname(file), ref))).toBe(true);
    }
  });

  it('the npm package ships schema/ (package.json `files`), so the $schema lines resolve in node_modules too', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toEqual(expect.arrayContaining(['schema', 'rules', 'config.example.yaml']));
  });
});
