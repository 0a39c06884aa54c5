import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileRules, type CompileOptions } from '../src/engine/compile';
import type { Plan } from '../src/engine/plan';
import { TokenVault } from '../src/vault/token-vault';

/** A scratch directory under the run's own temp root, which jest's global teardown removes. */
export function tempDir(prefix = 'phi-proxy-test-'): string {
  const root = process.env.PHI_PROXY_TEST_TMP ?? os.tmpdir();
  return fs.mkdtempSync(path.join(root, prefix));
}

/** Writes a config (and the rule packs it names) into a fresh directory; returns the config path. */
export function writeConfig(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, 'config.yaml');
}

/** Compiles rules given as the YAML text of a rule pack, with an in-memory vault. */
export function planFromRules(rulesYaml: string, configYaml = '', options: CompileOptions = {}): Plan {
  const file = writeConfig({ 'config.yaml': `rules: [rules.yaml]\n${configYaml}`, 'rules.yaml': rulesYaml });
  return compileRules(file, { pseudonymizer: new TokenVault(), ...options });
}

/** The default Safe Harbor pack with an in-memory vault. */
export function defaultPlan(): Plan {
  return compileRules(undefined, { pseudonymizer: new TokenVault() });
}

/** A loopback port nothing listens on right now (to start something there, or to stand for a dead upstream). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
