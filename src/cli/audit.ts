/**
 * `phi-proxy audit verify FILE...`: walks the audit trail's hash chain through the files, in the
 * order given (oldest first: `audit.jsonl.* audit.jsonl`), and prints `ok` or the first broken
 * line as `file:line: reason` (exit 1).
 */
import { verifyAuditFiles } from '../observability/audit';
import { EXIT, parse, UsageError } from './args';
import type { Io } from './commands';

export async function auditCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'verify') throw new UsageError('usage: phi-proxy audit verify FILE... (oldest first)');
  const { positionals } = parse(rest, {});
  if (positionals.length === 0) throw new UsageError('audit verify needs at least one file');
  const result = verifyAuditFiles(positionals);
  if (!result.ok) {
    const e = result.error!;
    io.stdout.write(`${e.file}:${e.line}: ${e.message}\n`);
    return EXIT.failed;
  }
  io.stdout.write(`ok: ${result.lines} lines in ${result.files} file${result.files === 1 ? '' : 's'}, chain intact (last hash ${result.lastHash})\n`);
  return EXIT.ok;
}
