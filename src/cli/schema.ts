/**
 * `phi-proxy schema`: the JSON Schemas of the config file and of rule packs, for editors.
 *
 *   phi-proxy schema --out schema/          write schema/config.schema.json, rules.schema.json, rule-tests.schema.json
 *   phi-proxy schema --out schema/ --check  exit 1 if the files there differ from what would be written
 *   phi-proxy schema config|rules|rule-tests   print one schema to standard output
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JSON_SCHEMA_FILES, renderJsonSchemas } from '../config/json-schema';
import { EXIT, parse, UsageError } from './args';
import type { Io } from './commands';

export async function schemaCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { out: { type: 'string', short: 'o' }, check: { type: 'boolean' } });
  const rendered = renderJsonSchemas();

  if (values.out === undefined) {
    if (values.check) throw new UsageError('--check needs --out DIR');
    const which = positionals[0];
    if (positionals.length !== 1 || (which !== 'config' && which !== 'rules' && which !== 'rule-tests')) {
      throw new UsageError('use `schema --out DIR` to write every schema, or `schema config|rules|rule-tests` to print one');
    }
    io.stdout.write(rendered[`${which}.schema.json`]);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError('schema --out DIR takes no other arguments');

  const dir = values.out;
  if (values.check) {
    const stale = JSON_SCHEMA_FILES.filter((name) => {
      try {
        return fs.readFileSync(path.join(dir, name), 'utf8') !== rendered[name];
      } catch {
        return true;
      }
    });
    for (const name of stale) io.stderr.write(`${path.join(dir, name)}: out of date; run: phi-proxy schema --out ${dir}\n`);
    if (stale.length === 0) io.stdout.write(`ok: ${JSON_SCHEMA_FILES.map((n) => path.join(dir, n)).join(', ')} up to date\n`);
    return stale.length === 0 ? EXIT.ok : EXIT.failed;
  }

  fs.mkdirSync(dir, { recursive: true });
  for (const name of JSON_SCHEMA_FILES) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, rendered[name]);
    io.stdout.write(`wrote ${file}\n`);
  }
  return EXIT.ok;
}
