/**
 * `*` globs matched in linear time. Rule files name keys with globs (`*home*address*`), and a
 * client controls the keys: as a JS RegExp, `^.*home.*address.*$` backtracks polynomially on a
 * long key (a 160 KB key stalled the event loop for seconds). Here each literal piece is found
 * with indexOf, leftmost first, which is correct for `*`-only globs and never backtracks.
 */
export interface Matcher {
  test(text: string): boolean;
}

/** One glob: literal pieces between `*`s. */
class Glob implements Matcher {
  private readonly first: string;
  private readonly last: string;
  private readonly middle: readonly string[];
  private readonly minLength: number;

  constructor(pieces: readonly string[]) {
    this.first = pieces[0]!;
    this.last = pieces[pieces.length - 1]!;
    this.middle = pieces.slice(1, -1).filter((p) => p !== '');
    this.minLength = pieces.reduce((n, p) => n + p.length, 0);
  }

  test(text: string): boolean {
    if (text.length < this.minLength || !text.startsWith(this.first) || !text.endsWith(this.last)) return false;
    let at = this.first.length;
    const end = text.length - this.last.length;
    for (const piece of this.middle) {
      const found = text.indexOf(piece, at);
      if (found < 0 || found + piece.length > end) return false;
      at = found + piece.length;
    }
    return true;
  }
}

class Literal implements Matcher {
  constructor(private readonly value: string) {}
  test(text: string): boolean {
    return text === this.value;
  }
}

class AnyOf implements Matcher {
  constructor(private readonly alternatives: readonly Matcher[]) {}
  test(text: string): boolean {
    for (const m of this.alternatives) if (m.test(text)) return true;
    return false;
  }
}

const NOTHING: Matcher = Object.freeze({ test: () => false });

/**
 * A matcher for any of `globs` (each with `*` for any characters, nothing else special).
 * `caseInsensitive` lower-cases the globs here and the text at each test.
 */
export function compileGlobs(globs: readonly string[], caseInsensitive = false): Matcher {
  const matchers = globs.map((g) => {
    const glob = caseInsensitive ? g.toLowerCase() : g;
    return glob.includes('*') ? new Glob(glob.split('*')) : new Literal(glob);
  });
  const one = matchers.length === 0 ? NOTHING : matchers.length === 1 ? matchers[0]! : new AnyOf(matchers);
  if (!caseInsensitive) return one;
  return { test: (text) => one.test(text.toLowerCase()) };
}
