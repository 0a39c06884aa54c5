/**
 * User-defined detectors: a named pattern from a rule pack, run by RE2 (linear time), so no
 * pattern a user writes can stall the event loop with catastrophic backtracking. RE2 refuses
 * backreferences and lookaround at compile time, which `phi-proxy check` reports.
 */
import RE2 from 're2';
import type { CustomDetectorSpec } from '../config/schema';
import type { Detector, SafeHarborLetter, Span } from './types';

/** How far before a match a context keyword may stand. */
const CONTEXT_WINDOW = 40;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compiles a custom detector; throws with RE2's reason when the pattern is invalid. */
export function customDetector(spec: CustomDetectorSpec): Detector {
  const pattern = new RE2(spec.pattern, `g${spec.flags ?? ''}u`);
  const context = spec.context && spec.context.length > 0
    ? new RE2(`(?:${spec.context.map(escapeRegex).join('|')})`, 'iu')
    : undefined;
  const letter: SafeHarborLetter = spec.identifier ?? 'R';
  return {
    id: spec.id,
    letter,
    kind: 'other',
    marker: spec.marker ?? `[${spec.id.toUpperCase()}]`,
    prefilter: () => true,
    find(value) {
      const spans: Span[] = [];
      pattern.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = pattern.exec(value)) !== null) {
        if (m[0].length === 0) { pattern.lastIndex++; continue; }
        if (context === undefined || context.test(value.slice(Math.max(0, m.index - CONTEXT_WINDOW), m.index))) {
          spans.push({ start: m.index, end: m.index + m[0].length, kind: 'other' });
        }
      }
      return spans;
    },
  };
}
