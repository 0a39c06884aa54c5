/**
 * The proxy: request → route → wire format decode → rule engine → encode → forward.
 * Anything that cannot be decoded or scrubbed is answered here with a short reason and never
 * forwarded; logs carry request ids, routes, counts and rule ids, never values.
 */
import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as nodePath from 'node:path';
import type { Writable } from 'node:stream';
import express from 'express';
import pino, { type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { loadConfig, loadRulePacks, vendorRulesFile, type LoadedConfig, type LoadedRulePack } from '../config/load';
import { compilePlan } from '../engine/compile';
import type { Plan } from '../engine/plan';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, formatIssue, InputError, PhiError, ScrubError } from '../errors';
import { formatFor } from '../formats/index';
import type { Handling, LocalResponse, OutgoingRequest, WireFormat } from '../formats/types';
import { AuditTrail, PathTemplater, planDetectors } from '../observability/audit';
import { ProxyMetrics, rulesetHash, type RequestKind, type RouteMetrics } from '../observability/metrics';
import { ShadowRunner, type ShadowResult } from '../observability/shadow';
import { createForwarder, type ForwardingRequest } from './forward';
import { applyCors, readBody, sendJson } from './http';
import { firedRules, scrubBatch, type BatchObserver } from './pipeline';
import { pathHoldsIdentifier } from './path-guard';
import { startSink, type Sink } from './sink';
import { attemptDelivery, resolveSpoolSettings, Spool, type Deliver } from './spool';
import { relayAnswer, sendUpstream, upstreamRequest } from './upstream';
import { envOverrides, loadTls, resolveSettings, routeFor, type Overrides, type ProxySettings, type RouteSettings } from './settings';

export interface ProxyOptions {
  /** Config file; undefined: the embedded default (Safe Harbor pack, inspection sink). */
  configFile?: string;
  /** CLI flags: override environment variables, which override the config file. */
  overrides?: Overrides;
  env?: NodeJS.ProcessEnv;
  /** Where the inspection sink prints events (default: standard output). */
  sinkOutput?: Writable;
  /** Where logs go (default: standard output). */
  logDestination?: Writable;
  /** Watch the config and rule files and reload on change (serve does; SIGHUP reloads too). */
  watch?: boolean;
  /** A compiled plan to use instead of compiling the config's rules (tests). */
  plan?: Plan;
  /** Where metrics are registered (default: prom-client's global registry, one per process). */
  metricsRegistry?: Registry;
}

export interface RunningProxy {
  /** The public listener (`https://…` with `tls`). */
  readonly url: string;
  readonly port: number;
  /** The admin listener (/healthz, /readyz, /metrics) when `admin` is set; else undefined (the public one serves them). */
  readonly adminUrl: string | undefined;
  readonly adminPort: number | undefined;
  readonly settings: ProxySettings;
  readonly plan: Plan;
  /** SHA-256 (first 16 hex digits) of the active rule packs' YAML text (`phi_proxy_ruleset_info`). */
  readonly rulesetHash: string;
  /** Re-reads config and rules and swaps them in if valid; false (old rules kept) otherwise. */
  reload(trigger?: string): boolean;
  /** The audit trail's live file, when `audit.path` is set. */
  readonly auditFile: string | undefined;
  /** Stops accepting, lets in-flight requests finish, then closes (and flushes the audit trail). */
  close(): Promise<void>;
}

/**
 * The proxy's base URL as the client used it (for config the SDK reads back, e.g. Segment's
 * apiHost), from the Host header: only the client's own request sets it, so it can steer what
 * *that* client is told, never where data goes.
 */
function publicBaseUrl(req: http.IncomingMessage, prefix: string, configured: string | undefined): string {
  if (configured !== undefined) return `${configured}${prefix}`;
  const host = typeof req.headers.host === 'string' && /^[A-Za-z0-9.:[\]-]+$/.test(req.headers.host) ? req.headers.host : 'localhost';
  const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
  return `${secure ? 'https' : 'http'}://${host}${prefix}`;
}

/** Paths are matched by strict patterns; anything outside this alphabet is refused as unknown. */
const SAFE_PATH = /^\/[A-Za-z0-9._~@:/-]*$/;

interface RouteRuntime {
  readonly settings: RouteSettings;
  readonly plan: Plan;
  readonly format: WireFormat;
  readonly upstream: string;
  readonly assetsUpstream: string;
  /** The route prefix as logs and metrics show it (`/` for the root route). */
  readonly label: string;
  readonly metrics: RouteMetrics | undefined;
  /** Audit and shadow observers; undefined when neither is configured (the fast path). */
  readonly observer: BatchObserver | undefined;
}

interface RequestLog {
  reqId: string;
  method: string;
  route?: string;
  format?: string;
  kind?: Handling['kind'] | 'refused';
  path?: string;
  eventsIn?: number;
  eventsOut?: number;
  dropped?: number;
  rules?: Record<string, number>;
  reason?: string;
  /** With a spool: whether the upstream answered live or the request was spooled. */
  delivery?: 'live' | 'spooled' | 'spool full';
}

function logRequest(logger: Logger, entry: RequestLog, res: http.ServerResponse, started: bigint, onFinish?: (status: number) => void): void {
  res.on('finish', () => {
    onFinish?.(res.statusCode);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
    logger[level]({ ...entry, status: res.statusCode, ms: Math.round(ms * 100) / 100 }, 'request');
  });
}

export async function startProxy(options: ProxyOptions = {}): Promise<RunningProxy> {
  const env = options.env ?? process.env;
  const config = loadConfig(options.configFile);
  const settings = resolveSettings(config, envOverrides(env), options.overrides ?? {});
  let plan = options.plan ?? compilePlan(config, { env });
  const vault = plan.pseudonymizers.find((p) => p.size >= 0);
  /**
   * A route's rules: its own `rules`, else the format's shipped pack (its vendor fields) before
   * the config's packs. One vault for all, so a person has one surrogate across SDKs.
   */
  /** A route's packs: its own `rules`, else its format's pack before `base`; undefined: just `base`. */
  const routePacks = (cfg: LoadedConfig, route: RouteSettings, own: readonly string[] | undefined, base: LoadedRulePack[]): LoadedRulePack[] | undefined => {
    const vendor = own === undefined ? vendorRulesFile(route.format) : undefined;
    if (own === undefined && vendor === undefined) return undefined;
    return own !== undefined ? loadRulePacks(own, cfg.baseDir) : [...loadRulePacks([vendor!], cfg.baseDir), ...base];
  };
  const planFor = (cfg: LoadedConfig, main: Plan, route: RouteSettings): { plan: Plan; files: string[] } => {
    const own = cfg.spec.routes?.find((r) => r.prefix.replace(/\/+$/, '') === route.prefix)?.rules ?? route.rules;
    const packs = routePacks(cfg, route, own, cfg.packs);
    const files = (packs ?? cfg.packs).map((p) => p.file);
    if (options.plan) return { plan: options.plan, files };
    if (packs === undefined) return { plan: main, files };
    return { plan: compilePlan({ ...cfg, packs }, { env, vault }), files };
  };
  /**
   * A route's candidate (shadow) rules: the route's own `shadow.rules`, else the top-level
   * `shadow.rules` standing in for the config's `rules` (so only for routes without their own).
   */
  const shadowFor = (cfg: LoadedConfig, route: RouteSettings): { plan: Plan; files: string[] } | undefined => {
    const topShadowPacks = cfg.spec.shadow ? loadRulePacks(cfg.spec.shadow.rules, cfg.baseDir) : undefined;
    const spec = cfg.spec.routes?.find((r) => r.prefix.replace(/\/+$/, '') === route.prefix);
    let packs: LoadedRulePack[] | undefined;
    if (spec?.shadow) packs = loadRulePacks(spec.shadow.rules, cfg.baseDir);
    else if (topShadowPacks !== undefined && route.rules === undefined) packs = routePacks(cfg, route, undefined, topShadowPacks) ?? topShadowPacks;
    if (packs === undefined) return undefined;
    return { plan: compilePlan({ ...cfg, packs } as LoadedConfig, { env, vault }), files: packs.map((p) => p.file) };
  };
  const logger = pino({ level: settings.logLevel, base: { service: 'phi-proxy' } }, options.logDestination ?? process.stdout);
  const metrics = config.spec.metrics?.enabled === false ? undefined : ProxyMetrics.for(options.metricsRegistry);

  // Compile every route's rules (and candidates) first: the rule-set hashes go into the audit trail.
  const compiled = settings.routes.map((route) => ({ route, active: planFor(config, plan, route), shadow: shadowFor(config, route) }));
  const ruleset = rulesetHash(compiled.flatMap((c) => c.active.files));
  const shadowed = compiled.filter((c) => c.shadow !== undefined);
  const shadowRuleset = shadowed.length > 0 ? rulesetHash(shadowed.flatMap((c) => c.shadow!.files)) : undefined;
  const audit = openAudit(config, ruleset, shadowRuleset, (err) => {
    metrics?.auditErrors.inc();
    logger.error({ err: { code: (err as NodeJS.ErrnoException).code, name: err.name } }, 'audit trail: a line could not be written');
  });

  const sinks = new Map<string, Sink>();
  /** Replaced whole by a reload; each request reads it once, so none sees half-loaded rules. */
  let routes: RouteRuntime[] = [];
  for (const { route, active, shadow } of compiled) {
    let upstream = route.upstream;
    if (upstream === undefined) {
      let sink = sinks.get(route.format);
      if (sink === undefined) {
        sink = await startSink(route.format, options.sinkOutput ?? process.stdout);
        sinks.set(route.format, sink);
      }
      upstream = sink.url;
    }
    const label = route.prefix || '/';
    const routeMetrics = metrics?.route(label, route.format);
    routes.push({
      settings: route,
      plan: active.plan,
      format: formatFor(route.format),
      upstream,
      assetsUpstream: route.assetsUpstream ?? upstream,
      label,
      metrics: routeMetrics,
      observer: observerFor(label, active.plan, shadow?.plan, routeMetrics, audit),
    });
  }
  let detachMetrics = metrics?.attach(
    [...new Set(routes.flatMap((r) => r.plan.pseudonymizers).concat(compiled.flatMap((c) => c.shadow?.plan.pseudonymizers ?? [])))],
    ruleset,
    shadowRuleset,
  );
  const forwarders = new Map<string, ReturnType<typeof createForwarder>>();
  const forwarderFor = (target: string, rewriting: boolean) => {
    const key = `${rewriting ? 'rewrite ' : ''}${target}`;
    let f = forwarders.get(key);
    if (f === undefined) forwarders.set(key, (f = createForwarder(target, rewriting)));
    return f;
  };
  const limits = { maxDecodedBytes: settings.maxDecodedBytes };

  // The durable spool: delivered to each route's current upstream (a reload may not change it).
  const spoolSettings = resolveSpoolSettings(config, env);
  const deliverSpooled: Deliver = async (label, request) => {
    const route = routes.find((r) => r.label === label);
    if (route === undefined) return { verdict: 'retry', reason: 'route no longer configured', retryAfterMs: spoolSettings!.retryMaxMs };
    return (await attemptDelivery(route.upstream, request, spoolSettings!.forwardTimeoutMs)).outcome;
  };
  const spool = spoolSettings && (await Spool.open(spoolSettings, deliverSpooled, logger, metrics?.spoolCounters()));
  const detachSpoolMetrics = spool && metrics?.attachSpool(() => spool.stats());

  let reloadStatus: { ok: boolean; at: string; reloads: number; ruleset: string; errors?: string[] } = {
    ok: true, at: new Date().toISOString(), reloads: 0, ruleset,
  };

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  // With `admin`, health, readiness and metrics have their own listener and the public one answers
  // them 404 (whatever its routes' formats would do with the path); without, the public one serves them.
  const adminApp = settings.admin === undefined ? app : express();
  if (adminApp !== app) {
    adminApp.disable('x-powered-by');
    adminApp.disable('etag');
    app.all(['/healthz', '/readyz', '/metrics'], (_req, res) => sendJson(res, 404, { error: 'unknown path' }));
  }
  adminApp.get('/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
  adminApp.get('/readyz', (_req, res) => {
    const spooled = spool?.stats();
    // A full spool cannot take more: not ready, so a load balancer sends SDKs to other replicas.
    sendJson(res, spooled?.full ? 503 : 200, {
      status: spooled?.full ? 'spool full' : 'ready',
      mode: plan.mode,
      rules: plan.rules.length,
      ruleset,
      ...(shadowRuleset !== undefined ? { shadow_ruleset: shadowRuleset } : {}),
      vault: plan.pseudonymizers.reduce((n, p) => n + Math.max(0, p.size), 0),
      routes: routes.map((r) => ({ prefix: r.settings.prefix || '/', format: r.settings.format, upstream: r.settings.upstream ? 'configured' : 'inspection sink' })),
      reload: reloadStatus,
      ...(spooled !== undefined ? { spool: spooled } : {}),
    });
  });

  if (metrics !== undefined) {
    const registry = metrics.registry;
    adminApp.get('/metrics', async (_req, res) => {
      try {
        const text = await metrics.text(); // the whole cluster's, in a `serve --workers N` worker
        res.statusCode = 200;
        res.setHeader('content-type', registry.contentType);
        res.setHeader('cache-control', 'no-store');
        res.end(text);
      } catch {
        sendJson(res, 500, { error: 'metrics unavailable' });
      }
    });
  }

  app.use(async (req: express.Request, res: express.Response) => {
    const started = process.hrtime.bigint();
    const entry: RequestLog = { reqId: randomUUID(), method: req.method };
    let runtime: RouteRuntime | undefined;
    /** Events of a batch not yet counted, should the request fail after decoding. */
    let uncounted = 0;
    logRequest(
      logger,
      entry,
      res,
      started,
      metrics &&
        ((status) => {
          const kind: RequestKind = entry.kind ?? 'respond'; // CORS preflights are answered here
          if (runtime?.metrics) runtime.metrics.request(kind, status);
          else metrics.request('none', 'none', kind, status);
        }),
    );
    res.setHeader('x-request-id', entry.reqId);
    try {
      if (applyCors(req, res, settings.allowedOrigins)) return;
      const rawUrl = req.originalUrl;
      const q = rawUrl.indexOf('?');
      const path = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
      const current = routes; // this request's rules, whatever a reload does meanwhile
      const matched = SAFE_PATH.test(path) && !path.includes('//') && !path.includes('/..') ? routeFor(current.map((r) => r.settings), path) : undefined;
      runtime = matched ? current.find((r) => r.settings === matched.route) : undefined;
      // A free path segment (asset name, token) holding an identifier would reach our logs and the vendor.
      if (!matched || !runtime || pathHoldsIdentifier(matched.rest)) {
        entry.kind = 'unknown';
        sendJson(res, 404, { error: 'unknown path' });
        return;
      }
      entry.route = runtime.settings.prefix || '/';
      entry.format = runtime.format.name;
      const body = await readBody(req, settings.maxBodyBytes);
      const handling = runtime.format.handle(
        {
          method: req.method,
          path: matched.rest,
          query: new URLSearchParams(q >= 0 ? rawUrl.slice(q + 1) : ''),
          headers: req.headers,
          body,
          clientIp: req.socket.remoteAddress ?? '',
          publicBaseUrl: publicBaseUrl(req, runtime.settings.prefix, settings.publicUrl),
        },
        limits,
      );
      entry.kind = handling.kind;
      const forwarding = req as unknown as ForwardingRequest;
      switch (handling.kind) {
        case 'unknown':
          sendJson(res, 404, { error: `unknown path for format ${runtime.format.name}` });
          return;
        case 'respond':
          entry.path = matched.rest;
          entry.reason = handling.reason;
          res.statusCode = handling.response.status;
          res.setHeader('content-type', handling.response.contentType);
          res.end(handling.response.body);
          return;
        case 'passthrough':
          entry.path = matched.rest;
          forwarding.phiRewrite = handling.rewriteResponse;
          req.url = handling.path;
          timeUpstream(runtime.metrics, 'passthrough', res);
          await forwarderFor(runtime.assetsUpstream, handling.rewriteResponse !== undefined)(forwarding, res);
          return;
        case 'events': {
          entry.path = matched.rest;
          if (handling.batch.events.length > settings.maxEventsPerBatch) {
            throw new InputError(`batch has more than ${settings.maxEventsPerBatch} events; send smaller batches`, 413);
          }
          let outcome;
          const scrubStarted = process.hrtime.bigint();
          uncounted = handling.batch.events.length;
          try {
            outcome = scrubBatch(runtime.plan, handling.batch, runtime.observer);
          } catch (err) {
            runtime.metrics?.scrubbed(scrubStarted);
            const refused = handling.batch.refusedResponse;
            if (!(err instanceof ScrubError) || refused === undefined) throw err;
            countRefused(runtime, audit, uncounted);
            uncounted = 0;
            entry.kind = 'refused';
            entry.reason = err.message;
            res.statusCode = refused.status;
            res.setHeader('content-type', refused.contentType);
            res.end(refused.body);
            return;
          }
          uncounted = 0;
          if (runtime.metrics) {
            runtime.metrics.scrubbed(scrubStarted);
            runtime.metrics.events(outcome.eventsIn, outcome.eventsOut, outcome.dropped);
            runtime.metrics.findings(runtime.plan, outcome.counts);
          }
          audit?.eventCounts(runtime.label, outcome.eventsIn, outcome.eventsOut, outcome.dropped, 0);
          Object.assign(entry, { eventsIn: outcome.eventsIn, eventsOut: outcome.eventsOut, dropped: outcome.dropped, rules: firedRules(runtime.plan, outcome.counts) });
          if (outcome.outgoing === undefined) {
            const local = outcome.local!;
            res.statusCode = local.status;
            res.setHeader('content-type', local.contentType);
            res.end(local.body);
            return;
          }
          timeUpstream(runtime.metrics, 'events', res);
          if (spool !== undefined && handling.batch.readsAnswer !== true) {
            await forwardDurably(spool, runtime, req, res, outcome.outgoing, handling.batch.emptyResponse, outcome.eventsOut, entry);
          } else {
            await forwardLive(runtime, req, res, outcome.outgoing);
          }
          return;
        }
      }
    } catch (err) {
      if (uncounted > 0 && runtime !== undefined) countRefused(runtime, audit, uncounted);
      if (err instanceof PhiError) {
        entry.kind = 'refused';
        entry.reason = err.message;
        metrics?.refusals.labels(refusalReason(err.status)).inc();
        sendJson(res, err.status, { error: err.message });
        return;
      }
      entry.kind = 'refused';
      entry.reason = 'internal error';
      logger.error({ reqId: entry.reqId, err: { name: (err as Error)?.name } }, 'unexpected failure; request refused');
      sendJson(res, 500, { error: 'internal error; nothing was forwarded' });
    }
  });

  // Request heads past max_header_bytes get 431 from Node itself; slow heads and bodies time out.
  const serverOptions: http.ServerOptions = {
    maxHeaderSize: settings.maxHeaderBytes,
    headersTimeout: settings.headersTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    // Node checks those timeouts every 30 s by default: too slow to stop a slowloris client.
    connectionsCheckingInterval: Math.min(1_000, settings.headersTimeoutMs),
  };
  const tlsSettings = settings.tls;
  // TLS keeps Node's modern defaults (TLS 1.2 or 1.3, its cipher list and TLS 1.3 suites) with
  // the server's cipher order; loadTls checked the files (and refuses weak configured ciphers).
  // A slow handshake is cut off like a slow request head.
  const server: http.Server | https.Server =
    tlsSettings === undefined
      ? http.createServer(serverOptions, app)
      : https.createServer(
          {
            ...serverOptions,
            ...loadTls(tlsSettings),
            handshakeTimeout: settings.headersTimeoutMs,
            ...(tlsSettings.caFile !== undefined ? { requestCert: true, rejectUnauthorized: true } : {}),
          },
          app,
        );
  const listen = (s: http.Server | https.Server, port: number, host: string) =>
    new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, host, () => {
        s.off('error', reject);
        resolve();
      });
    });
  // Requests Node refuses before they reach the app (head too large, too slow, not HTTP) and
  // connections past max_connections are counted too; the answers are Node's own.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: import('node:stream').Duplex) => {
    const [status, reason] =
      err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'header_too_large'] : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'timeout'] : [400, 'bad_request'];
    metrics?.refusals.labels(reason).inc();
    if (err.code !== 'ECONNRESET' && socket.writable && !(socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
      const text = STATUS_TEXT[status] ?? 'Bad Request';
      socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${text.length + 12}\r\n\r\n{"error":"${text.toLowerCase()}"}`);
    }
    socket.destroy();
  });
  server.on('drop', () => metrics?.refusals.labels('connection_limit').inc());
  await listen(server, settings.port, settings.host);
  server.maxConnections = settings.maxConnections;
  server.keepAliveTimeout = 65_000;
  const { port } = server.address() as AddressInfo;
  const host = settings.host === '0.0.0.0' || settings.host === '::' ? '127.0.0.1' : settings.host;

  // The admin listener: plain HTTP, only /healthz, /readyz and /metrics (JSON 404 for anything else).
  let adminServer: http.Server | undefined;
  let adminPort: number | undefined;
  if (settings.admin !== undefined) {
    adminApp.use((_req, res) => sendJson(res, 404, { error: 'unknown path' }));
    adminServer = http.createServer(serverOptions, adminApp);
    try {
      await listen(adminServer, settings.admin.port, settings.admin.host);
    } catch (err) {
      server.close();
      throw err;
    }
    adminServer.maxConnections = 64;
    adminPort = (adminServer.address() as AddressInfo).port;
  }
  const adminHost = settings.admin && (settings.admin.host === '0.0.0.0' || settings.admin.host === '::' ? '127.0.0.1' : settings.admin.host);
  logger.info({ port, host: settings.host, tls: tlsSettings !== undefined, ...(settings.admin ? { admin: { host: settings.admin.host, port: adminPort } } : {}), mode: plan.mode, rules: plan.rules.length, routes: routes.map((r) => ({ prefix: r.settings.prefix || '/', format: r.settings.format, upstream: r.settings.upstream ? 'configured' : 'inspection sink' })) }, 'phi-proxy listening');

  /**
   * Certificate reload (SIGHUP through reload(), or a change to the files when watching): the
   * new pair is checked whole; a bad one is refused and the running certificate stays.
   */
  const reloadTls = (trigger: string): void => {
    if (tlsSettings === undefined) return;
    try {
      (server as https.Server).setSecureContext(loadTls(tlsSettings));
      logger.info({ trigger }, 'TLS certificate reloaded');
    } catch (err) {
      const issues = err instanceof ConfigError ? err.issues.map(formatIssue) : [`${(err as Error)?.name ?? 'error'}: TLS reload failed`];
      for (const issue of issues) logger.error({ trigger }, `TLS reload refused, running certificate kept: ${issue}`);
    }
  };
  let tlsDebounce: NodeJS.Timeout | undefined;
  const tlsWatchers: fs.FSWatcher[] = [];
  if (tlsSettings !== undefined && options.watch) {
    const files = [tlsSettings.certFile, tlsSettings.keyFile, ...(tlsSettings.caFile !== undefined ? [tlsSettings.caFile] : [])];
    for (const dir of new Set(files.map((f) => path.dirname(f)))) {
      const names = new Set(files.filter((f) => path.dirname(f) === dir).map((f) => path.basename(f)));
      try {
        const w = fs.watch(dir, (_event, name) => {
          // Kubernetes Secrets swap a `..data` symlink: any change in the directory counts.
          if (name !== null && !names.has(String(name)) && !String(name).startsWith('..')) return;
          clearTimeout(tlsDebounce);
          tlsDebounce = setTimeout(() => reloadTls('file change'), 250);
        });
        w.unref();
        tlsWatchers.push(w);
      } catch {
        logger.warn({ dir: path.basename(dir) }, 'cannot watch a TLS directory; reload with SIGHUP');
      }
    }
  }

  /**
   * Hot reload: re-read the config and every rule pack, compile them all, and only then swap
   * the routes' plans in one assignment. An invalid edit keeps the running rules, logs each
   * problem as file:line:column, and shows in /readyz. Routes (prefixes, upstreams, formats)
   * and listen settings are read at start only: changing them needs a restart.
   */
  let activeRuleset = ruleset;
  const reload = (trigger: string): boolean => {
    try {
      if (options.plan) return false;
      const next = loadConfig(options.configFile);
      const main = compilePlan(next, { env, vault });
      const rebuilt = routes.map((r) => {
        const active = planFor(next, main, r.settings);
        const shadow = shadowFor(next, r.settings);
        return { route: { ...r, plan: active.plan, observer: observerFor(r.label, active.plan, shadow?.plan, r.metrics, audit) }, files: [...active.files, ...(shadow?.files ?? [])] };
      });
      routes = rebuilt.map((b) => b.route);
      plan = main;
      activeRuleset = rulesetHash(rebuilt.flatMap((b) => b.files));
      audit?.setRuleset(activeRuleset);
      detachMetrics?.();
      detachMetrics = metrics?.attach([...new Set(routes.flatMap((r) => r.plan.pseudonymizers))], activeRuleset, shadowRuleset);
      metrics?.reloads.labels('success').inc();
      reloadStatus = { ok: true, at: new Date().toISOString(), reloads: reloadStatus.reloads + 1, ruleset: activeRuleset };
      logger.info({ trigger, ruleset: activeRuleset, rules: plan.rules.length }, 'rules reloaded');
      watch(next, rebuilt.flatMap((b) => b.files));
      return true;
    } catch (err) {
      const issues = err instanceof ConfigError ? err.issues.map(formatIssue) : [`${(err as Error)?.name ?? 'error'}: reload failed`];
      metrics?.reloads.labels('failure').inc();
      reloadStatus = { ok: false, at: new Date().toISOString(), reloads: reloadStatus.reloads, ruleset: activeRuleset, errors: issues };
      for (const issue of issues) logger.error({ trigger }, `reload refused, running rules kept: ${issue}`);
      return false;
    }
  };

  // Watch the directories (editors and ConfigMaps replace files by rename, which a file watch misses).
  let watchers: fs.FSWatcher[] = [];
  let debounce: NodeJS.Timeout | undefined;
  const watch = (cfg: LoadedConfig, files: readonly string[]): void => {
    if (!options.watch) return;
    for (const w of watchers) w.close();
    const wanted = [...new Set([...(cfg.file ? [path.resolve(cfg.file)] : []), ...files.map((f) => path.resolve(f))])];
    const byDir = new Map<string, Set<string>>();
    for (const file of wanted) {
      const dir = path.dirname(file);
      if (!byDir.has(dir)) byDir.set(dir, new Set());
      byDir.get(dir)!.add(path.basename(file));
    }
    watchers = [...byDir].flatMap(([dir, names]) => {
      try {
        const w = fs.watch(dir, (_event, name) => {
          // Kubernetes ConfigMaps swap a `..data` symlink: any change in the directory counts.
          if (name !== null && !names.has(String(name)) && !String(name).startsWith('..')) return;
          clearTimeout(debounce);
          debounce = setTimeout(() => reload('file change'), 250);
        });
        w.unref();
        return [w];
      } catch {
        logger.warn({ dir: path.basename(dir) }, 'cannot watch a rules directory; reload with SIGHUP');
        return [];
      }
    });
  };
  watch(config, compiled.flatMap((c) => [...c.active.files, ...(c.shadow?.files ?? [])]));

  return {
    url: `${tlsSettings !== undefined ? 'https' : 'http'}://${host}:${port}`,
    port,
    adminUrl: adminPort !== undefined ? `http://${adminHost}:${adminPort}` : undefined,
    adminPort,
    settings,
    get plan() {
      return plan;
    },
    reload: (trigger = 'request') => {
      reloadTls(trigger);
      return reload(trigger);
    },
    get rulesetHash() {
      return activeRuleset;
    },
    auditFile: audit?.file,
    close: async () => {
      for (const w of [...watchers, ...tlsWatchers]) w.close();
      clearTimeout(debounce);
      clearTimeout(tlsDebounce);
      logger.info('draining: no new connections, finishing in-flight requests');
      await Promise.all(
        [server, ...(adminServer ? [adminServer] : [])].map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeIdleConnections();
            }),
        ),
      );
      await spool?.close();
      detachSpoolMetrics?.();
      await Promise.all([...sinks.values()].map((s) => s.close()));
      audit?.close();
      detachMetrics?.();
      for (const route of routes) if (route.metrics !== undefined) metrics?.closeRoute(route.metrics);
      logger.info('stopped');
    },
  };
}

/**
 * Forwards a scrubbed request and relays the answer. The body is already in memory, so a plain
 * client does it with less work per request than the streaming proxy (used for passthrough).
 */
async function forwardLive(runtime: RouteRuntime, req: http.IncomingMessage, res: http.ServerResponse, outgoing: OutgoingRequest): Promise<void> {
  let answer;
  try {
    answer = await sendUpstream(runtime.upstream, upstreamRequest(req.method ?? 'POST', req.headers, outgoing), LIVE_TIMEOUT_MS);
  } catch {
    sendJson(res, 502, { error: 'upstream unavailable' });
    return;
  }
  relayAnswer(res, answer, outgoing.rewriteResponse);
}
const LIVE_TIMEOUT_MS = 30_000;

/**
 * Forwarding with a spool: while the route has requests waiting, new ones queue behind them;
 * otherwise the request goes live, and an upstream that fails, times out or answers 408/429/5xx
 * gets it spooled instead. Spooled requests are acknowledged with the vendor's own success
 * answer; when the spool is full the SDK gets 503 and keeps its events.
 */
async function forwardDurably(
  spool: Spool,
  runtime: RouteRuntime,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  outgoing: OutgoingRequest,
  ack: LocalResponse,
  events: number,
  entry: RequestLog,
): Promise<void> {
  const request = upstreamRequest(req.method ?? 'POST', req.headers, outgoing);
  let reason = 'backlog';
  if (!spool.pending(runtime.label)) {
    const { outcome, answer } = await attemptDelivery(runtime.upstream, request, spool.settings.forwardTimeoutMs);
    if (outcome.verdict !== 'retry') {
      entry.delivery = 'live';
      relayAnswer(res, answer!, outgoing.rewriteResponse);
      return;
    }
    reason = outcome.reason;
    spool.noteLiveFailure(runtime.label, reason, outcome.retryAfterMs);
  }
  let result;
  try {
    result = await spool.append(runtime.label, request, events);
  } catch (err) {
    entry.delivery = 'spool full';
    entry.reason = `spool write failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
    res.setHeader('retry-after', '30');
    sendJson(res, 503, { error: 'upstream unavailable and the spool cannot be written; retry later' });
    return;
  }
  if (result === 'full') {
    entry.delivery = 'spool full';
    entry.reason = reason;
    res.setHeader('retry-after', '30');
    sendJson(res, 503, { error: 'upstream unavailable and the spool is full; retry later' });
    return;
  }
  entry.delivery = 'spooled';
  entry.reason = reason;
  res.statusCode = ack.status;
  res.setHeader('content-type', ack.contentType);
  res.end(ack.body);
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/** The `reason` label of phi_proxy_refusals_total for a refusal's status. */
function refusalReason(status: number): string {
  switch (status) {
    case 413:
      return 'too_large';
    case 415:
      return 'unsupported';
    case 422:
      return 'unscrubbable';
    case 408:
      return 'timeout';
    default:
      return status >= 500 ? 'internal' : 'malformed';
  }
}

/** Upstream latency (forwarding → response finished) and 502s, when metrics are on. */
function timeUpstream(metrics: RouteMetrics | undefined, kind: 'events' | 'passthrough', res: http.ServerResponse): void {
  if (metrics === undefined) return;
  const started = process.hrtime.bigint();
  res.once('finish', () => metrics.upstreamDone(kind, started, res.statusCode));
}

function countRefused(runtime: RouteRuntime, audit: AuditTrail | undefined, events: number): void {
  runtime.metrics?.refused(events);
  audit?.eventCounts(runtime.label, events, 0, 0, events);
}

/**
 * The audit trail, when `audit.path` is set. In a cluster every worker keeps its own chain
 * (`audit.worker-2.jsonl`): one hash chain cannot have several writers.
 */
function openAudit(config: LoadedConfig, ruleset: string, shadowRuleset: string | undefined, onError: (err: Error) => void): AuditTrail | undefined {
  const spec = config.spec.audit;
  if (spec?.path === undefined) return undefined;
  let file = nodePath.resolve(config.baseDir, spec.path);
  if (cluster.isWorker && cluster.worker) {
    const ext = nodePath.extname(file);
    file = `${file.slice(0, file.length - ext.length)}.worker-${cluster.worker.id}${ext}`;
  }
  return new AuditTrail({ file, windowSeconds: spec.window_seconds, maxBytes: spec.max_bytes, ruleset, shadowRuleset, onError });
}

/**
 * What watches a route's batches: the audit trail (findings per rule per path template) and the
 * shadow rules (differences, to metrics and audit). Undefined when neither is on, so the
 * engine builds no paths and clones nothing.
 */
function observerFor(label: string, plan: Plan, candidate: Plan | undefined, metrics: RouteMetrics | undefined, audit: AuditTrail | undefined): BatchObserver | undefined {
  if (audit === undefined && candidate === undefined) return undefined;
  const templater = audit && new PathTemplater(planDetectors(plan, candidate));
  const onShadow =
    candidate &&
    ((result: ShadowResult, envelope: boolean) => {
      if (!envelope) {
        metrics?.shadowEvent(result.outcome);
        audit?.shadowEvent(label, result.outcome);
      }
      for (const set of ['candidate', 'active'] as const) {
        for (const d of result[set]) {
          metrics?.shadowDifference(set, d.rule, d.n);
          if (audit) audit.shadowDifference(label, set, d.rule, templater!.template(d.path), d.n);
        }
      }
    });
  return {
    onFinding: audit && ((f) => audit.finding(label, f.ruleId, templater!.template(f.path))),
    shadow: candidate && new ShadowRunner(candidate),
    onShadow,
  };
}
