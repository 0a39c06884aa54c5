/** `phi-proxy <command>`: the command-line entry point. */
import { EXIT, UsageError } from './args';
import type { Io } from './commands';

const USAGE = `usage: phi-proxy <command> [options]

commands:
  serve   [--config FILE] [--upstream URL] [--port N] [--host H] [--format F] [--log-level L] [--workers N]
                                                  run the proxy (no upstream: the inspection sink prints events)
  scrub   [--config FILE] [--format posthog|segment] [FILE]   scrub NDJSON events (stdin by default)
  explain [--config FILE] [--format posthog|segment] [--json] [FILE]
                                                  show which rule changed which path, and how
  check   [--config FILE]                         validate the config and its rule files
  quality [--config FILE] [--json] FILE           recall and utility on a labelled NDJSON file
  test    [--config FILE] [--quiet] [DIR|FILE…]   run YAML rule test cases (default DIR: rules/tests)
  schema  --out DIR [--check]                     JSON Schemas of the config, rule packs and rule tests, for editors
  audit   verify FILE...                          check the audit trail's hash chain (files oldest first)

Without --config the embedded Safe Harbor pack (rules/safe-harbor.yaml) is used. For serve,
PHI_PROXY_CONFIG, PHI_PROXY_UPSTREAM, PHI_PROXY_PORT, PHI_PROXY_LOG_LEVEL and PHI_PROXY_WORKERS override the config file;
flags override both.
Exit codes: 0 ok, 1 some lines or events failed, 2 usage error, 3 invalid config.
`;

/**
 * Each command's module is loaded when it runs: `serve` pulls in the HTTP stack (express, the
 * proxy middleware, pino, prom-client), which cost `scrub` ~0.2 s of start-up for nothing.
 */
const COMMANDS: Record<string, (argv: string[], io: Io) => Promise<number>> = {
  serve: async (argv, io) => (await import('./serve')).serveCommand(argv, io),
  scrub: async (argv, io) => (await import('./commands')).scrubCommand(argv, io),
  explain: async (argv, io) => (await import('./commands')).explainCommand(argv, io),
  check: async (argv, io) => (await import('./commands')).checkCommand(argv, io),
  quality: async (argv, io) => (await import('./commands')).qualityCommand(argv, io),
  test: async (argv, io) => (await import('./test-rules')).testCommand(argv, io),
  schema: async (argv, io) => (await import('./schema')).schemaCommand(argv, io),
  audit: async (argv, io) => (await import('./audit')).auditCommand(argv, io),
};

export async function main(argv: string[], io: Io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (run === undefined) {
    io.stderr.write(`phi-proxy: unknown command "${command}"\n${USAGE}`);
    return EXIT.usage;
  }
  try {
    return await run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`phi-proxy ${command}: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
}
