/**
 * `phi-proxy test [--config FILE] [DIR|FILE…]`: rule tests a team can run in its own CI.
 *
 * A case file (YAML, `*.yaml`/`*.yml`, found recursively; default directory `rules/tests`) is a
 * list of cases. Each case scrubs `event` with the active config, exactly as `phi-proxy scrub`
 * does, and checks the output:
 *
 *   - name: email in free text is redacted
 *     event: { event: note, properties: { text: "write to jane@example.com" } }
 *     expect: { event: note, properties: { text: "write to [EMAIL]" } }   # the whole output
 *     absent: [properties.$set.email]          # paths that must not exist in the output
 *     changed: [properties.text]               # paths whose input value must not survive as it was
 *     present: { properties.plan: Gold PPO }   # paths that must hold exactly this value
 *     not_contains: [jane@example.com]         # text that must not appear anywhere (case-insensitive)
 *     dropped: true                            # the event cannot be scrubbed: the proxy drops it
 *
 * Surrogates are random, so expected values may be placeholders: `<pseudonym>` (any surrogate
 * that differs from the input value), `<pseudonym:NAME>` (the same surrogate wherever NAME is used,
 * different from any other NAME), `<any>` (any value, but present).
 *
 * Paths are dotted (`properties.$set.email`), with `[0]` or `.0` for array items, `["a.b"]` for a
 * key that holds a dot, `*` for any one key or item and `**` for any depth (not in `present`).
 *
 * Failures print `path: expected …, got …` with the values of the case's own output: test events
 * are fixtures, so write them with made-up identifiers, never real patient data. The vault is kept
 * in memory: running tests never writes identifiers to the real vault.
 * Exit codes: 0 all passed, 1 a case failed or a case file is invalid, 2 usage, 3 invalid config.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../config/load';
import { parseYamlFile } from '../config/yaml-file';
import { compilePlan } from '../engine/compile';
import type { Plan } from '../engine/plan';
import { scrubEvent } from '../engine/scrub';
import { ConfigError, formatIssue, PhiError } from '../errors';
import { EXIT, parse, UsageError } from './args';
import { configFileFrom, type Io } from './commands';

export const DEFAULT_TESTS_DIR = path.join('rules', 'tests');

const nonEmpty = z.string().min(1, 'must not be empty');
/** Any JSON value (one instance, so the editor schema defines it once). */
const json = z.json();

export const ruleTestCaseSchema = z
  .strictObject({
    name: nonEmpty,
    description: z.string().optional(),
    /** The event as an SDK would send it (any JSON value). */
    event: json,
    /** The whole scrubbed output; placeholders allowed. */
    expect: json.optional(),
    /** Paths that must not exist in the output. */
    absent: z.array(nonEmpty).optional(),
    /** Paths whose input value must not survive unchanged (removed, redacted, generalised or pseudonymised). */
    changed: z.array(nonEmpty).optional(),
    /** Paths that must exist in the output with exactly this value (placeholders allowed). */
    present: z.record(z.string(), json).optional(),
    /** Text that must not appear in any key or value of the output (case-insensitive). */
    not_contains: z.array(z.union([nonEmpty, z.number()])).optional(),
    /** true: the event cannot be scrubbed, so the proxy drops it. */
    dropped: z.boolean().optional(),
  })
  .refine(
    (c) =>
      c.expect !== undefined || c.absent !== undefined || c.changed !== undefined || c.present !== undefined ||
      c.not_contains !== undefined || c.dropped !== undefined,
    { message: 'a case needs at least one of expect, absent, changed, present, not_contains, dropped' },
  );

export const ruleTestFileSchema = z.array(ruleTestCaseSchema).min(1, 'a case file holds a list of cases');

export type RuleTestCase = z.infer<typeof ruleTestCaseSchema>;

// --- paths -----------------------------------------------------------------------------------

type Segment = string | number | { wildcard: '*' | '**' };

/** `a.b[0]["c.d"].*` → ['a', 'b', 0, 'c.d', {wildcard: '*'}]; numeric segments index arrays (or keys). */
export function parsePath(text: string): Segment[] {
  const segments: Segment[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new UsageError(`path "${text}": ${why}`);
  };
  while (i < text.length) {
    if (text[i] === '[') {
      const close = text.indexOf(']', i);
      if (close < 0) fail('unclosed [');
      const inner = text.slice(i + 1, close);
      if (/^\d+$/.test(inner)) segments.push(Number(inner));
      else if (/^"(?:[^"\\]|\\.)*"$/.test(inner)) segments.push(JSON.parse(inner) as string);
      else if (inner === '*') segments.push({ wildcard: '*' });
      else fail(`[${inner}] is neither an index nor a quoted key`);
      i = close + 1;
      if (text[i] === '.') i++;
      continue;
    }
    let end = i;
    while (end < text.length && text[end] !== '.' && text[end] !== '[') end++;
    const part = text.slice(i, end);
    if (part === '') fail('empty segment');
    segments.push(part === '*' || part === '**' ? { wildcard: part } : /^\d+$/.test(part) ? Number(part) : part);
    i = end;
    if (text[i] === '.') {
      i++;
      if (i === text.length) fail('ends with "."');
    }
  }
  if (segments.length === 0) fail('empty path');
  return segments;
}

type PathKey = string | number;

/** How a path is printed: dotted where that is unambiguous. */
export function showPath(keys: readonly PathKey[]): string {
  if (keys.length === 0) return '(root)';
  let out = '';
  for (const key of keys) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z0-9_$@-]+$/.test(key) && !/^\d+$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function children(value: unknown): [PathKey, unknown][] {
  if (Array.isArray(value)) return value.map((v, i) => [i, v]);
  if (isObject(value)) return Object.entries(value);
  return [];
}

function child(value: unknown, key: string | number): { found: boolean; value?: unknown } {
  if (Array.isArray(value) && typeof key === 'number') return key < value.length ? { found: true, value: value[key] } : { found: false };
  if (isObject(value) && Object.prototype.hasOwnProperty.call(value, String(key))) return { found: true, value: value[String(key)] };
  return { found: false };
}

interface Match {
  keys: PathKey[];
  value: unknown;
}

/** Every place `segments` reaches in `root`. */
export function resolvePath(root: unknown, segments: readonly Segment[]): Match[] {
  let current: Match[] = [{ keys: [], value: root }];
  for (const segment of segments) {
    const next: Match[] = [];
    for (const m of current) {
      if (typeof segment === 'object') {
        if (segment.wildcard === '**') {
          // Zero or more levels: m itself and every descendant.
          const stack: Match[] = [m];
          while (stack.length > 0) {
            const at = stack.pop()!;
            next.push(at);
            for (const [k, v] of children(at.value)) stack.push({ keys: [...at.keys, k], value: v });
          }
        } else {
          for (const [k, v] of children(m.value)) next.push({ keys: [...m.keys, k], value: v });
        }
        continue;
      }
      const c = child(m.value, segment);
      if (c.found) next.push({ keys: [...m.keys, segment], value: c.value });
      else if (typeof segment === 'number') {
        const asKey = child(m.value, String(segment));
        if (asKey.found) next.push({ keys: [...m.keys, String(segment)], value: asKey.value });
      }
    }
    current = next;
  }
  // `**` can reach one place by several routes; report each place once.
  const seen = new Set<string>();
  return current.filter((m) => {
    const id = JSON.stringify(m.keys);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function valueAt(root: unknown, keys: readonly PathKey[]): { found: boolean; value?: unknown } {
  let value: unknown = root;
  for (const key of keys) {
    const c = child(value, key);
    if (!c.found) return { found: false };
    value = c.value;
  }
  return { found: true, value };
}

// --- comparing with placeholders ----------------------------------------------------------------

/** Every surrogate shape phi-proxy mints: `tok_…` / `<keyid>_…` (vault, HMAC), UUIDs, 16 hex digits. */
const SURROGATE = /^(?:[A-Za-z0-9]{1,16}_[A-Za-z0-9_-]{20}|[0-9a-f]{8}-[0-9a-f]{4}-[47][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|[0-9a-f]{16})$/;
const PLACEHOLDER = /^<(pseudonym)(?::([A-Za-z0-9_.-]+))?>$|^<(any)>$/;

const MAX_SHOWN = 160;
const MAX_OUTPUT_SHOWN = 2000;

/** A value as printed in a diff (case fixtures only, never live traffic), shortened. */
function show(value: unknown, max = MAX_SHOWN): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

class Comparison {
  readonly problems: string[] = [];
  private readonly labels = new Map<string, { value: string; where: string }>();

  constructor(private readonly input: unknown) {}

  /** Compares `actual` at `keys` with `expected`, which may hold placeholders. */
  compare(expected: unknown, actual: unknown, keys: PathKey[], actualFound = true): void {
    const where = showPath(keys);
    if (typeof expected === 'string') {
      const placeholder = PLACEHOLDER.exec(expected);
      if (placeholder) {
        if (!actualFound) this.problems.push(`${where}: expected ${expected}, got (absent)`);
        else if (placeholder[3] === 'any') return;
        else this.pseudonym(placeholder[2], actual, keys);
        return;
      }
    }
    if (!actualFound) {
      this.problems.push(`${where}: expected ${show(expected)}, got (absent)`);
      return;
    }
    if (Array.isArray(expected) && Array.isArray(actual)) {
      const n = Math.max(expected.length, actual.length);
      for (let i = 0; i < n; i++) {
        if (i >= actual.length) this.problems.push(`${showPath([...keys, i])}: expected ${show(expected[i])}, got (absent)`);
        else if (i >= expected.length) this.problems.push(`${showPath([...keys, i])}: expected (absent), got ${show(actual[i])}`);
        else this.compare(expected[i], actual[i], [...keys, i]);
      }
      return;
    }
    if (isObject(expected) && isObject(actual)) {
      for (const [k, v] of Object.entries(expected)) {
        const has = Object.prototype.hasOwnProperty.call(actual, k);
        this.compare(v, has ? actual[k] : undefined, [...keys, k], has);
      }
      for (const k of Object.keys(actual)) {
        if (!Object.prototype.hasOwnProperty.call(expected, k)) this.problems.push(`${showPath([...keys, k])}: expected (absent), got ${show(actual[k])}`);
      }
      return;
    }
    if (!isDeepStrictEqual(expected, actual)) this.problems.push(`${where}: expected ${show(expected)}, got ${show(actual)}`);
  }

  private pseudonym(label: string | undefined, actual: unknown, keys: PathKey[]): void {
    const where = showPath(keys);
    const original = valueAt(this.input, keys);
    if (typeof actual !== 'string' || !SURROGATE.test(actual)) {
      this.problems.push(`${where}: expected a pseudonym, got ${show(actual)}`);
      return;
    }
    if (original.found && original.value === actual) {
      this.problems.push(`${where}: expected a pseudonym, got the input value unchanged`);
      return;
    }
    if (label === undefined) return;
    const bound = this.labels.get(label);
    if (bound === undefined) {
      for (const [other, b] of this.labels) {
        if (b.value === actual) this.problems.push(`${where}: <pseudonym:${label}> is the same surrogate as <pseudonym:${other}> at ${b.where}`);
      }
      this.labels.set(label, { value: actual, where });
    } else if (bound.value !== actual) {
      this.problems.push(`${where}: <pseudonym:${label}> differs from the one at ${bound.where} (${show(actual)} vs ${show(bound.value)})`);
    }
  }
}

/** Every key and string (and number) of a JSON value, for `not_contains`. */
function texts(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'number' || typeof value === 'boolean') out.push(String(value));
  else if (Array.isArray(value)) for (const v of value) texts(v, out);
  else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      texts(v, out);
    }
  }
  return out;
}

// --- running cases --------------------------------------------------------------------------

export interface CaseResult {
  name: string;
  /** `file:line` of the case. */
  where: string;
  problems: string[];
}

/** Runs one case against a compiled plan; an empty `problems` list means it passed. */
export function runCase(plan: Plan, testCase: RuleTestCase): string[] {
  const input = testCase.event;
  let output: unknown;
  try {
    output = scrubEvent(plan, structuredClone(input));
  } catch (err) {
    if (!(err instanceof PhiError)) throw err;
    return testCase.dropped === true ? [] : [`the event could not be scrubbed (the proxy would drop it): ${err.message}`];
  }
  if (testCase.dropped === true) return ['dropped: expected the event to be dropped, but it was scrubbed'];

  const problems: string[] = [];
  const cmp = new Comparison(input);
  /** Runs one check, prefixing what it found with the check's name. */
  const check = (name: string, run: () => void): void => {
    const before = cmp.problems.length;
    run();
    for (const p of cmp.problems.splice(before)) problems.push(`${name}: ${p}`);
  };

  if (testCase.expect !== undefined) check('expect', () => cmp.compare(testCase.expect, output, []));
  check('absent', () => {
    for (const p of testCase.absent ?? []) {
      for (const m of resolvePath(output, parsePath(p))) cmp.problems.push(`${showPath(m.keys)} should not exist, got ${show(m.value)}${p === showPath(m.keys) ? '' : ` (from ${p})`}`);
    }
  });
  check('changed', () => {
    for (const p of testCase.changed ?? []) {
      const before = resolvePath(input, parsePath(p));
      if (before.length === 0) cmp.problems.push(`${p} is not in the input event, so it cannot be checked for change`);
      for (const m of before) {
        const after = valueAt(output, m.keys);
        if (after.found && isDeepStrictEqual(after.value, m.value)) cmp.problems.push(`${showPath(m.keys)} should change, got the input value unchanged: ${show(after.value)}`);
      }
    }
  });
  check('present', () => {
    for (const [p, expected] of Object.entries(testCase.present ?? {})) {
      const segments = parsePath(p);
      if (segments.some((s) => typeof s === 'object')) throw new UsageError(`present: path "${p}" may not use * or **`);
      // Numeric segments index arrays, else name a key ("0"), as in resolvePath.
      const at = resolvePath(output, segments)[0];
      if (at === undefined) cmp.compare(expected, undefined, segments as PathKey[], false);
      else cmp.compare(expected, at.value, at.keys);
    }
  });
  check('not_contains', () => {
    if (testCase.not_contains === undefined) return;
    const all = texts(output).map((t) => t.toLowerCase());
    for (const needle of testCase.not_contains.map(String)) {
      if (all.some((t) => t.includes(needle.toLowerCase()))) cmp.problems.push(`the output contains ${JSON.stringify(needle)}`);
    }
  });
  if (problems.length > 0) problems.push(`output: ${show(output, MAX_OUTPUT_SHOWN)}`);
  return problems;
}

/** The case files under `target` (a file, or a directory searched recursively), sorted. */
function caseFiles(target: string): string[] {
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (stat === undefined) throw new UsageError(`${target}: no such file or directory`);
  if (stat.isFile()) return [target];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.ya?ml$/.test(entry.name)) out.push(full);
    }
  };
  walk(target);
  return out;
}

/** Loads and runs every case in `files`; invalid case files are reported on stderr and count as failures. */
export function runCaseFiles(plan: Plan, files: readonly string[], io: Io): { results: CaseResult[]; invalidFiles: number } {
  const results: CaseResult[] = [];
  let invalidFiles = 0;
  for (const file of files) {
    const shown = path.relative(process.cwd(), file) || file;
    const parsed = parseYamlFile(shown.startsWith('..') ? file : shown, fs.readFileSync(file, 'utf8'), ruleTestFileSchema);
    if (parsed.value === undefined) {
      invalidFiles++;
      io.stderr.write(`${parsed.file}: invalid case file\n`);
      for (const issue of parsed.issues) io.stderr.write(`  ${formatIssue(issue)}\n`);
      continue;
    }
    const names = new Set<string>();
    parsed.value.forEach((testCase, i) => {
      const at = parsed.issueAt([i], '');
      const where = `${at.file}:${at.line}`;
      const problems = names.has(testCase.name) ? [`duplicate case name in ${parsed.file}`] : [];
      names.add(testCase.name);
      try {
        problems.push(...runCase(plan, testCase));
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        problems.push(err.message);
      }
      results.push({ name: testCase.name, where, problems });
    });
  }
  return { results, invalidFiles };
}

export async function testCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { config: { type: 'string', short: 'c' }, quiet: { type: 'boolean', short: 'q' } });
  const targets = positionals.length > 0 ? positionals : [DEFAULT_TESTS_DIR];
  let plan: Plan;
  try {
    // In memory: test events must not grow the deployment's vault.
    plan = compilePlan(loadConfig(configFileFrom(values.config)), { inMemoryVault: true });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const line of err.message.split('\n')) io.stderr.write(`${line}\n`);
    return EXIT.invalidConfig;
  }
  const files = targets.flatMap(caseFiles);
  if (files.length === 0) throw new UsageError(`no case files (*.yaml) in ${targets.join(', ')}`);

  const { results, invalidFiles } = runCaseFiles(plan, files, io);
  let failed = 0;
  for (const r of results) {
    if (r.problems.length === 0) {
      if (!values.quiet) io.stdout.write(`ok    ${r.name}  (${r.where})\n`);
      continue;
    }
    failed++;
    io.stdout.write(`FAIL  ${r.name}  (${r.where})\n`);
    for (const p of r.problems) io.stdout.write(`        ${p}\n`);
  }
  const passed = results.length - failed;
  const invalid = invalidFiles > 0 ? `, ${invalidFiles} invalid case file${invalidFiles === 1 ? '' : 's'}` : '';
  io.stdout.write(`${passed} passed, ${failed} failed${invalid}\n`);
  return failed === 0 && invalidFiles === 0 ? EXIT.ok : EXIT.failed;
}
