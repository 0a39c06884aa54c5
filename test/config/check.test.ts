import { loadConfig } from '../../src/config/load';
import { compilePlan, compileRules } from '../../src/engine/compile';
import { scrubEvent } from '../../src/engine/scrub';
import { ConfigError, formatIssue } from '../../src/errors';
import { TokenVault } from '../../src/vault/token-vault';
import { writeConfig } from '../helpers';

/** The issues a config produces, as `file-basename:line:column: message`. */
function issuesOf(files: Record<string, string>, env: NodeJS.ProcessEnv = {}): string[] {
  const file = writeConfig(files);
  try {
    compilePlan(loadConfig(file), { inMemoryVault: true, env });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues.map((i) => formatIssue({ ...i, file: i.file.split('/').pop()! }));
  }
  return [];
}

const rulePack = (rules: string, detectors = '') => `version: 1\n${detectors}rules:\n${rules}`;

describe('config validation', () => {
  it('accepts the embedded default and names its counts', () => {
    const plan = compileRules(undefined, { pseudonymizer: new TokenVault() });
    expect(plan.mode).toBe('safe_harbor');
    expect(plan.rules.length).toBeGreaterThan(18);
  });

  it('reports an unknown config key at its line and column', () => {
    expect(issuesOf({ 'config.yaml': 'mode: safe_harbor\nrulez: [x.yaml]\n' })).toEqual(['config.yaml:2:1: unknown key "rulez"']);
  });

  it('reports a wrong type with the key path', () => {
    expect(issuesOf({ 'config.yaml': 'mode: safe_harbor\nlimits:\n  max_depth: deep\n' })).toEqual([
      'config.yaml:3:14: limits.max_depth: Invalid input: expected number, received string',
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    const [issue] = issuesOf({ 'config.yaml': 'mode: [safe_harbor\n' });
    expect(issue).toMatch(/^config\.yaml:\d+:\d+: /);
  });

  it('reports a missing rule file at the line that names it', () => {
    expect(issuesOf({ 'config.yaml': 'rules:\n  - nope.yaml\n' })[0]).toMatch(/^config\.yaml:2:5: rule file: cannot read .*nope\.yaml \(ENOENT\)$/);
  });

  it('reports every problem of a rule file, each at its own line', () => {
    const rules = rulePack(
      [
        '  - id: a',
        '    match: { detectors: [emial] }',
        '    action: redact',
        '  - id: a',
        '    match: { keys: [x] }',
        '    action: obliterate',
        '  - id: c',
        '    match: { keys: [x] }',
        '    action: redact',
        '    colour: red',
      ].join('\n') + '\n',
    );
    const issues = issuesOf({ 'config.yaml': 'rules: [rules.yaml]\n', 'rules.yaml': rules });
    expect(issues).toEqual([
      'rules.yaml:8:13: rules.1.action: Invalid discriminator value. Expected \'drop\' | \'redact\' | \'generalize\' | \'url\' | \'pseudonymize\' | \'keep\'',
      'rules.yaml:12:5: unknown key "colour"',
    ]);
    // Semantic checks run once the file is well-formed.
    const semantic = issuesOf({ 'config.yaml': 'rules: [rules.yaml]\n', 'rules.yaml': rules.replace('obliterate', 'drop').replace('    colour: red\n', '') });
    expect(semantic[0]).toMatch(/^rules\.yaml:4:26: unknown detector "emial" \(known: name, .*\)$/);
    expect(semantic[1]).toBe('rules.yaml:6:9: duplicate rule id "a"');
  });

  it('reports a regex RE2 cannot run (backreference) at the pattern', () => {
    const issues = issuesOf({
      'config.yaml': 'rules: [rules.yaml]\n',
      'rules.yaml': rulePack('  - id: r\n    match: { detectors: [twice] }\n    action: redact\n', 'detectors:\n  - id: twice\n    pattern: "(a)\\\\1"\n'),
    });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^rules\.yaml:4:14: bad regex: /);
  });

  it('rejects HMAC pseudonyms in Safe Harbor mode, citing 164.514(c)', () => {
    const issues = issuesOf({
      'config.yaml': 'rules: [rules.yaml]\n',
      'rules.yaml': rulePack('  - id: ids\n    match: { keys: [user_id] }\n    action: pseudonymize\n    method: hmac\n'),
    });
    expect(issues).toEqual([expect.stringMatching(/^rules\.yaml:6:13: method hmac .*164\.514\(c\)/)]);
  });

  it('needs the HMAC key from the environment in expert determination, never from YAML', () => {
    const files = {
      'config.yaml': 'mode: expert_determination\nrules: [rules.yaml]\nhmac:\n  key_env: TEST_HMAC_KEY\n  key_id: k2\n',
      'rules.yaml': rulePack('  - id: ids\n    match: { keys: [user_id] }\n    action: pseudonymize\n    method: hmac\n'),
    };
    expect(issuesOf(files)).toEqual(['config.yaml:4:3: HMAC key environment variable TEST_HMAC_KEY is not set']);
    expect(issuesOf({ ...files, 'config.yaml': files['config.yaml'] + '  key: abc\n' })).toEqual(['config.yaml:6:3: unknown key "key"']);

    const key = 'k'.repeat(40);
    const plan = compilePlan(loadConfig(writeConfig(files)), { env: { TEST_HMAC_KEY: key } });
    const a = scrubEvent(plan, { user_id: 'patient-1' });
    const b = scrubEvent(plan, { user_id: 'patient-1' });
    expect(a.user_id).toMatch(/^k2_[A-Za-z0-9_-]{20}$/);
    expect(b.user_id).toBe(a.user_id);
    const other = compilePlan(loadConfig(writeConfig(files)), { env: { TEST_HMAC_KEY: 'z'.repeat(40) } });
    expect(scrubEvent(other, { user_id: 'patient-1' }).user_id).not.toBe(a.user_id);
  });
});

describe('user regexes cannot hang the process (ReDoS)', () => {
  it('runs a classic catastrophic pattern in linear time with RE2', () => {
    const file = writeConfig({
      'config.yaml': 'rules: [rules.yaml]\n',
      'rules.yaml': rulePack('  - id: r\n    match: { detectors: [evil] }\n    action: redact\n', "detectors:\n  - id: evil\n    pattern: '^(a+)+$'\n"),
    });
    const plan = compileRules(file, { pseudonymizer: new TokenVault() });
    // With a backtracking engine this input takes longer than the age of the universe.
    const hostile = 'a'.repeat(50_000) + '!';
    expect(scrubEvent(plan, { text: hostile }).text).toBe(hostile);
    expect(scrubEvent(plan, { text: 'aaaa' }).text).toBe('[EVIL]');
  });
});

describe('config.example.yaml', () => {
  const example = require('node:path').resolve(__dirname, '../../config.example.yaml');
  const text: string = require('node:fs').readFileSync(example, 'utf8');

  it('is a valid config', () => {
    expect(() => compilePlan(loadConfig(example), { inMemoryVault: true })).not.toThrow();
  });

  it('documents every config key the schema knows', () => {
    const { configSchema, routeSchema } = require('../../src/config/schema');
    const keys = (shape: Record<string, { unwrap?: () => unknown; def?: { innerType?: unknown; shape?: unknown } }>): string[] =>
      Object.entries(shape).flatMap(([key, field]) => {
        let inner: any = field;
        while (inner?.def?.innerType) inner = inner.def.innerType;
        return [key, ...(inner?.def?.shape ? keys(inner.def.shape) : [])];
      });
    for (const key of [...keys(configSchema.shape), ...keys(routeSchema.shape)]) {
      expect(text).toMatch(new RegExp(`^\\s*#?\\s*-?\\s*${key}:`, 'm'));
    }
  });
});

describe('docker/config.yaml (the container image default)', () => {
  it('is a valid config that keeps the vault on the image volume', () => {
    const fs = require('node:fs');
    const path = require('node:path');
    // The image's layout: /etc/phi-proxy/config.yaml beside /etc/phi-proxy/rules/.
    const file = writeConfig({ 'config.yaml': fs.readFileSync(path.resolve(__dirname, '../../docker/config.yaml'), 'utf8') });
    fs.mkdirSync(path.join(path.dirname(file), 'rules'));
    fs.copyFileSync(path.resolve(__dirname, '../../rules/safe-harbor.yaml'), path.join(path.dirname(file), 'rules', 'safe-harbor.yaml'));
    const config = loadConfig(file);
    expect(config.spec.vault?.path).toBe('/var/lib/phi-proxy/vault.jsonl');
    expect(() => compilePlan(config, { inMemoryVault: true })).not.toThrow();
  });
});
