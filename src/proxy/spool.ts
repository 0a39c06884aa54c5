/**
 * The durable spool: scrubbed requests an upstream could not take (down, slow, 429 or 5xx) wait
 * here on disk and are retried with backoff, jitter and the upstream's Retry-After. A request is
 * written to a temporary file, synced and renamed before the SDK is told it was accepted, so a
 * crash or SIGKILL after the acknowledgement loses nothing. Only scrubbed requests (what would
 * have been forwarded) ever reach disk, and file names hold a time and a counter, never values.
 *
 * Layout: `<dir>/w<slot>/r_<route>/<ms>-<seq>.req`, one slot per worker process, one directory
 * per route, one file per request, oldest first by name. Delivery is at least once: a request
 * the upstream accepted just before a crash (before its file was removed) is sent again.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load';
import { ConfigError } from '../errors';
import { sendUpstream, type UpstreamAnswer, type UpstreamRequest } from './upstream';

export interface SpoolSettings {
  /** The spool root, shared by the slots of one proxy. */
  readonly dir: string;
  /** This process's slot (its worker index; 0 for a single process). */
  readonly slot: number;
  /** How many slots are live (workers). Slot 0 adopts the files of slots at or above this. */
  readonly slots: number;
  readonly maxBytes: number;
  readonly maxAgeMs: number;
  readonly forwardTimeoutMs: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  /** Deliveries in flight per route; 1 keeps strict order. */
  readonly concurrency: number;
  /** fsync files and directory before acknowledging (survives power loss, not just a crash). */
  readonly fsync: boolean;
}

export const SPOOL_DEFAULTS = {
  maxBytes: 1024 * 1024 * 1024,
  maxAgeMs: 7 * 24 * 3600 * 1000,
  forwardTimeoutMs: 10_000,
  retryInitialMs: 500,
  retryMaxMs: 60_000,
  concurrency: 4,
} as const;

/**
 * The spool settings from `spool:` in the config, `PHI_PROXY_SPOOL_DIR`, and the worker slot the
 * cluster primary gives each worker; undefined when no spool directory is configured.
 */
export function resolveSpoolSettings(config: LoadedConfig, env: NodeJS.ProcessEnv): SpoolSettings | undefined {
  const spec = config.spec.spool;
  const dir = env.PHI_PROXY_SPOOL_DIR || spec?.dir;
  if (dir === undefined) return undefined;
  const slot = Number(env.PHI_PROXY_WORKER_SLOT ?? 0);
  const slots = Number(env.PHI_PROXY_WORKER_SLOTS ?? 1);
  return Object.freeze({
    dir: env.PHI_PROXY_SPOOL_DIR ? path.resolve(dir) : path.resolve(config.baseDir, dir),
    slot: Number.isInteger(slot) && slot >= 0 ? slot : 0,
    slots: Number.isInteger(slots) && slots >= 1 ? slots : 1,
    maxBytes: spec?.max_bytes ?? SPOOL_DEFAULTS.maxBytes,
    maxAgeMs: (spec?.max_age_seconds ?? SPOOL_DEFAULTS.maxAgeMs / 1000) * 1000,
    forwardTimeoutMs: spec?.forward_timeout_ms ?? SPOOL_DEFAULTS.forwardTimeoutMs,
    retryInitialMs: spec?.retry_initial_ms ?? SPOOL_DEFAULTS.retryInitialMs,
    retryMaxMs: spec?.retry_max_ms ?? SPOOL_DEFAULTS.retryMaxMs,
    concurrency: spec?.delivery_concurrency ?? SPOOL_DEFAULTS.concurrency,
    fsync: spec?.fsync ?? true,
  });
}

/** What became of one delivery attempt. */
export type DeliveryOutcome =
  | { readonly verdict: 'delivered' }
  /** Try again later; `retryAfterMs` from the upstream's Retry-After, if any. */
  | { readonly verdict: 'retry'; readonly reason: string; readonly retryAfterMs?: number }
  /** The upstream refused it for good (a 4xx other than 408/429): retrying cannot help. */
  | { readonly verdict: 'rejected'; readonly reason: string };

export type Deliver = (route: string, request: UpstreamRequest) => Promise<DeliveryOutcome>;

/** Why a spooled request left the spool without being delivered. */
export type GiveUpReason = 'rejected' | 'expired' | 'corrupt';

export interface SpoolObserver {
  spooled?(route: string, bytes: number): void;
  delivered?(route: string, ageMs: number): void;
  retried?(route: string): void;
  givenUp?(route: string, reason: GiveUpReason): void;
}

export interface SpoolStats {
  readonly requests: number;
  readonly bytes: number;
  readonly maxBytes: number;
  readonly oldestAgeSeconds: number;
  /** An append was refused for lack of room since the last delivery. */
  readonly full: boolean;
  readonly routes: ReadonlyArray<{ route: string; requests: number; bytes: number; oldestAgeSeconds: number; retrying: boolean }>;
}

/** The answer to "may I acknowledge this request?". */
export type AppendResult = 'spooled' | 'full';

interface Entry {
  readonly name: string;
  readonly bytes: number;
  readonly at: number;
  inflight: boolean;
}

interface RouteQueue {
  readonly route: string;
  readonly dir: string;
  /** Oldest first. */
  readonly entries: Entry[];
  bytes: number;
  inflight: number;
  appending: number;
  failures: number;
  nextAttemptAt: number;
  timer: NodeJS.Timeout | undefined;
}

const MAGIC = 'PHISPOOL 1\n';
const ENTRY_NAME = /^(\d{15})-(\d{9})(?:-a\d+)*\.req$/;

/** Directory name of a route: prefixes use [A-Za-z0-9._~/-], so `_` for `/` cannot collide. */
function routeDirName(route: string): string {
  return `r${route.replace(/\//g, '_')}`;
}
function routeOfDir(name: string): string | undefined {
  return /^r_[A-Za-z0-9._~-]*$/.test(name) ? name.slice(1).replace(/_/g, '/') : undefined;
}

/** Serialises a request: a magic line, a JSON head line (method, path, headers, sizes), the body. */
function encodeEntry(request: UpstreamRequest, at: number, events: number): Buffer {
  const head = JSON.stringify({ method: request.method, path: request.path, headers: request.headers, at, events, body: request.body?.length ?? -1 });
  const prefix = Buffer.from(`${MAGIC}${head}\n`, 'utf8');
  return request.body === undefined ? prefix : Buffer.concat([prefix, request.body]);
}

function decodeEntry(data: Buffer): UpstreamRequest {
  if (data.toString('latin1', 0, MAGIC.length) !== MAGIC) throw new Error('not a spool file');
  const end = data.indexOf(10, MAGIC.length);
  if (end < 0) throw new Error('truncated head');
  const head = JSON.parse(data.toString('utf8', MAGIC.length, end)) as { method: string; path: string; headers: Record<string, string>; body: number };
  const body = data.subarray(end + 1);
  if (head.body === -1 ? body.length !== 0 : body.length !== head.body) throw new Error('truncated body');
  if (typeof head.method !== 'string' || typeof head.path !== 'string' || typeof head.headers !== 'object') throw new Error('bad head');
  return { method: head.method, path: head.path, headers: head.headers, body: head.body === -1 ? undefined : Buffer.from(body) };
}

async function syncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some filesystems cannot sync a directory; the file itself was synced.
  } finally {
    await handle?.close();
  }
}

/** Slots held by spools of this process (several proxies can run in one process: tests, embedding). */
const claimedHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Spool {
  private readonly queues = new Map<string, RouteQueue>();
  private totalBytes = 0;
  private full = false;
  private closed = false;
  private seq = 0;
  private lastStamp = 0;
  private readonly deliveries = new Set<Promise<void>>();
  private readonly slotDir: string;
  private statusTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly settings: SpoolSettings,
    private readonly deliver: Deliver,
    private readonly logger: Logger,
    private readonly observer: SpoolObserver,
  ) {
    this.slotDir = path.join(settings.dir, `w${settings.slot}`);
  }

  /**
   * Opens (creating it owner-only) this process's slot, adopts the files of retired slots,
   * loads what a previous run left, and starts delivering it.
   */
  static async open(settings: SpoolSettings, deliver: Deliver, logger: Logger, observer: SpoolObserver = {}): Promise<Spool> {
    const spool = new Spool(settings, deliver, logger, observer);
    await spool.load();
    return spool;
  }

  private async load(): Promise<void> {
    const { dir, slot, slots } = this.settings;
    try {
      await fsp.mkdir(this.slotDir, { recursive: true, mode: 0o700 });
      await fsp.chmod(dir, 0o700).catch(() => undefined);
      this.claimSlot();
      if (slot === 0) await this.adoptRetiredSlots(slots);
      for (const name of await fsp.readdir(this.slotDir)) {
        const route = routeOfDir(name);
        if (route === undefined) continue;
        const queue = this.queue(route);
        const files = await fsp.readdir(queue.dir);
        for (const file of files.sort()) {
          if (file.endsWith('.tmp')) {
            // Written but never acknowledged (the process died first): the SDK still has it.
            await fsp.rm(path.join(queue.dir, file), { force: true });
            continue;
          }
          const match = ENTRY_NAME.exec(file);
          if (match === null) continue;
          const stat = await fsp.stat(path.join(queue.dir, file));
          queue.entries.push({ name: file, bytes: stat.size, at: Number(match[1]), inflight: false });
          queue.bytes += stat.size;
          this.totalBytes += stat.size;
          this.lastStamp = Math.max(this.lastStamp, Number(match[1]));
        }
      }
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new ConfigError([{ file: 'spool.dir', line: 1, column: 1, message: `the spool directory cannot be used (${code}); it must be writable by the proxy` }]);
    }
    const stats = this.stats();
    if (stats.requests > 0) this.logger.warn({ spool: summary(stats) }, 'spool: resuming delivery of requests left by a previous run');
    for (const queue of this.queues.values()) this.pump(queue);
    this.statusTimer = setInterval(() => {
      const s = this.stats();
      if (s.requests > 0) this.logger.warn({ spool: summary(s) }, 'spool: requests waiting for the upstream');
    }, 30_000);
    this.statusTimer.unref();
  }

  /** One live process per slot: a second proxy on the same directory would deliver twice. */
  private claimSlot(): void {
    const owner = path.join(this.slotDir, 'owner.json');
    const host = os.hostname();
    const inUse = (pid: number) =>
      new ConfigError([{ file: 'spool.dir', line: 1, column: 1, message: `spool slot w${this.settings.slot} is in use by process ${pid}; give each proxy its own spool directory` }]);
    if (claimedHere.has(this.slotDir)) throw inUse(process.pid);
    try {
      const held = JSON.parse(fs.readFileSync(owner, 'utf8')) as { pid?: number; host?: string };
      if (held.host === host && typeof held.pid === 'number' && held.pid !== process.pid && isAlive(held.pid)) {
        throw inUse(held.pid);
      }
    } catch (err) {
      if (err instanceof ConfigError) throw err;
    }
    fs.writeFileSync(owner, JSON.stringify({ pid: process.pid, host }), { mode: 0o600 });
    claimedHere.add(this.slotDir);
  }

  /** Slot 0 takes over slots no worker runs any more (the worker count went down). */
  private async adoptRetiredSlots(slots: number): Promise<void> {
    for (const name of await fsp.readdir(this.settings.dir)) {
      const m = /^w(\d+)$/.exec(name);
      if (m === null || Number(m[1]) < slots) continue;
      const from = path.join(this.settings.dir, name);
      for (const routeName of await fsp.readdir(from)) {
        if (routeOfDir(routeName) === undefined) continue;
        const target = path.join(this.slotDir, routeName);
        await fsp.mkdir(target, { recursive: true, mode: 0o700 });
        for (const file of await fsp.readdir(path.join(from, routeName))) {
          if (ENTRY_NAME.test(file)) await fsp.rename(path.join(from, routeName, file), path.join(target, file.replace(/\.req$/, `-a${m[1]}.req`)));
        }
      }
      this.logger.info({ slot: name }, 'spool: adopted the requests of a retired worker slot');
    }
  }

  private queue(route: string): RouteQueue {
    let queue = this.queues.get(route);
    if (queue === undefined) {
      const dir = path.join(this.slotDir, routeDirName(route));
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      queue = { route, dir, entries: [], bytes: 0, inflight: 0, appending: 0, failures: 0, nextAttemptAt: 0, timer: undefined };
      this.queues.set(route, queue);
    }
    return queue;
  }

  /** True while the route has requests waiting: new ones queue behind them to keep order. */
  pending(route: string): boolean {
    const queue = this.queues.get(route);
    return queue !== undefined && queue.entries.length + queue.appending > 0;
  }

  /**
   * Writes a scrubbed request durably. 'spooled': the SDK may be told it was accepted. 'full':
   * it may not (answer 503 so it keeps the events). Rejects when the disk fails.
   */
  async append(route: string, request: UpstreamRequest, events: number): Promise<AppendResult> {
    if (this.closed) throw new Error('spool closed');
    const queue = this.queue(route);
    const at = Math.max(Date.now(), this.lastStamp);
    this.lastStamp = at;
    const data = encodeEntry(request, at, events);
    if (this.totalBytes + data.length > this.settings.maxBytes) {
      if (!this.full) this.logger.error({ route, spool: summary(this.stats()) }, 'spool full: refusing new requests with 503 until the upstream catches up');
      this.full = true;
      return 'full';
    }
    const name = `${String(at).padStart(15, '0')}-${String(this.seq++ % 1e9).padStart(9, '0')}.req`;
    const file = path.join(queue.dir, name);
    const tmp = `${file}.tmp`;
    this.totalBytes += data.length; // reserved while writing
    queue.bytes += data.length;
    queue.appending++;
    try {
      const handle = await fsp.open(tmp, 'wx', 0o600);
      try {
        await handle.writeFile(data);
        if (this.settings.fsync) await handle.sync();
      } finally {
        await handle.close();
      }
      await fsp.rename(tmp, file);
      if (this.settings.fsync) await syncDir(queue.dir);
    } catch (err) {
      this.totalBytes -= data.length;
      queue.bytes -= data.length;
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    } finally {
      queue.appending--;
    }
    // Appends finish out of order: keep entries sorted by name (almost always the end).
    let i = queue.entries.length;
    while (i > 0 && queue.entries[i - 1]!.name > name) i--;
    queue.entries.splice(i, 0, { name, bytes: data.length, at, inflight: false });
    this.observer.spooled?.(route, data.length);
    this.pump(queue);
    return 'spooled';
  }

  /**
   * A live forward failed (before the request is appended): the route backs off as after a
   * failed delivery, honouring the upstream's Retry-After.
   */
  noteLiveFailure(route: string, reason: string, retryAfter: number | undefined): void {
    this.backOff(this.queue(route), reason, retryAfter);
  }

  private backOff(queue: RouteQueue, reason: string, retryAfter: number | undefined): number {
    queue.failures++;
    const exponential = Math.min(this.settings.retryMaxMs, this.settings.retryInitialMs * 2 ** Math.min(queue.failures - 1, 20));
    // Full jitter spreads the retries of many proxies; Retry-After is honoured up to the cap.
    const delay = retryAfter !== undefined ? Math.min(this.settings.retryMaxMs, retryAfter) : Math.random() * exponential;
    queue.nextAttemptAt = Math.max(queue.nextAttemptAt, Date.now() + delay);
    this.observer.retried?.(queue.route);
    if (queue.failures === 1 || queue.failures % 10 === 0) {
      this.logger.warn({ route: queue.route, reason, failures: queue.failures, retryInMs: Math.round(delay), waiting: queue.entries.length }, 'spool: delivery failed, will retry');
    }
    return delay;
  }

  /** Starts deliveries up to the concurrency limit, unless the route is backing off. */
  private pump(queue: RouteQueue): void {
    if (this.closed) return;
    const now = Date.now();
    if (now < queue.nextAttemptAt) {
      this.schedule(queue, queue.nextAttemptAt - now);
      return;
    }
    while (queue.entries.length > 0 && !queue.entries[0]!.inflight && now - queue.entries[0]!.at > this.settings.maxAgeMs) {
      const entry = queue.entries[0]!;
      void this.remove(queue, entry);
      this.observer.givenUp?.(queue.route, 'expired');
      this.logger.error({ route: queue.route, ageSeconds: Math.round((now - entry.at) / 1000) }, 'spool: a request older than spool.max_age_seconds was given up');
    }
    for (const entry of queue.entries) {
      if (queue.inflight >= this.settings.concurrency) break;
      if (entry.inflight) continue;
      entry.inflight = true;
      queue.inflight++;
      const delivery = this.deliverOne(queue, entry).finally(() => this.deliveries.delete(delivery));
      this.deliveries.add(delivery);
    }
  }

  private schedule(queue: RouteQueue, ms: number): void {
    if (queue.timer !== undefined) return;
    queue.timer = setTimeout(() => {
      queue.timer = undefined;
      this.pump(queue);
    }, ms);
    queue.timer.unref();
  }

  private async deliverOne(queue: RouteQueue, entry: Entry): Promise<void> {
    let request: UpstreamRequest;
    try {
      request = decodeEntry(await fsp.readFile(path.join(queue.dir, entry.name)));
    } catch (err) {
      queue.inflight--;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        // Removed under us (another process on the same directory); nothing to deliver.
        this.forget(queue, entry);
      } else {
        await this.quarantine(queue, entry);
      }
      this.pump(queue);
      return;
    }
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.deliver(queue.route, request);
    } catch {
      outcome = { verdict: 'retry', reason: 'delivery error' };
    }
    queue.inflight--;
    entry.inflight = false;
    if (this.closed && outcome.verdict === 'retry') return;
    switch (outcome.verdict) {
      case 'delivered':
        queue.failures = 0;
        this.full = false;
        await this.remove(queue, entry);
        this.observer.delivered?.(queue.route, Date.now() - entry.at);
        if (queue.entries.length === 0 && queue.appending === 0) this.logger.info({ route: queue.route }, 'spool: drained, forwarding live again');
        break;
      case 'rejected':
        await this.remove(queue, entry);
        this.observer.givenUp?.(queue.route, 'rejected');
        this.logger.error({ route: queue.route, reason: outcome.reason }, 'spool: the upstream refused a spooled request for good; it was given up');
        break;
      case 'retry':
        this.backOff(queue, outcome.reason, outcome.retryAfterMs);
        break;
    }
    this.pump(queue);
  }

  private async remove(queue: RouteQueue, entry: Entry): Promise<void> {
    this.forget(queue, entry);
    await fsp.rm(path.join(queue.dir, entry.name), { force: true });
  }

  private forget(queue: RouteQueue, entry: Entry): void {
    const i = queue.entries.indexOf(entry);
    if (i < 0) return;
    queue.entries.splice(i, 1);
    queue.bytes -= entry.bytes;
    this.totalBytes -= entry.bytes;
  }

  /** An unreadable file is moved aside (kept for an operator), never delivered. */
  private async quarantine(queue: RouteQueue, entry: Entry): Promise<void> {
    this.forget(queue, entry);
    const corrupt = path.join(this.settings.dir, 'corrupt');
    await fsp.mkdir(corrupt, { recursive: true, mode: 0o700 });
    await fsp.rename(path.join(queue.dir, entry.name), path.join(corrupt, `${routeDirName(queue.route)}-${entry.name}`)).catch(() => undefined);
    this.observer.givenUp?.(queue.route, 'corrupt');
    this.logger.error({ route: queue.route, file: entry.name }, 'spool: an unreadable spool file was moved to corrupt/');
  }

  stats(): SpoolStats {
    const now = Date.now();
    let requests = 0;
    let oldest = now;
    const routes: SpoolStats['routes'][number][] = [];
    for (const q of this.queues.values()) {
      requests += q.entries.length;
      const first = q.entries[0]?.at ?? now;
      oldest = Math.min(oldest, first);
      routes.push({ route: q.route, requests: q.entries.length, bytes: q.bytes, oldestAgeSeconds: Math.max(0, (now - first) / 1000), retrying: q.failures > 0 });
    }
    return { requests, bytes: this.totalBytes, maxBytes: this.settings.maxBytes, oldestAgeSeconds: Math.max(0, (now - oldest) / 1000), full: this.full, routes };
  }

  /** Stops delivering (what is on disk stays for the next start) and waits for deliveries in flight. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.statusTimer);
    for (const q of this.queues.values()) clearTimeout(q.timer);
    await Promise.all([...this.deliveries]);
    await fsp.rm(path.join(this.slotDir, 'owner.json'), { force: true }).catch(() => undefined);
    claimedHere.delete(this.slotDir);
  }
}

function summary(s: SpoolStats): Record<string, number | boolean> {
  return { requests: s.requests, bytes: s.bytes, oldestAgeSeconds: Math.round(s.oldestAgeSeconds), full: s.full };
}

/** Milliseconds from a Retry-After header (seconds or an HTTP date); undefined if absent or invalid. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * One attempt to hand a request to the upstream, live or from the spool: its outcome, and the
 * upstream's answer when there was one (to relay to the SDK on a live attempt).
 */
export async function attemptDelivery(target: string, request: UpstreamRequest, timeoutMs: number): Promise<{ outcome: DeliveryOutcome; answer?: UpstreamAnswer }> {
  let answer: UpstreamAnswer;
  try {
    answer = await sendUpstream(target, request, timeoutMs);
  } catch (err) {
    return { outcome: { verdict: 'retry', reason: (err as NodeJS.ErrnoException).code ?? 'connection error' } };
  }
  const verdict = classifyStatus(answer.status);
  const reason = `status ${answer.status}`;
  const outcome: DeliveryOutcome =
    verdict === 'delivered' ? { verdict }
    : verdict === 'rejected' ? { verdict, reason }
    : { verdict, reason, retryAfterMs: retryAfterMs(answer.headers['retry-after']) };
  return { outcome, answer };
}

/** How an upstream status is handled: 2xx/3xx delivered, 408/429/5xx retried, other 4xx refused for good. */
export function classifyStatus(status: number): DeliveryOutcome['verdict'] {
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  if (status >= 400) return 'rejected';
  return 'delivered';
}
