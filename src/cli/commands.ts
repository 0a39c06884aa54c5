/** The CLI commands that use the engine directly: scrub, check, explain, quality. */
import type { Writable } from 'node:stream';
import { loadConfig } from '../config/load';
import { compilePlan, type CompileOptions } from '../engine/compile';
import type { Plan } from '../engine/plan';
import { scrubEvent, type Finding } from '../engine/scrub';
import { ConfigError, PhiError } from '../errors';
import { EXIT, parse, UsageError } from './args';
import { ChunkedOutput, parseJsonLine, readLines, writeOut } from './ndjson';
import { measureQuality, formatQualityReport } from './quality';

export interface Io {
  stdin: NodeJS.ReadableStream;
  stdout: Writable;
  stderr: Writable;
}

const FORMATS = ['posthog', 'segment'] as const;
type Format = (typeof FORMATS)[number];

/**
 * What a line must look like under `--format`: a PostHog event (`event` name) or capture batch,
 * a Segment event (`type` or `event`) or batch. Anything else is refused, not scrubbed on a guess.
 */
function matchesFormat(format: Format, value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.length > 0 && value.every((v) => matchesFormat(format, v));
  const o = value as Record<string, unknown>;
  if (Array.isArray(o.batch)) return o.batch.every((v) => matchesFormat(format, v));
  return format === 'posthog' ? typeof o.event === 'string' : typeof o.type === 'string' || typeof o.event === 'string';
}

/** `--config`, else `PHI_PROXY_CONFIG` (as containers set it), else the embedded default. */
export function configFileFrom(flag: string | undefined): string | undefined {
  return flag ?? (process.env.PHI_PROXY_CONFIG || undefined);
}

function compileOrReport(configFile: string | undefined, io: Io, options: CompileOptions): Plan | undefined {
  try {
    return compilePlan(loadConfig(configFileFrom(configFile)), options);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.message.split('\n')) io.stderr.write(`${line}\n`);
      return undefined;
    }
    throw err;
  }
}

const common = {
  config: { type: 'string', short: 'c' },
  format: { type: 'string', short: 'f' },
} as const;

function formatOption(value: string | undefined): Format | undefined {
  if (value === undefined) return undefined;
  if (!(FORMATS as readonly string[]).includes(value)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
  return value as Format;
}

/** Runs `each` for every line that parses (and fits --format); reports bad lines by number only. */
async function forEachEvent(
  file: string | undefined,
  format: Format | undefined,
  io: Io,
  each: (event: unknown, line: number) => Promise<void>,
): Promise<number> {
  const label = file === undefined || file === '-' ? 'stdin' : file;
  let failures = 0;
  for await (const { number, text } of readLines(file, io.stdin)) {
    if (text.trim() === '') continue;
    const parsed = parseJsonLine(text);
    if (!parsed.ok) {
      io.stderr.write(`${label}:${number}: ${parsed.reason}; line skipped\n`);
      failures++;
      continue;
    }
    if (format !== undefined && !matchesFormat(format, parsed.value)) {
      io.stderr.write(`${label}:${number}: not a ${format} event or batch; line skipped\n`);
      failures++;
      continue;
    }
    try {
      await each(parsed.value, number);
    } catch (err) {
      if (!(err instanceof PhiError)) throw err;
      io.stderr.write(`${label}:${number}: ${err.message}; event dropped\n`);
      failures++;
    }
  }
  return failures === 0 ? EXIT.ok : EXIT.failed;
}

export async function scrubCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, common);
  const format = formatOption(values.format);
  if (positionals.length > 1) throw new UsageError('scrub takes at most one input file');
  const plan = compileOrReport(values.config, io, {});
  if (plan === undefined) return EXIT.invalidConfig;
  const output = new ChunkedOutput(io.stdout);
  const code = await forEachEvent(positionals[0], format, io, async (event) => {
    const scrubbed = scrubEvent(plan, event);
    await output.write(JSON.stringify(scrubbed) + '\n');
  });
  await output.flush();
  return code;
}

export async function checkCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { config: common.config });
  if (positionals.length > 0) throw new UsageError('check takes no positional arguments (use --config FILE)');
  // An in-memory vault: checking a config must not create the vault file.
  const plan = compileOrReport(values.config, io, { inMemoryVault: true });
  if (plan === undefined) return EXIT.invalidConfig;
  const source = configFileFrom(values.config) ?? 'embedded default (rules/safe-harbor.yaml)';
  io.stdout.write(`ok: ${source}: ${plan.rules.length} rules, ${plan.detectorIds.length} detectors, mode ${plan.mode}\n`);
  return EXIT.ok;
}

function describe(finding: Finding): string {
  const result = finding.result === undefined ? '(removed)' : JSON.stringify(finding.result);
  const identifier = finding.identifier ? ` [${finding.identifier}]` : '';
  return `  ${finding.path || '(root)'}  ${finding.ruleId}${identifier}  ${finding.kind}/${finding.action} → ${result}`;
}

export async function explainCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { ...common, json: { type: 'boolean' } });
  const format = formatOption(values.format);
  if (positionals.length > 1) throw new UsageError('explain takes at most one input file');
  // Explaining must not write identifiers into the real vault: surrogates here are throwaway.
  const plan = compileOrReport(values.config, io, { inMemoryVault: true });
  if (plan === undefined) return EXIT.invalidConfig;
  return forEachEvent(positionals[0], format, io, async (event, line) => {
    const findings: Finding[] = [];
    scrubEvent(plan, event, { onFinding: (f) => findings.push(f) });
    if (values.json) {
      await writeOut(io.stdout, JSON.stringify({ line, changes: findings }) + '\n');
      return;
    }
    const body = findings.length === 0 ? '  no changes' : findings.map(describe).join('\n');
    await writeOut(io.stdout, `line ${line}: ${findings.length} change${findings.length === 1 ? '' : 's'}\n${body}\n`);
  });
}

export async function qualityCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { config: common.config, json: { type: 'boolean' } });
  if (positionals.length !== 1) throw new UsageError('quality takes one labelled NDJSON file');
  const plan = compileOrReport(values.config, io, { inMemoryVault: true });
  if (plan === undefined) return EXIT.invalidConfig;
  const report = await measureQuality(plan, positionals[0]!);
  io.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatQualityReport(report));
  return EXIT.ok;
}
