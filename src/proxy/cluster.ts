/**
 * `phi-proxy serve --workers N`: N worker processes (node:cluster) share one listening port. The
 * primary binds the port, hands connections to the workers round-robin, and does no scrubbing
 * itself. Each worker runs `phi-proxy serve` as one process would (its own inspection sink; the
 * token vault file is shared safely: append-only, first line for an identifier wins).
 *
 * - SIGTERM/SIGINT to the primary: every worker drains its in-flight requests and exits; the
 *   primary exits 0 when all exited 0 (1 otherwise, or after the drain timeout).
 * - A worker that dies is restarted, at most `maxRestarts` times in `restartWindowMs`; beyond
 *   that the primary stops the others and exits 1. A worker that fails before any worker ever
 *   listened (bad port, port in use) is not retried: the primary exits with its code.
 * - Logs are JSON lines like the single process's, with `"worker":<id>` (the primary's carry
 *   `"role":"primary"`).
 */
import cluster, { type Worker } from 'node:cluster';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { LogLevel } from './settings';

export interface ClusterOptions {
  readonly workers: number;
  /** Arguments of `phi-proxy serve` for each worker (the primary's own, unchanged). */
  readonly serveArgs: readonly string[];
  readonly logLevel: LogLevel;
  /** Where the primary logs (default: standard output; workers inherit the process's stdio). */
  readonly logDestination?: Writable;
  readonly maxRestarts?: number;
  readonly restartWindowMs?: number;
  /** How long workers may take to drain after SIGTERM before they are killed. */
  readonly drainTimeoutMs?: number;
}

/** The message a worker sends the primary once its proxy listens: `{ phiProxy: LISTENING, port }`. */
export const LISTENING = 'listening';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'phi-proxy.js');

/** The default number of workers: the cores this process may use. */
export function defaultWorkers(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** In a worker, once done: closes the IPC channel so the process can exit with its own code. */
export function leaveCluster(): void {
  if (cluster.isWorker && cluster.worker && process.connected) cluster.worker.disconnect();
}

/** This process's worker id inside a cluster, else undefined. */
export function workerId(): number | undefined {
  return cluster.isWorker && cluster.worker ? cluster.worker.id : undefined;
}

/**
 * A log destination that adds `"worker":<id>` to every JSON line a worker's logger writes
 * (pino writes one complete line per write).
 */
export function workerLogStream(out: Writable, id: number): Writable {
  const tag = `{"worker":${id},`;
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      out.write(text.startsWith('{') ? tag + text.slice(1) : text);
      callback();
    },
  });
}

/** In a worker: tells the primary that the proxy listens on `port`. */
export function announceListening(port: number): void {
  if (cluster.isWorker && process.send) process.send({ phiProxy: LISTENING, port });
}

/** Runs the primary until it is told to stop; resolves to the process exit code. */
export function runPrimary(options: ClusterOptions): Promise<number> {
  const maxRestarts = options.maxRestarts ?? 5;
  const windowMs = options.restartWindowMs ?? 60_000;
  const drainMs = options.drainTimeoutMs ?? 10_000;
  const logger = pino({ level: options.logLevel, base: { service: 'phi-proxy', role: 'primary', pid: process.pid } }, options.logDestination ?? process.stdout);

  cluster.setupPrimary({ exec: BIN, args: ['serve', ...options.serveArgs] });

  return new Promise<number>((resolve) => {
    const restarts: number[] = [];
    const listening = new Set<number>();
    let port: number | undefined;
    let everListened = false;
    let announced = false;
    let stopping = false;
    let exitCode = 0;

    const fork = (): Worker => {
      // A restarted worker listens exactly as the first did: with `--port 0` too, the primary hands
      // it the port its siblings hold (node shares the nth listen(0) of every worker).
      const worker = cluster.fork();
      worker.on('message', (message: unknown) => {
        const m = message as { phiProxy?: unknown; port?: unknown } | null;
        if (m && m.phiProxy === LISTENING && typeof m.port === 'number') onListening(worker, m.port);
      });
      logger.info({ worker: worker.id, workerPid: worker.process.pid }, 'worker started');
      return worker;
    };

    const finish = () => {
      if (Object.values(cluster.workers ?? {}).some((w) => w !== undefined && !w.isDead())) return;
      cluster.removeAllListeners('exit');
      logger.info({ exitCode }, 'stopped');
      resolve(exitCode);
    };

    const stop = (code: number, reason: string) => {
      if (stopping) return;
      stopping = true;
      exitCode = Math.max(exitCode, code);
      logger.info({ reason }, 'draining all workers');
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
      const force = setTimeout(() => {
        for (const worker of Object.values(cluster.workers ?? {})) {
          logger.error({ worker: worker?.id }, 'worker did not drain in time; killed');
          worker?.process.kill('SIGKILL');
        }
        exitCode = Math.max(exitCode, 1);
      }, drainMs + 2_000);
      force.unref();
      finish();
    };

    /** A worker's proxy is listening (its message, not cluster's 'listening': a worker also listens for its sink). */
    const onListening = (worker: Worker, workerPort: number) => {
      listening.add(worker.id);
      everListened = true;
      if (port !== undefined && port !== workerPort) logger.warn({ worker: worker.id, port: workerPort, was: port }, 'the port changed (port 0 and every worker had died)');
      port = workerPort;
      logger.info({ worker: worker.id, port: workerPort }, 'worker listening');
      if (!announced && listening.size >= options.workers) {
        announced = true;
        logger.info({ port, workers: options.workers }, 'phi-proxy cluster listening');
      }
    };

    cluster.on('exit', (worker, code, signal) => {
      const wasListening = listening.has(worker.id);
      listening.delete(worker.id);
      if (stopping) {
        // Told to stop before it had installed its handler (still starting): it had nothing in
        // flight, so dying by that SIGTERM is a clean stop, not a failure.
        const stoppedWhileStarting = code === null && signal === 'SIGTERM' && !wasListening;
        if (code !== 0 && !stoppedWhileStarting) exitCode = Math.max(exitCode, 1);
        logger.info({ worker: worker.id, code, signal }, 'worker exited');
        finish();
        return;
      }
      if (!everListened) {
        logger.error({ worker: worker.id, code, signal }, 'worker failed before listening; not retrying');
        stop(code && code > 0 ? code : 1, 'startup failure');
        return;
      }
      const now = Date.now();
      restarts.push(now);
      while (restarts.length > 0 && restarts[0]! <= now - windowMs) restarts.shift();
      if (restarts.length > maxRestarts) {
        logger.fatal({ worker: worker.id, code, signal, restarts: restarts.length, windowMs }, 'workers keep dying; giving up');
        stop(1, 'too many restarts');
        return;
      }
      logger.warn({ worker: worker.id, code, signal }, 'worker died; restarting');
      fork();
    });

    process.once('SIGTERM', () => stop(0, 'SIGTERM'));
    process.once('SIGINT', () => stop(0, 'SIGINT'));
    // Each worker reloads its own rules; the primary only passes SIGHUP on.
    process.on('SIGHUP', () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGHUP');
    });

    logger.info({ workers: options.workers }, 'starting workers');
    for (let i = 0; i < options.workers; i++) fork();
  });
}
