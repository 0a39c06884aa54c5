/**
 * Loads a config file and the rule packs it names. Without a config file phi-proxy runs on its
 * embedded default: Safe Harbor mode with `rules/safe-harbor.yaml`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, type ConfigIssue } from '../errors';
import { configSchema, rulePackSchema, type ConfigSpec, type RulePackSpec } from './schema';
import { parseYamlFile, type ParsedYaml } from './yaml-file';

/** The rule pack shipped with phi-proxy (rules/ sits two levels above both src/config and dist/config). */
export const DEFAULT_RULES_FILE = path.resolve(__dirname, '..', '..', 'rules', 'safe-harbor.yaml');

export interface LoadedRulePack {
  file: string;
  spec: RulePackSpec;
  issueAt: ParsedYaml<RulePackSpec>['issueAt'];
}

export interface LoadedConfig {
  /** The config file, or undefined for the embedded default. */
  file: string | undefined;
  spec: ConfigSpec;
  /** Directory relative paths in the config are resolved against. */
  baseDir: string;
  packs: LoadedRulePack[];
  issueAt: ParsedYaml<ConfigSpec>['issueAt'];
}

function readText(file: string, issues: ConfigIssue[], from?: ConfigIssue): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    if (from) issues.push({ ...from, message: `${from.message}: cannot read ${file} (${reason})` });
    else issues.push({ file, line: 1, column: 1, message: `cannot read file (${reason})` });
    return undefined;
  }
}

/** The rule pack shipped for a wire format (`rules/segment.yaml`), if there is one. */
export function vendorRulesFile(format: string): string | undefined {
  const file = path.resolve(path.dirname(DEFAULT_RULES_FILE), `${format}.yaml`);
  return fs.existsSync(file) ? file : undefined;
}

/** Loads more rule packs (a route's own) against a loaded config; throws ConfigError on problems. */
export function loadRulePacks(files: readonly string[], baseDir: string): LoadedRulePack[] {
  const issues: ConfigIssue[] = [];
  const packs: LoadedRulePack[] = [];
  for (const ruleFile of files) {
    const file = path.resolve(baseDir, ruleFile);
    const text = readText(file, issues);
    if (text === undefined) continue;
    const shown = path.relative(process.cwd(), file) || file;
    const parsed = parseYamlFile(shown.startsWith('..') ? file : shown, text, rulePackSchema);
    if (parsed.value === undefined) issues.push(...parsed.issues);
    else packs.push({ file: parsed.file, spec: parsed.value, issueAt: parsed.issueAt });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return packs;
}

/** Parses and validates a config and its rule packs; throws ConfigError listing every problem. */
export function loadConfig(configFile?: string): LoadedConfig {
  const issues: ConfigIssue[] = [];
  let spec: ConfigSpec = {};
  let baseDir = process.cwd();
  let issueAt: ParsedYaml<ConfigSpec>['issueAt'] = (_p, message) => ({ file: '<default>', line: 1, column: 1, message });

  if (configFile !== undefined) {
    const file = path.resolve(configFile);
    baseDir = path.dirname(file);
    const text = readText(file, issues);
    if (text === undefined) throw new ConfigError(issues);
    const parsed = parseYamlFile(configFile, text, configSchema);
    issueAt = parsed.issueAt;
    if (parsed.value === undefined) throw new ConfigError(parsed.issues);
    spec = parsed.value;
  }

  const ruleFiles = spec.rules ?? [DEFAULT_RULES_FILE];
  const packs: LoadedRulePack[] = [];
  ruleFiles.forEach((ruleFile, i) => {
    const file = path.resolve(baseDir, ruleFile);
    const text = readText(file, issues, spec.rules ? issueAt(['rules', i], 'rule file') : undefined);
    if (text === undefined) return;
    const shown = path.relative(process.cwd(), file) || file;
    const parsed = parseYamlFile(shown.startsWith('..') ? file : shown, text, rulePackSchema);
    if (parsed.value === undefined) issues.push(...parsed.issues);
    else packs.push({ file: parsed.file, spec: parsed.value, issueAt: parsed.issueAt });
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return { file: configFile, spec, baseDir, packs, issueAt };
}
