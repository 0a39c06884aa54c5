/**
 * Key patterns and path globs, compiled once. Key patterns compare against normalised property
 * names (`firstName`, `first-name`, `$first_name` are all `first_name`); path globs compare each
 * segment case-insensitively against the raw property name.
 */
import { normalizeKey } from '../detectors/util';
import { compileGlobs, type Matcher } from './glob';

/** Normalises the literal parts of a key pattern the way keys are normalised, keeping `*` as a glob. */
function normalizedKeyGlob(alternative: string): string {
  return alternative
    .split('*')
    .map((piece) => piece.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().replace(/[^a-z0-9]+/g, '_'))
    .join('*')
    .replace(/^_+|_+$/g, '');
}

/** `first_name`, `firstName`, `FIRSTNAME`, `first-name` and `firstname` all collapse to `firstname`. */
export function collapseKey(normalized: string): string {
  return normalized.includes('_') ? normalized.replace(/_/g, '') : normalized;
}

/** Tests a property name, given normalised (`first_name`) and collapsed (`firstname`). */
export interface KeyMatcher {
  test(normalized: string, collapsed: string): boolean;
}

/**
 * `['first_name|last_name', '*_email']` → a matcher. Literal names compare collapsed, so keys
 * written without separators (`subscriberid`, `dateofbirth`) still match; globs compare the
 * normalised form, so `*_ip` keeps its word boundary and never matches `zip`.
 * Returns undefined for an empty list.
 */
export function compileKeyPatterns(patterns: readonly string[]): KeyMatcher | undefined {
  const alternatives = patterns.flatMap((p) => p.split('|')).map((a) => a.trim()).filter((a) => a !== '');
  if (alternatives.length === 0) return undefined;
  const literals = new Set(alternatives.filter((a) => !a.includes('*')).map((a) => collapseKey(normalizeKey(a))));
  const globs = alternatives.filter((a) => a.includes('*'));
  // Linear-time globs: keys come from clients, and a backtracking RegExp stalls on a long one.
  const globMatcher = globs.length > 0 ? compileGlobs(globs.map(normalizedKeyGlob)) : undefined;
  return { test: (normalized, collapsed) => literals.has(collapsed) || (globMatcher !== undefined && globMatcher.test(normalized)) };
}

/**
 * `**` matches any number of segments (including none); any other segment is one key glob,
 * with `|` between alternatives (`traits|$set`) and `*` for any characters.
 */
export type PathSegment = { anyDepth: true } | { anyDepth: false; re: Matcher };

export function compilePathGlob(glob: string): PathSegment[] {
  return glob.split('.').map((segment): PathSegment => {
    if (segment === '**') return { anyDepth: true };
    // `traits|$set` in one segment: either name.
    return { anyDepth: false, re: compileGlobs(segment.split('|'), true) };
  });
}

/** True when the glob is `**.<one segment>`, which is just a key match anywhere. */
export function isAnywhereKeyGlob(glob: string): boolean {
  const segments = glob.split('.');
  return segments.length === 2 && segments[0] === '**' && segments[1] !== '**';
}

/**
 * `**.a.b`: a key glob under given parents at any depth ("b under a"). Matched from the key
 * upwards instead of by the NFA, so it costs nothing at nodes whose key is not `b`.
 */
export function isSuffixGlob(glob: string): boolean {
  const segments = glob.split('.');
  return segments.length >= 3 && segments[0] === '**' && !segments.slice(1).includes('**');
}

/** The segments of a suffix glob after `**`, as regexes (last = the key itself). */
export function compileSuffixGlob(glob: string): Matcher[] {
  return compilePathGlob(glob.split('.').slice(1).join('.')).map((segment) => (segment as { re: Matcher }).re);
}

/**
 * True when the keys above the current one (`ancestors`, root first; array indices are
 * skipped, arrays being transparent) end with the suffix's leading segments.
 */
export function suffixMatches(segments: readonly Matcher[], ancestors: readonly (string | number)[]): boolean {
  let a = ancestors.length - 1;
  for (let s = segments.length - 2; s >= 0; s--) {
    while (a >= 0 && typeof ancestors[a] === 'number') a--;
    if (a < 0 || !segments[s]!.test(ancestors[a] as string)) return false;
    a--;
  }
  return true;
}

/**
 * A set of path globs run as one NFA while the engine walks an event. A state is
 * `pattern * 256 + segment index`; the walk carries the states active at each node.
 */
export class PathMatcher {
  private readonly patterns: PathSegment[][];
  /** rule index owning each pattern */
  private readonly owners: number[];
  readonly initial: readonly number[];

  constructor(globs: readonly { glob: string; rule: number }[]) {
    this.patterns = globs.map((g) => compilePathGlob(g.glob));
    this.owners = globs.map((g) => g.rule);
    this.initial = Object.freeze(this.closure(this.patterns.map((_, p) => p * 256)));
    for (const p of this.patterns) if (p.length > 255) throw new Error('path glob longer than 255 segments');
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** Adds the states reachable by letting `**` match zero segments. */
  private closure(states: number[]): number[] {
    for (let i = 0; i < states.length; i++) {
      const s = states[i]!;
      const segments = this.patterns[s >> 8]!;
      const seg = segments[s & 255];
      if (seg !== undefined && seg.anyDepth && !states.includes(s + 1)) states.push(s + 1);
    }
    return states;
  }

  /**
   * States after descending into `key`, and the rules whose glob ends exactly at this node
   * (appended to `matched`). Returns the shared empty array when nothing is active.
   */
  step(states: readonly number[], key: string, matched: number[]): readonly number[] {
    if (states.length === 0) return states;
    const next: number[] = [];
    for (const s of states) {
      const p = s >> 8;
      const i = s & 255;
      const segments = this.patterns[p]!;
      const seg = segments[i];
      if (seg === undefined) continue;
      if (seg.anyDepth) {
        if (!next.includes(s)) next.push(s); // `**` swallows this key too
      } else if (seg.re.test(key) && !next.includes(s + 1)) {
        next.push(s + 1);
      }
    }
    this.closure(next);
    for (const s of next) {
      if ((s & 255) === this.patterns[s >> 8]!.length && !matched.includes(this.owners[s >> 8]!)) {
        matched.push(this.owners[s >> 8]!);
      }
    }
    return next.length === 0 ? EMPTY : next;
  }
}

const EMPTY: readonly number[] = Object.freeze([]);

export { normalizeKey };
