/**
 * `phi-proxy serve`: run the proxy until SIGTERM/SIGINT, then drain in-flight requests and exit 0.
 * `--workers N` (or PHI_PROXY_WORKERS; default: the number of cores) runs N worker processes on
 * one port (src/proxy/cluster.ts); 1 runs the proxy in this process.
 */
import cluster from 'node:cluster';
import * as v8 from 'node:v8';
import { loadConfig } from '../config/load';
import { ConfigError } from '../errors';
import { FORMAT_NAMES } from '../formats/index';
import { announceListening, defaultWorkers, leaveCluster, runPrimary, shareMetricsWithPrimary, workerId, workerLogStream } from '../proxy/cluster';
import { startProxy } from '../proxy/server';
import { envOverrides, resolveSettings, type FormatName, type LogLevel, type Overrides } from '../proxy/settings';
import { EXIT, parse, UsageError } from './args';
import { configFileFrom, type Io } from './commands';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * V8 lets the old generation grow to several times what survived the last full GC before it
 * collects again. A request's objects live across a few young-generation GCs while it waits for
 * the upstream, so they are promoted, and under load the old space filled with that garbage to
 * ~65 MB while ~25 MB was live: peak RSS 145-200 MB per worker. Growing 20% at a time keeps it at
 * ~130 MB for 6-8 full GCs per 8 s of full load instead of 1 (~50 ms of pauses, under 1% of the
 * thread, plus concurrent marking): bench/README.md.
 * Only for `serve`: a process that embeds the library keeps its own settings, as does a node
 * started with `--heap-growing-percent`.
 */
const HEAP_GROWING_PERCENT = 20;
function boundHeapGrowth(): void {
  if (process.execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) return;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

export async function serveCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    config: { type: 'string', short: 'c' },
    upstream: { type: 'string' },
    port: { type: 'string', short: 'p' },
    host: { type: 'string' },
    format: { type: 'string', short: 'f' },
    'log-level': { type: 'string' },
    workers: { type: 'string', short: 'w' },
  });
  if (positionals.length > 0) throw new UsageError('serve takes no positional arguments');
  boundHeapGrowth();
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
  const workersText = values.workers ?? process.env.PHI_PROXY_WORKERS;
  let workers = defaultWorkers();
  if (workersText !== undefined && workersText !== '') {
    workers = Number(workersText);
    if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new UsageError('--workers must be a whole number from 1 to 256');
  }

  const configFile = configFileFrom(values.config);
  if (workers > 1 && cluster.isPrimary) {
    let logLevel: LogLevel;
    try {
      // Refuse a bad config here, once, rather than in every worker.
      logLevel = resolveSettings(loadConfig(configFile), envOverrides(process.env), overrides).logLevel;
    } catch (err) {
      if (err instanceof ConfigError) {
        for (const line of err.message.split('\n')) io.stderr.write(`${line}\n`);
        return EXIT.invalidConfig;
      }
      throw err;
    }
    return runPrimary({ workers, serveArgs: argv, logLevel, logDestination: io.stdout, drainTimeoutMs: DRAIN_TIMEOUT_MS });
  }
  const worker = workerId();
  if (worker === undefined) return serveHere(configFile, overrides, io, undefined);
  // GET /metrics shows the whole cluster (startProxy counts in prom-client's global registry).
  shareMetricsWithPrimary();
  try {
    return await serveHere(configFile, overrides, io, worker);
  } finally {
    // A cluster worker's IPC channel would keep it alive: let go of it once done.
    leaveCluster();
  }
}

/** Runs the proxy in this process (alone, or as cluster worker `worker`) until SIGTERM/SIGINT. */
async function serveHere(configFile: string | undefined, overrides: Overrides, io: Io, worker: number | undefined): Promise<number> {
  let proxy;
  try {
    const logDestination = worker !== undefined ? workerLogStream(io.stdout, worker) : io.stdout;
    proxy = await startProxy({ configFile, overrides, sinkOutput: io.stdout, logDestination, watch: true });
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
  if (worker !== undefined) announceListening(running.port);
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
    // SIGHUP: re-read config and rules (file changes are picked up by themselves too).
    const reload = () => running.reload('SIGHUP');
    process.on('SIGHUP', reload);
  });
}
