/** Parses a YAML file against a zod schema, keeping positions so every issue names its line. */
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Node } from 'yaml';
import type { z } from 'zod';
import type { ConfigIssue } from '../errors';

export type YamlPath = readonly (string | number)[];

export interface ParsedYaml<T> {
  file: string;
  /** Undefined when `issues` is not empty. */
  value: T | undefined;
  issues: ConfigIssue[];
  /** Issue at the YAML node for `path` (or the nearest ancestor that exists). */
  issueAt(path: YamlPath, message: string): ConfigIssue;
}

export function parseYamlFile<S extends z.ZodType>(file: string, text: string, schema: S): ParsedYaml<z.infer<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });

  const at = (offset: number, message: string): ConfigIssue => {
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, column: pos.col, message };
  };
  const issueAt = (path: YamlPath, message: string): ConfigIssue => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as Node | undefined;
      if (node && node.range) return at(node.range[0], message);
    }
    return { file, line: 1, column: 1, message };
  };
  /** The key node of `key` in the map at `path`: an unknown key is reported where it is written. */
  const keyIssue = (path: YamlPath, key: string, message: string): ConfigIssue => {
    const node = path.length === 0 ? doc.contents : doc.getIn(path, true);
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isPair(pair) && isScalar(pair.key) && String(pair.key.value) === key && pair.key.range) {
          return at(pair.key.range[0], message);
        }
      }
    }
    return issueAt(path, message);
  };

  const syntax = [...doc.errors, ...doc.warnings].map((e) => at(e.pos[0], e.message.split('\n')[0] ?? e.message));
  if (doc.errors.length > 0) return { file, value: undefined, issues: syntax, issueAt };

  const result = schema.safeParse(doc.toJS({ maxAliasCount: 100 }) ?? {});
  if (result.success) return { file, value: result.data, issues: [], issueAt };

  const issues: ConfigIssue[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) issues.push(keyIssue(path, key, `unknown key "${key}"`));
    } else {
      const where = path.length > 0 ? `${path.join('.')}: ` : '';
      issues.push(issueAt(path, `${where}${issue.message}`));
    }
  }
  issues.sort((a, b) => a.line - b.line || a.column - b.column);
  return { file, value: undefined, issues, issueAt };
}
