/**
 * Recall and utility of a rule set on a labelled NDJSON file: each line holds an `event`, the
 * identifiers `planted` in it (`{letter, value}`) and `benign` values (`{path, value}`) that
 * must come out unchanged. `phi-proxy quality FILE` prints the table per Safe Harbor letter.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Plan } from '../engine/plan';
import { scrubEvent } from '../engine/scrub';
import { PhiError } from '../errors';
import { parseJsonLine, readLines } from './ndjson';

interface Planted {
  letter: string;
  value: string;
  /** Where the value was planted; when given, only those fields are searched (a short value
   * such as an age could otherwise turn up by chance inside a random surrogate elsewhere). */
  paths?: (string | number)[][];
}
interface Benign { path: (string | number)[]; value: unknown }
interface LabelledCase { id: string; event: unknown; planted?: Planted[]; benign?: Benign[] }

export interface KindScore { planted: number; removed: number; recall: number }
export interface QualityReport {
  events: number;
  /** Events the engine refused (counted as fully removed: nothing of them would be forwarded). */
  refused: number;
  recall: Record<string, KindScore>;
  overallRecall: number;
  benign: number;
  unchanged: number;
  utility: number;
  /** Case ids and letters of planted values that survived (values are not printed). */
  misses: { id: string; letter: string }[];
  /** Case ids and paths of benign values that changed. */
  damaged: { id: string; path: string }[];
}

/** A planted value survives if it appears as written, percent-encoded or form-encoded. */
function survives(serialized: string, value: string): boolean {
  const lower = serialized.toLowerCase();
  const forms = [value, encodeURIComponent(value), encodeURIComponent(value).replace(/%20/g, '+'), JSON.stringify(value).slice(1, -1)];
  return forms.some((form) => form !== '' && lower.includes(form.toLowerCase()));
}

function valueAt(root: unknown, path: (string | number)[]): unknown {
  let node = root;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[part];
  }
  return node;
}

export async function measureQuality(plan: Plan, file: string): Promise<QualityReport> {
  const recall: Record<string, KindScore> = {};
  const report: QualityReport = { events: 0, refused: 0, recall, overallRecall: 0, benign: 0, unchanged: 0, utility: 0, misses: [], damaged: [] };
  for await (const { number, text } of readLines(file, process.stdin)) {
    if (text.trim() === '') continue;
    const parsed = parseJsonLine(text);
    if (!parsed.ok) throw new Error(`${file}:${number}: ${parsed.reason}`);
    const labelled = parsed.value as LabelledCase;
    report.events++;
    let scrubbed: unknown;
    try {
      scrubbed = scrubEvent(plan, structuredClone(labelled.event));
    } catch (err) {
      if (!(err instanceof PhiError)) throw err;
      report.refused++;
      scrubbed = undefined;
    }
    const serialized = scrubbed === undefined ? '' : JSON.stringify(scrubbed);
    for (const { letter, value, paths } of labelled.planted ?? []) {
      const score = (recall[letter] ??= { planted: 0, removed: 0, recall: 0 });
      score.planted++;
      const where = paths && paths.length > 0 && scrubbed !== undefined
        ? paths.map((p) => JSON.stringify(valueAt(scrubbed, p)) ?? '').join('\n')
        : serialized;
      if (survives(where, value)) report.misses.push({ id: labelled.id, letter });
      else score.removed++;
    }
    for (const { path, value } of labelled.benign ?? []) {
      report.benign++;
      if (scrubbed !== undefined && isDeepStrictEqual(valueAt(scrubbed, path), value)) report.unchanged++;
      else report.damaged.push({ id: labelled.id, path: path.join('.') });
    }
  }
  let planted = 0;
  let removed = 0;
  for (const score of Object.values(recall)) {
    score.recall = score.planted === 0 ? 1 : score.removed / score.planted;
    planted += score.planted;
    removed += score.removed;
  }
  report.overallRecall = planted === 0 ? 1 : removed / planted;
  report.utility = report.benign === 0 ? 1 : report.unchanged / report.benign;
  return report;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

export function formatQualityReport(report: QualityReport): string {
  const lines = [`events: ${report.events} (refused: ${report.refused})`, '', 'kind  planted  removed  recall'];
  for (const letter of Object.keys(report.recall).sort()) {
    const s = report.recall[letter]!;
    lines.push(`${letter.padEnd(4)}  ${String(s.planted).padStart(7)}  ${String(s.removed).padStart(7)}  ${pct(s.recall).padStart(6)}`);
  }
  lines.push(`all   ${' '.repeat(7)}  ${' '.repeat(7)}  ${pct(report.overallRecall).padStart(6)}`, '');
  lines.push(`utility: ${report.unchanged}/${report.benign} benign values unchanged (${pct(report.utility)})`);
  if (report.misses.length > 0) lines.push('', 'planted values that survived (case id, kind):', ...report.misses.map((m) => `  ${m.id} ${m.letter}`));
  if (report.damaged.length > 0) lines.push('', 'benign values that changed (case id, path):', ...report.damaged.map((d) => `  ${d.id} ${d.path}`));
  return lines.join('\n') + '\n';
}
