/**
 * JSON Schemas for editors (yaml-language-server, VS Code, JetBrains), generated from the zod
 * schemas the validator uses (./schema.ts), so an editor and `phi-proxy check` cannot disagree on
 * which keys exist. `phi-proxy schema --out schema/` writes them; the copies in schema/ are
 * checked in and a test keeps them in step with this generator.
 *
 * What JSON Schema cannot say is left to `phi-proxy check`: that a rule pack file exists, that a
 * detector id is known, that `method: hmac` needs `mode: expert_determination`, RE2 syntax.
 *
 * @example
 *   # first line of a rule pack, for yaml-language-server:
 *   # yaml-language-server: $schema=../schema/rules.schema.json
 */
import { z } from 'zod';
import { ruleTestFileSchema } from '../cli/test-rules';
import { configSchema, rulePackSchema } from './schema';

/** The files `phi-proxy schema --out DIR` writes, in this order. */
export const JSON_SCHEMA_FILES = ['config.schema.json', 'rules.schema.json', 'rule-tests.schema.json'] as const;
export type JsonSchemaFile = (typeof JSON_SCHEMA_FILES)[number];

type JsonObject = Record<string, unknown>;

/**
 * Draft-07: the draft every YAML/JSON editor plugin understands (yaml-language-server only
 * recently learned 2019-09 and 2020-12). Everything our schemas use (const, oneOf,
 * additionalProperties: false, patterns) exists in draft-07.
 */
function toJsonSchema(schema: z.ZodType, title: string, description: string): JsonObject {
  const generated = z.toJSONSchema(schema, {
    target: 'draft-7',
    io: 'input',
    unrepresentable: 'throw',
    override: (ctx) => {
      const node = ctx.jsonSchema as JsonObject;
      // z.url({ protocol: /^https?$/ }) becomes `format: uri`, which also allows ftp: and
      // mailto:; the pattern tells editors what the validator will say.
      if (node.format === 'uri' && node.pattern === undefined) node.pattern = '^[Hh][Tt][Tt][Pp][Ss]?://';
    },
  }) as JsonObject;
  const { $schema, ...rest } = generated;
  return { $schema, title, description, ...rest };
}

/** The JSON Schema of a phi-proxy config file (config.yaml). */
export function configJsonSchema(): JsonObject {
  return toJsonSchema(
    configSchema,
    'phi-proxy config',
    'phi-proxy configuration file (config.yaml). Every key is optional; config.example.yaml documents each one. Generated from src/config/schema.ts by `phi-proxy schema`; `phi-proxy check --config FILE` validates more (rule files exist, detector ids, mode rules).',
  );
}

/** The JSON Schema of a phi-proxy rule pack (rules/*.yaml). */
export function rulePackJsonSchema(): JsonObject {
  return toJsonSchema(
    rulePackSchema,
    'phi-proxy rule pack',
    'phi-proxy rule pack (rules/*.yaml): custom detectors and rules applied in order. Generated from src/config/schema.ts by `phi-proxy schema`; `phi-proxy check` validates more (detector ids, RE2 patterns, mode rules).',
  );
}

/** The JSON Schema of a rule test case file (rules/tests/*.yaml, run by `phi-proxy test`). */
export function ruleTestsJsonSchema(): JsonObject {
  return toJsonSchema(
    ruleTestFileSchema,
    'phi-proxy rule tests',
    'A list of rule test cases run by `phi-proxy test`: each scrubs `event` with the active config and checks the output (expect, absent, changed, present, not_contains, dropped). Expected values may be placeholders: <pseudonym>, <pseudonym:NAME>, <any>.',
  );
}

/** Each schema file's exact text (2-space JSON, final newline), as checked in under schema/. */
export function renderJsonSchemas(): Record<JsonSchemaFile, string> {
  const text = (schema: JsonObject): string => JSON.stringify(schema, null, 2) + '\n';
  return {
    'config.schema.json': text(configJsonSchema()),
    'rules.schema.json': text(rulePackJsonSchema()),
    'rule-tests.schema.json': text(ruleTestsJsonSchema()),
  };
}
