/**
 * Prometheus metrics (prom-client), served at `GET /metrics` in the text format.
 *
 * Labels are low-cardinality and never values: the route *prefix* from the config (never the
 * request path), the wire format, the handling kind, the status class, rule ids, Safe Harbor
 * letters and identifier kinds from the rule packs. Nothing a client sends becomes a label.
 *
 * Cheap when nobody scrapes: every label combination a request can hit is resolved once (per
 * route, per rule index) into a prom-client child, so a request costs a few increments and two
 * histogram observations; the vault size is read only when scraped.
 *
 * With `serve --workers N` each worker counts in its own registry and a scrape shows the sum of
 * all workers (src/proxy/cluster.ts gathers them; `clusterMetricsText` adds them up here).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AggregatorRegistry, Counter, Gauge, Histogram, register as defaultRegistry, type Registry } from 'prom-client';
import type { Plan } from '../engine/plan';
import type { Pseudonymizer } from '../vault/types';

export type RequestKind = 'events' | 'passthrough' | 'respond' | 'unknown' | 'refused';
export type EventOutcome = 'in' | 'forwarded' | 'dropped' | 'refused';
export type ShadowOutcome = 'same' | 'different' | 'candidate_dropped' | 'active_dropped' | 'both_dropped';

/** Per request: from a few hundred microseconds (one small event) up to a second (a huge batch). */
const SCRUB_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const UPSTREAM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** `phi_proxy_ruleset_info{hash}`: SHA-256 of the rule packs' YAML text, first 16 hex digits. */
export function rulesetHash(files: readonly string[]): string {
  const seen = new Set<string>();
  const outer = createHash('sha256');
  for (const file of files) {
    const resolved = path.resolve(file);
    if (seen.has(resolved)) continue;
    seen.add(resolved);
    outer.update(createHash('sha256').update(fs.readFileSync(resolved)).digest('hex') + '\n');
  }
  return outer.digest('hex').slice(0, 16);
}

function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}

type CounterChild = ReturnType<Counter<string>['labels']>;
type HistogramChild = ReturnType<Histogram<string>['labels']>;

/** `collect` runs before each read of the registry (prom-client's hook for counts kept elsewhere). */
function counter(registry: Registry, name: string, help: string, labelNames: string[], collect?: () => void): Counter<string> {
  return (registry.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry], ...(collect ? { collect } : {}) });
}
function histogram(registry: Registry, name: string, help: string, labelNames: string[], buckets: number[]): Histogram<string> {
  return (registry.getSingleMetric(name) as Histogram<string> | undefined) ?? new Histogram({ name, help, labelNames, buckets, registers: [registry] });
}

/** One registry's metrics as `getMetricsAsJSON()` returns them: what a worker sends the primary. */
export type MetricsSnapshot = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** The spool figures the gauges read (spool.ts's SpoolStats, structurally). */
export interface SpoolGaugeStats {
  readonly requests: number;
  readonly bytes: number;
  readonly oldestAgeSeconds: number;
  readonly full: boolean;
}

/** The spool's events as counters (spool.ts's SpoolObserver, structurally). */
export interface SpoolCounters {
  spooled(route: string): void;
  delivered(route: string): void;
  retried(route: string): void;
  givenUp(route: string, reason: string): void;
}

/** What one running proxy contributes to collect-on-scrape gauges. */
interface Attachment {
  readonly pseudonymizers: readonly Pseudonymizer[];
  readonly ruleset: string;
  readonly shadowRuleset: string | undefined;
}

/** The metric families of one registry (one per process by default), shared by every proxy in it. */
export class ProxyMetrics {
  private static readonly byRegistry = new WeakMap<Registry, ProxyMetrics>();

  /** The metrics in `registry` (default: prom-client's global registry), created once. */
  static for(registry: Registry = defaultRegistry): ProxyMetrics {
    let m = ProxyMetrics.byRegistry.get(registry);
    if (m === undefined) ProxyMetrics.byRegistry.set(registry, (m = new ProxyMetrics(registry)));
    return m;
  }

  readonly requests: Counter<string>;
  readonly events: Counter<string>;
  readonly findings: Counter<string>;
  readonly scrubSeconds: Histogram<string>;
  readonly upstreamSeconds: Histogram<string>;
  readonly upstreamErrors: Counter<string>;
  readonly reloads: Counter<string>;
  readonly shadowDifferences: Counter<string>;
  readonly shadowEvents: Counter<string>;
  readonly auditErrors: Counter<string>;
  /** Requests refused before or while decoding, by reason: what each hostile-input limit stopped. */
  readonly refusals: Counter<string>;
  readonly spooled: Counter<string>;
  readonly spoolDelivered: Counter<string>;
  readonly upstreamRetries: Counter<string>;
  readonly spoolGivenUp: Counter<string>;
  private readonly attached = new Set<Attachment>();
  private readonly spools = new Set<() => SpoolGaugeStats>();
  /** Routes whose findings wait in arrays until the next scrape (RouteMetrics.findings). */
  private readonly pendingFindings = new Set<RouteMetrics>();
  /** Where `text()` gets the exposition from instead of this registry (a cluster worker asks the primary). */
  private source: (() => Promise<string>) | undefined;

  private constructor(readonly registry: Registry) {
    const attached = this.attached;
    this.requests = counter(registry, 'phi_proxy_requests_total', 'Requests by route prefix, wire format, handling kind and status class.', ['route', 'format', 'kind', 'status_class']);
    this.events = counter(registry, 'phi_proxy_events_total', 'Events received (in), forwarded, dropped (could not be scrubbed) and refused (whole request refused), per route and format.', ['route', 'format', 'outcome']);
    const pendingFindings = this.pendingFindings;
    this.findings = counter(registry, 'phi_proxy_findings_total', 'Changes the active rules made, per route, rule id, Safe Harbor identifier letter (A-R, none), identifier kind (email, zip, location, id, ...: see README) and action.', ['route', 'rule', 'identifier', 'identifier_kind', 'action'], () => {
      for (const route of pendingFindings) route.flushFindings();
    });
    this.scrubSeconds = histogram(registry, 'phi_proxy_scrub_duration_seconds', 'Time to scrub one request\'s events (and the shadow rules, when configured).', ['route', 'format'], SCRUB_BUCKETS);
    this.upstreamSeconds = histogram(registry, 'phi_proxy_upstream_duration_seconds', 'Time from forwarding a request to finishing the response to the client.', ['route', 'format', 'kind'], UPSTREAM_BUCKETS);
    this.upstreamErrors = counter(registry, 'phi_proxy_upstream_errors_total', 'Forwarded requests answered 502 (upstream unreachable, timed out, or itself answering 502).', ['route', 'format']);
    this.reloads = counter(registry, 'phi_proxy_config_reloads_total', 'Config and rule reloads by result (file change or SIGHUP); a failure keeps the running rules.', ['result']);
    this.shadowDifferences = counter(registry, 'phi_proxy_shadow_differences_total', 'Findings where the shadow (candidate) rules and the active rules disagree: set="candidate" counts a candidate rule that fired where the active set did not, set="active" the reverse.', ['route', 'set', 'rule']);
    this.shadowEvents = counter(registry, 'phi_proxy_shadow_events_total', 'Events scrubbed by the shadow rules, by whether the output would differ from the active rules\' output.', ['route', 'outcome']);
    this.auditErrors = counter(registry, 'phi_proxy_audit_write_errors_total', 'Audit trail lines that could not be written.', []);
    this.refusals = counter(registry, 'phi_proxy_refusals_total', 'Requests refused, by reason: too_large (413: body, decoded size, gzip bomb, events per batch), malformed (400), unsupported (415), unscrubbable (422), header_too_large (431), timeout (408: slow head or body), bad_request (unparseable HTTP), connection_limit (closed at max_connections).', ['reason']);
    this.spooled = counter(registry, 'phi_proxy_spooled_total', 'Scrubbed requests written to the spool (upstream down, slow, 408/429/5xx, or a backlog waiting), per route.', ['route']);
    this.spoolDelivered = counter(registry, 'phi_proxy_spool_delivered_total', 'Spooled requests the upstream accepted, per route.', ['route']);
    this.upstreamRetries = counter(registry, 'phi_proxy_upstream_retries_total', 'Failed upstream attempts that will be retried from the spool (live forwards and spooled deliveries), per route.', ['route']);
    this.spoolGivenUp = counter(registry, 'phi_proxy_spool_given_up_total', 'Spooled requests that left the spool undelivered: rejected (upstream 4xx), expired (max_age_seconds) or corrupt (unreadable file), per route.', ['route', 'reason']);
    for (const result of ['success', 'failure']) this.reloads.labels(result).inc(0);
    const spools = this.spools;
    if (registry.getSingleMetric('phi_proxy_spool_requests') === undefined) {
      const spoolGauge = (name: string, help: string, value: (s: SpoolGaugeStats) => number, aggregator: 'sum' | 'max') =>
        new Gauge({
          name,
          help,
          registers: [registry],
          aggregator,
          collect() {
            let total = 0;
            for (const stats of spools) total = aggregator === 'sum' ? total + value(stats()) : Math.max(total, value(stats()));
            this.set(total);
          },
        });
      spoolGauge('phi_proxy_spool_requests', 'Scrubbed requests waiting in the spool for the upstream (read when scraped).', (s) => s.requests, 'sum');
      spoolGauge('phi_proxy_spool_bytes', 'Bytes in the spool (read when scraped).', (s) => s.bytes, 'sum');
      spoolGauge('phi_proxy_spool_oldest_age_seconds', 'Age of the oldest spooled request; 0 when the spool is empty (read when scraped).', (s) => (s.requests > 0 ? s.oldestAgeSeconds : 0), 'max');
      spoolGauge('phi_proxy_spool_full', '1 when the spool refused a request for lack of room since the last delivery (SDKs get 503).', (s) => (s.full ? 1 : 0), 'max');
    }

    if (registry.getSingleMetric('phi_proxy_vault_size') === undefined) {
      new Gauge({
        name: 'phi_proxy_vault_size',
        help: 'Surrogate tokens in the token vault (read when scraped).',
        registers: [registry],
        // Workers share one vault file: the cluster's size is the largest any worker has read, not the sum.
        aggregator: 'max',
        collect() {
          const vaults = new Set<Pseudonymizer>();
          for (const a of attached) for (const p of a.pseudonymizers) if (p.size >= 0) vaults.add(p);
          let size = 0;
          for (const v of vaults) size += v.size;
          this.set(size);
        },
      });
      new Gauge({
        name: 'phi_proxy_ruleset_info',
        help: 'The active rule set: SHA-256 (first 16 hex digits) of its rule packs\' YAML text; value 1.',
        labelNames: ['hash'],
        registers: [registry],
        // 1 per hash across a cluster too (workers that disagree during a reload show both hashes).
        aggregator: 'max',
        collect() {
          this.reset();
          for (const a of attached) this.labels(a.ruleset).set(1);
        },
      });
      new Gauge({
        name: 'phi_proxy_shadow_ruleset_info',
        help: 'The shadow (candidate) rule set, when configured: SHA-256 (first 16 hex digits) of its rule packs\' YAML text; value 1.',
        labelNames: ['hash'],
        registers: [registry],
        aggregator: 'max',
        collect() {
          this.reset();
          for (const a of attached) if (a.shadowRuleset !== undefined) this.labels(a.shadowRuleset).set(1);
        },
      });
    }
  }

  /** The text `GET /metrics` serves: this registry's, or what the source set by `serveFrom` returns. */
  text(): Promise<string> {
    return this.source !== undefined ? this.source() : this.registry.metrics();
  }

  /** Serve `text()` from `source` (a cluster worker: the whole cluster's metrics); undefined: this registry. */
  serveFrom(source: (() => Promise<string>) | undefined): void {
    this.source = source;
  }

  /** A running proxy's vaults and rule-set hashes, reported until `detach`. */
  attach(pseudonymizers: readonly Pseudonymizer[], ruleset: string, shadowRuleset: string | undefined): () => void {
    const a: Attachment = { pseudonymizers, ruleset, shadowRuleset };
    this.attached.add(a);
    return () => this.attached.delete(a);
  }

  /** The counters a spool's events feed (its observer). */
  spoolCounters(): SpoolCounters {
    return {
      spooled: (route) => this.spooled.labels(route).inc(),
      delivered: (route) => this.spoolDelivered.labels(route).inc(),
      retried: (route) => this.upstreamRetries.labels(route).inc(),
      givenUp: (route, reason) => this.spoolGivenUp.labels(route, reason).inc(),
    };
  }

  /** A running spool's depth, reported by the gauges until the returned detach is called. */
  attachSpool(stats: () => SpoolGaugeStats): () => void {
    this.spools.add(stats);
    return () => this.spools.delete(stats);
  }

  route(route: string, format: string): RouteMetrics {
    const metrics = new RouteMetrics(this, route, format);
    this.pendingFindings.add(metrics);
    return metrics;
  }

  /** A route that stops: its waiting findings are counted, and it is no longer asked at scrapes. */
  closeRoute(route: RouteMetrics): void {
    route.flushFindings();
    this.pendingFindings.delete(route);
  }

  /** For requests that matched no route. */
  request(route: string, format: string, kind: RequestKind, status: number): void {
    this.requests.labels(route, format, kind, statusClass(status)).inc();
  }
}

/** One route's label children, resolved once. */
export class RouteMetrics {
  private readonly requestChildren = new Map<string, CounterChild>();
  private readonly eventChildren: Record<EventOutcome, CounterChild>;
  private readonly scrubChild: HistogramChild;
  private readonly upstreamChildren: Record<'events' | 'passthrough', HistogramChild>;
  private readonly upstreamErrorChild: CounterChild;
  /**
   * Findings of the current plan by rule index, added up per request and handed to prom-client
   * when the registry is read (the counter's collect): a labelled inc() hashes its five labels,
   * and several rules fire in most requests (~30 µs a request, 2% of phi-proxy's CPU, at stop 10).
   */
  private pending: { plan: Plan; counts: Float64Array; children: (CounterChild | undefined)[] } | undefined;
  private readonly shadowChildren = new Map<string, CounterChild>();

  constructor(private readonly m: ProxyMetrics, readonly route: string, readonly format: string) {
    const events = m.events;
    this.eventChildren = {
      in: events.labels(route, format, 'in'),
      forwarded: events.labels(route, format, 'forwarded'),
      dropped: events.labels(route, format, 'dropped'),
      refused: events.labels(route, format, 'refused'),
    };
    this.scrubChild = m.scrubSeconds.labels(route, format);
    this.upstreamChildren = { events: m.upstreamSeconds.labels(route, format, 'events'), passthrough: m.upstreamSeconds.labels(route, format, 'passthrough') };
    this.upstreamErrorChild = m.upstreamErrors.labels(route, format);
    // Zero series from the start, so rate() and absent() behave before the first event.
    for (const child of [...Object.values(this.eventChildren), this.upstreamErrorChild]) child.inc(0);
  }

  request(kind: RequestKind, status: number): void {
    const cls = statusClass(status);
    const key = `${kind} ${cls}`;
    let child = this.requestChildren.get(key);
    if (child === undefined) this.requestChildren.set(key, (child = this.m.requests.labels(this.route, this.format, kind, cls)));
    child.inc();
  }

  events(eventsIn: number, forwarded: number, dropped: number): void {
    this.eventChildren.in.inc(eventsIn);
    if (forwarded > 0) this.eventChildren.forwarded.inc(forwarded);
    if (dropped > 0) this.eventChildren.dropped.inc(dropped);
  }

  refused(events: number): void {
    this.eventChildren.in.inc(events);
    this.eventChildren.refused.inc(events);
  }

  /** `counts[rule.index]` as scrubBatch returns them; counted in the registry at the next scrape. */
  findings(plan: Plan, counts: Uint32Array): void {
    let pending = this.pending;
    if (pending === undefined || pending.plan !== plan) {
      this.flushFindings(); // a reload: what the old rules found is counted under their labels
      pending = this.pending = { plan, counts: new Float64Array(plan.rules.length), children: new Array(plan.rules.length) };
    }
    const sums = pending.counts;
    for (let i = 0; i < counts.length; i++) {
      const n = counts[i]!;
      if (n !== 0) sums[i] = sums[i]! + n;
    }
  }

  /** Moves the waiting findings into the counter. */
  flushFindings(): void {
    const pending = this.pending;
    if (pending === undefined) return;
    const { plan, counts, children } = pending;
    for (let i = 0; i < counts.length; i++) {
      const n = counts[i]!;
      if (n === 0) continue;
      counts[i] = 0;
      let child = children[i];
      if (child === undefined) {
        const rule = plan.rules[i]!;
        child = children[i] = this.m.findings.labels(this.route, rule.id, rule.identifier ?? 'none', rule.identifierKind, rule.action);
      }
      child.inc(n);
    }
  }

  scrubbed(started: bigint): void {
    this.scrubChild.observe(Number(process.hrtime.bigint() - started) / 1e9);
  }

  upstreamDone(kind: 'events' | 'passthrough', started: bigint, status: number): void {
    this.upstreamChildren[kind].observe(Number(process.hrtime.bigint() - started) / 1e9);
    if (status === 502) this.upstreamErrorChild.inc();
  }

  shadowDifference(set: 'candidate' | 'active', ruleId: string, n: number): void {
    const key = `${set} ${ruleId}`;
    let child = this.shadowChildren.get(key);
    if (child === undefined) this.shadowChildren.set(key, (child = this.m.shadowDifferences.labels(this.route, set, ruleId)));
    child.inc(n);
  }

  shadowEvent(outcome: ShadowOutcome): void {
    this.m.shadowEvents.labels(this.route, outcome).inc();
  }
}

/** The workers behind one cluster scrape (see src/proxy/cluster.ts). */
export interface ClusterSnapshots {
  /** Workers that answered this scrape. */
  readonly fresh: readonly MetricsSnapshot[];
  /** Workers that did not answer in time: their previous answer, so counters do not go backwards. */
  readonly stale: readonly MetricsSnapshot[];
  /** Workers that did not answer and never had. */
  readonly missing: number;
  /** Counters and histograms of workers that exited (their last answer), so cluster totals stay monotonic. */
  readonly retired: readonly MetricsSnapshot[];
}

/**
 * Only counters and histograms outlive their worker: a gone worker's gauges (vault size, rule
 * set) describe nothing any more.
 */
export function retiredPart(snapshot: MetricsSnapshot): MetricsSnapshot {
  // prom-client types `type` as a numeric enum; at run time it is the text-format name.
  return snapshot.filter((m) => (m.type as unknown) === 'counter' || (m.type as unknown) === 'histogram');
}

/**
 * Adds snapshots up into one (used to keep the list of retired workers short). Each family is
 * combined by its `aggregator`: counters and histograms are summed.
 */
export async function mergeSnapshots(snapshots: readonly MetricsSnapshot[]): Promise<MetricsSnapshot> {
  return AggregatorRegistry.aggregate([...snapshots]).getMetricsAsJSON();
}

/**
 * The whole cluster in the Prometheus text format: every family combined by its `aggregator`
 * (sum, except the `max` gauges above), plus `phi_proxy_cluster_workers{state}` saying how many
 * workers this scrape heard from.
 */
export async function clusterMetricsText(parts: ClusterSnapshots): Promise<string> {
  const registry = AggregatorRegistry.aggregate([...parts.fresh, ...parts.stale, ...parts.retired]);
  const workers = new Gauge({
    name: 'phi_proxy_cluster_workers',
    help: 'Workers in this scrape (serve --workers N only): answered, stale (did not answer in time; their previous answer is used) and missing (never answered).',
    labelNames: ['state'],
    registers: [registry],
  });
  workers.labels('answered').set(parts.fresh.length);
  workers.labels('stale').set(parts.stale.length);
  workers.labels('missing').set(parts.missing);
  return registry.metrics();
}
