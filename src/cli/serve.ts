/** `phi-proxy serve`: run the proxy until SIGTERM/SIGINT, then drain in-flight requests and exit 0. */
import { ConfigError } from '../errors';
import { FORMAT_NAMES } from '../formats/index';
import { startProxy } from '../proxy/server';
import type { FormatName, LogLevel, Overrides } from '../proxy/settings';
import { EXIT, parse, UsageError } from './args';
import { configFileFrom, type Io } from './commands';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const DRAIN_TIMEOUT_MS = 10_000;

export async function serveCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    config: { type: 'string', short: 'c' },
    upstream: { type: 'string' },
    port: { type: 'string', short: 'p' },
    host: { type: 'string' },
    format: { type: 'string', short: 'f' },
    'log-level': { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError('serve takes no positional arguments');
  const overrides: Overrides = {};
  if (values.upstream !== undefined) {
    if (!/^https?:\/\/[^\s]+$/.test(values.upstream)) throw new UsageError('--upstream must be an http(s) URL');
    overrides.upstream = values.upstream.replace(/\/+$/, '');
  }
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a port number');
    overrides.port = port;
  }
  if (values.host !== undefined) overrides.host = values.host;
  if (values.format !== undefined) {
    if (!FORMAT_NAMES.includes(values.format)) throw new UsageError(`--format must be one of ${FORMAT_NAMES.join(', ')}`);
    overrides.format = values.format as FormatName;
  }
  const level = values['log-level'] ?? process.env.PHI_PROXY_LOG_LEVEL;
  if (level !== undefined) {
    if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
    overrides.logLevel = level as LogLevel;
  }

  let proxy;
  try {
    proxy = await startProxy({ configFile: configFileFrom(values.config), overrides, sinkOutput: io.stdout, logDestination: io.stdout });
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.message.split('\n')) io.stderr.write(`${line}\n`);
      return EXIT.invalidConfig;
    }
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      io.stderr.write('phi-proxy serve: the port is already in use\n');
      return EXIT.failed;
    }
    throw err;
  }
  const running = proxy;
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      const force = setTimeout(() => resolve(EXIT.failed), DRAIN_TIMEOUT_MS);
      force.unref();
      void running.close().then(() => {
        clearTimeout(force);
        resolve(EXIT.ok);
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
