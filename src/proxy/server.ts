/**
 * The proxy: request → route → wire format decode → rule engine → encode → forward.
 * Anything that cannot be decoded or scrubbed is answered here with a short reason and never
 * forwarded; logs carry request ids, routes, counts and rule ids, never values.
 */
import { randomUUID } from 'node:crypto';
import type * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import express from 'express';
import pino, { type Logger } from 'pino';
import { loadConfig, loadRulePacks, vendorRulesFile, type LoadedConfig } from '../config/load';
import { compilePlan } from '../engine/compile';
import type { Plan } from '../engine/plan';
import { PhiError, ScrubError } from '../errors';
import { formatFor } from '../formats/index';
import type { Handling, WireFormat } from '../formats/types';
import { createForwarder, type ForwardingRequest } from './forward';
import { applyCors, readBody, sendJson } from './http';
import { firedRules, scrubBatch } from './pipeline';
import { startSink, type Sink } from './sink';
import { envOverrides, resolveSettings, routeFor, type Overrides, type ProxySettings, type RouteSettings } from './settings';

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
  /** A compiled plan to use instead of compiling the config's rules (tests). */
  plan?: Plan;
}

export interface RunningProxy {
  readonly url: string;
  readonly port: number;
  readonly settings: ProxySettings;
  readonly plan: Plan;
  /** Stops accepting, lets in-flight requests finish, then closes. */
  close(): Promise<void>;
}

/**
 * The proxy's base URL as the client used it (for config the SDK reads back, e.g. Segment's
 * apiHost), from the Host header: only the client's own request sets it, so it can steer what
 * *that* client is told, never where data goes.
 */
function publicBaseUrl(req: http.IncomingMessage, prefix: string): string {
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
}

function logRequest(logger: Logger, entry: RequestLog, res: http.ServerResponse, started: bigint): void {
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
    logger[level]({ ...entry, status: res.statusCode, ms: Math.round(ms * 100) / 100 }, 'request');
  });
}

export async function startProxy(options: ProxyOptions = {}): Promise<RunningProxy> {
  const env = options.env ?? process.env;
  const config = loadConfig(options.configFile);
  const settings = resolveSettings(config, envOverrides(env), options.overrides ?? {});
  const plan = options.plan ?? compilePlan(config, { env });
  const vault = plan.pseudonymizers.find((p) => p.size >= 0);
  /**
   * A route's rules: its own `rules`, else the format's shipped pack (its vendor fields) before
   * the config's packs. One vault for all, so a person has one surrogate across SDKs.
   */
  const planFor = (route: RouteSettings): Plan => {
    if (options.plan) return options.plan;
    const vendor = route.rules === undefined ? vendorRulesFile(route.format) : undefined;
    if (route.rules === undefined && vendor === undefined) return plan;
    const packs = route.rules !== undefined ? loadRulePacks(route.rules, config.baseDir) : [...loadRulePacks([vendor!], config.baseDir), ...config.packs];
    const routeConfig: LoadedConfig = { ...config, packs };
    return compilePlan(routeConfig, { env, vault });
  };
  const logger = pino({ level: settings.logLevel, base: { service: 'phi-proxy' } }, options.logDestination ?? process.stdout);

  const sinks = new Map<string, Sink>();
  const routes: RouteRuntime[] = [];
  for (const route of settings.routes) {
    let upstream = route.upstream;
    if (upstream === undefined) {
      let sink = sinks.get(route.format);
      if (sink === undefined) {
        sink = await startSink(route.format, options.sinkOutput ?? process.stdout);
        sinks.set(route.format, sink);
      }
      upstream = sink.url;
    }
    routes.push({ settings: route, plan: planFor(route), format: formatFor(route.format), upstream, assetsUpstream: route.assetsUpstream ?? upstream });
  }
  const forwarders = new Map<string, ReturnType<typeof createForwarder>>();
  const forwarderFor = (target: string, rewriting: boolean) => {
    const key = `${rewriting ? 'rewrite ' : ''}${target}`;
    let f = forwarders.get(key);
    if (f === undefined) forwarders.set(key, (f = createForwarder(target, rewriting)));
    return f;
  };
  const limits = { maxDecodedBytes: settings.maxDecodedBytes };

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  app.get('/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
  app.get('/readyz', (_req, res) => {
    sendJson(res, 200, {
      status: 'ready',
      mode: plan.mode,
      rules: plan.rules.length,
      vault: plan.pseudonymizers.reduce((n, p) => n + Math.max(0, p.size), 0),
      routes: routes.map((r) => ({ prefix: r.settings.prefix || '/', format: r.settings.format, upstream: r.settings.upstream ? 'configured' : 'inspection sink' })),
    });
  });

  app.use(async (req: express.Request, res: express.Response) => {
    const started = process.hrtime.bigint();
    const entry: RequestLog = { reqId: randomUUID(), method: req.method };
    logRequest(logger, entry, res, started);
    res.setHeader('x-request-id', entry.reqId);
    try {
      if (applyCors(req, res, settings.allowedOrigins)) return;
      const rawUrl = req.originalUrl;
      const q = rawUrl.indexOf('?');
      const path = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
      const matched = SAFE_PATH.test(path) && !path.includes('//') && !path.includes('/..') ? routeFor(routes.map((r) => r.settings), path) : undefined;
      const runtime = matched && routes.find((r) => r.settings === matched.route);
      if (!matched || !runtime) {
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
          publicBaseUrl: publicBaseUrl(req, runtime.settings.prefix),
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
          forwarding.phiOutgoing = { path: handling.path, body: undefined, headers: {}, rewriteResponse: handling.rewriteResponse };
          req.url = handling.path;
          await forwarderFor(runtime.assetsUpstream, handling.rewriteResponse !== undefined)(forwarding, res);
          return;
        case 'events': {
          entry.path = matched.rest;
          let outcome;
          try {
            outcome = scrubBatch(runtime.plan, handling.batch);
          } catch (err) {
            const refused = handling.batch.refusedResponse;
            if (!(err instanceof ScrubError) || refused === undefined) throw err;
            entry.kind = 'refused';
            entry.reason = err.message;
            res.statusCode = refused.status;
            res.setHeader('content-type', refused.contentType);
            res.end(refused.body);
            return;
          }
          Object.assign(entry, { eventsIn: outcome.eventsIn, eventsOut: outcome.eventsOut, dropped: outcome.dropped, rules: firedRules(runtime.plan, outcome.counts) });
          if (outcome.outgoing === undefined) {
            const local = outcome.local!;
            res.statusCode = local.status;
            res.setHeader('content-type', local.contentType);
            res.end(local.body);
            return;
          }
          forwarding.phiOutgoing = outcome.outgoing;
          req.url = outcome.outgoing.path;
          await forwarderFor(runtime.upstream, outcome.outgoing.rewriteResponse !== undefined)(forwarding, res);
          return;
        }
      }
    } catch (err) {
      if (err instanceof PhiError) {
        entry.kind = 'refused';
        entry.reason = err.message;
        sendJson(res, err.status, { error: err.message });
        return;
      }
      entry.kind = 'refused';
      entry.reason = 'internal error';
      logger.error({ reqId: entry.reqId, err: { name: (err as Error)?.name } }, 'unexpected failure; request refused');
      sendJson(res, 500, { error: 'internal error; nothing was forwarded' });
    }
  });

  const server = await new Promise<http.Server>((resolve, reject) => {
    const s = app.listen(settings.port, settings.host, (err?: Error) => (err ? reject(err) : resolve(s)));
    s.on('error', reject);
  });
  server.headersTimeout = 15_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  const { port } = server.address() as AddressInfo;
  const host = settings.host === '0.0.0.0' || settings.host === '::' ? '127.0.0.1' : settings.host;
  logger.info({ port, host: settings.host, mode: plan.mode, rules: plan.rules.length, routes: routes.map((r) => ({ prefix: r.settings.prefix || '/', format: r.settings.format, upstream: r.settings.upstream ? 'configured' : 'inspection sink' })) }, 'phi-proxy listening');

  return {
    url: `http://${host}:${port}`,
    port,
    settings,
    plan,
    close: async () => {
      logger.info('draining: no new connections, finishing in-flight requests');
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await Promise.all([...sinks.values()].map((s) => s.close()));
      logger.info('stopped');
    },
  };
}
