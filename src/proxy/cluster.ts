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
 * - `GET /metrics` shows the whole cluster: the worker that is scraped asks the primary, the
 *   primary asks every listening worker for its registry (as JSON), adds them up with prom-client's
 *   `AggregatorRegistry.aggregate` and replies with the text. A worker that does not answer within
 *   `metricsTimeoutMs` is counted from its previous answer (so counters never go backwards) and
 *   the scrape is not held up; a worker that exits leaves its counters and histograms behind, so
 *   cluster totals stay monotonic across restarts. `phi_proxy_cluster_workers{state}` says how
 *   many workers answered. If the primary itself does not answer, the scrape fails (500).
 */
import cluster, { type Worker } from 'node:cluster';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { register as defaultRegistry, type Registry } from 'prom-client';
import { clusterMetricsText, mergeSnapshots, ProxyMetrics, retiredPart, type MetricsSnapshot } from '../observability/metrics';
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
  /** How long a scrape of `/metrics` waits for the workers' answers (default METRICS_TIMEOUT_MS). */
  readonly metricsTimeoutMs?: number;
}

/** The message a worker sends the primary once its proxy listens: `{ phiProxy: LISTENING, port }`. */
export const LISTENING = 'listening';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'phi-proxy.js');

/**
 * Cluster-wide `/metrics`, over the IPC channel (every message carries `phiProxy`, like LISTENING):
 * worker → primary `METRICS_REQUEST {id}`; primary → each listening worker `METRICS_COLLECT {id}`;
 * worker → primary `METRICS_SNAPSHOT {id, metrics}`; primary → asking worker `METRICS_REPLY {id, text | error}`.
 */
const METRICS_REQUEST = 'metrics-request';
const METRICS_COLLECT = 'metrics-collect';
const METRICS_SNAPSHOT = 'metrics-snapshot';
const METRICS_REPLY = 'metrics-reply';
/** Well inside Prometheus' default scrape timeout (10 s); a worker answers in milliseconds. */
export const METRICS_TIMEOUT_MS = 1_500;
/** How much longer than the primary a worker waits for the primary's reply. */
const METRICS_REPLY_MARGIN_MS = 1_000;

interface Message {
  phiProxy?: unknown;
  id?: unknown;
  port?: unknown;
  metrics?: unknown;
  text?: unknown;
  error?: unknown;
}

/**
 * In a cluster worker: answer the primary's requests for `registry`'s metrics (the registry the
 * proxy counts in: prom-client's global one, which `startProxy` uses by default), and serve
 * `GET /metrics` from the whole cluster. Outside a cluster worker it does nothing.
 */
export function shareMetricsWithPrimary(registry: Registry = defaultRegistry, timeoutMs = METRICS_TIMEOUT_MS): void {
  if (!cluster.isWorker || !process.send) return;
  const send = (message: object) => {
    if (process.connected) process.send!(message, undefined, {}, () => {}); // a closed channel is the primary's 'exit', not ours
  };
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    const m = message as Message | null;
    if (m?.phiProxy === METRICS_COLLECT && typeof m.id === 'number') {
      const id = m.id;
      registry.getMetricsAsJSON().then(
        (metrics) => send({ phiProxy: METRICS_SNAPSHOT, id, metrics }),
        () => send({ phiProxy: METRICS_SNAPSHOT, id, metrics: null }),
      );
    } else if (m?.phiProxy === METRICS_REPLY && typeof m.id === 'number') {
      const w = waiting.get(m.id);
      if (w === undefined) return; // answered too late: the scrape already failed
      waiting.delete(m.id);
      clearTimeout(w.timer);
      if (typeof m.text === 'string') w.resolve(m.text);
      else w.reject(new Error('cluster metrics unavailable'));
    }
  });
  ProxyMetrics.for(registry).serveFrom(function clusterMetrics() {
    return new Promise<string>((resolve, reject) => {
      if (!process.connected) return reject(new Error('cluster metrics unavailable: no primary'));
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('cluster metrics unavailable: the primary did not answer'));
      }, timeoutMs + METRICS_REPLY_MARGIN_MS);
      timer.unref();
      waiting.set(id, { resolve, reject, timer });
      send({ phiProxy: METRICS_REQUEST, id });
    });
  });
}

/** One scrape in the primary: who asked, and whose answers are still outstanding. */
interface Collection {
  readonly asker: Worker;
  readonly requestId: number;
  readonly waiting: Set<number>;
  readonly fresh: MetricsSnapshot[];
  timer: NodeJS.Timeout | undefined;
}

/**
 * The primary's half of cluster-wide `/metrics`. It keeps each worker's last answer (used when
 * that worker is slow) and the counters of workers that exited (so totals never go backwards).
 */
class MetricsGatherer {
  private readonly last = new Map<number, MetricsSnapshot>();
  private retired: MetricsSnapshot[] = [];
  private merging = false;
  private readonly collections = new Map<number, Collection>();
  private nextId = 0;

  constructor(private readonly timeoutMs: number, private readonly workers: () => Worker[], private readonly onError: (err: unknown) => void) {}

  /** `asker` was scraped: ask every listening worker, reply when all answered or at the deadline. */
  request(asker: Worker, requestId: number): void {
    const id = this.nextId++;
    const c: Collection = { asker, requestId, waiting: new Set(), fresh: [], timer: undefined };
    this.collections.set(id, c);
    for (const worker of this.workers()) {
      c.waiting.add(worker.id);
      // A channel that just closed: the worker is exiting, so do not wait for it.
      worker.send({ phiProxy: METRICS_COLLECT, id }, undefined, (err) => {
        if (err && c.waiting.delete(worker.id) && c.waiting.size === 0) this.finish(id);
      });
    }
    if (c.waiting.size === 0) return this.finish(id);
    c.timer = setTimeout(() => this.finish(id), this.timeoutMs);
  }

  snapshot(worker: Worker, id: number, metrics: unknown): void {
    // A worker that could not collect counts as not answering; one that exited was retired already.
    if (!Array.isArray(metrics) || worker.isDead()) return;
    // A late answer is still the newest this worker gave.
    this.last.set(worker.id, metrics as MetricsSnapshot);
    const c = this.collections.get(id);
    if (c === undefined || !c.waiting.delete(worker.id)) return;
    c.fresh.push(metrics as MetricsSnapshot);
    if (c.waiting.size === 0) this.finish(id);
  }

  /** A worker exited: keep its counters, stop waiting for it. */
  exited(workerId: number): void {
    const last = this.last.get(workerId);
    this.last.delete(workerId);
    if (last !== undefined) {
      this.retired.push(retiredPart(last));
      if (this.retired.length >= 4 && !this.merging) {
        // Merge the retired workers into one, so restarts do not pile up snapshots. Asynchronous:
        // scrapes meanwhile still see every part, and what is pushed meanwhile is kept.
        this.merging = true;
        const merged = this.retired.length;
        mergeSnapshots(this.retired)
          .then((one) => {
            this.retired = [one, ...this.retired.slice(merged)];
          }, this.onError)
          .finally(() => (this.merging = false));
      }
    }
    for (const [id, c] of this.collections) if (c.waiting.delete(workerId) && c.waiting.size === 0) this.finish(id);
  }

  private finish(id: number): void {
    const c = this.collections.get(id);
    if (c === undefined) return;
    this.collections.delete(id);
    clearTimeout(c.timer);
    const stale: MetricsSnapshot[] = [];
    let missing = 0;
    for (const workerId of c.waiting) {
      const last = this.last.get(workerId);
      if (last !== undefined) stale.push(last);
      else missing++;
    }
    const reply = (message: object) => {
      if (c.asker.isConnected()) c.asker.send({ phiProxy: METRICS_REPLY, id: c.requestId, ...message }, undefined, () => {});
    };
    clusterMetricsText({ fresh: c.fresh, stale, missing, retired: this.retired }).then(
      (text) => reply({ text }),
      (err: unknown) => {
        this.onError(err);
        reply({ error: 'aggregation failed' });
      },
    );
  }
}

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
  const metricsTimeoutMs = options.metricsTimeoutMs ?? METRICS_TIMEOUT_MS;
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
    const gatherer = new MetricsGatherer(
      metricsTimeoutMs,
      () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && listening.has(w.id) && w.isConnected()),
      (err) => logger.error({ err: { name: (err as Error)?.name, message: (err as Error)?.message } }, 'cluster metrics: aggregation failed'),
    );

    /** Each worker's slot (0…N-1): a replacement takes its predecessor's, and with it its spool directory. */
    const slots = new Map<Worker, number>();
    const fork = (slot: number): Worker => {
      // A restarted worker listens exactly as the first did: with `--port 0` too, the primary hands
      // it the port its siblings hold (node shares the nth listen(0) of every worker).
      const worker = cluster.fork({ PHI_PROXY_WORKER_SLOT: String(slot), PHI_PROXY_WORKER_SLOTS: String(options.workers) });
      slots.set(worker, slot);
      worker.on('message', (message: unknown) => {
        const m = message as Message | null;
        if (m?.phiProxy === LISTENING && typeof m.port === 'number') onListening(worker, m.port);
        else if (m?.phiProxy === METRICS_SNAPSHOT && typeof m.id === 'number') gatherer.snapshot(worker, m.id, m.metrics);
        else if (m?.phiProxy === METRICS_REQUEST && typeof m.id === 'number') gatherer.request(worker, m.id);
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
      gatherer.exited(worker.id);
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
      fork(slots.get(worker) ?? 0);
      slots.delete(worker);
    });

    process.once('SIGTERM', () => stop(0, 'SIGTERM'));
    process.once('SIGINT', () => stop(0, 'SIGINT'));
    // Each worker reloads its own rules; the primary only passes SIGHUP on.
    process.on('SIGHUP', () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGHUP');
    });

    logger.info({ workers: options.workers }, 'starting workers');
    for (let i = 0; i < options.workers; i++) fork(i);
  });
}
