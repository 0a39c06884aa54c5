/**
 * The proxy's runtime settings: the config file's keys, overridden by environment variables
 * (`PHI_PROXY_UPSTREAM`, `PHI_PROXY_PORT`, `PHI_PROXY_LOG_LEVEL`) and then by CLI flags.
 */
import type { LoadedConfig } from '../config/load';
import { ConfigError } from '../errors';

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '0.0.0.0';
export const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024; // PostHog's own /batch limit
export const DEFAULT_MAX_DECODED_BYTES = 64 * 1024 * 1024;
/** PostHog batches hold up to a few hundred events; 5,000 leaves room, stops absurd ones. */
export const DEFAULT_MAX_EVENTS_PER_BATCH = 5_000;
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024; // Node's own default
export const DEFAULT_MAX_CONNECTIONS = 10_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 15_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export type FormatName = 'posthog' | 'segment' | 'rudderstack' | 'mixpanel' | 'amplitude' | 'ga4' | 'plausible' | 'snowplow' | 'matomo';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface RouteSettings {
  /** Normalised: no trailing slash, `''` for the root route. */
  readonly prefix: string;
  /** undefined: the inspection sink. */
  readonly upstream: string | undefined;
  readonly assetsUpstream: string | undefined;
  readonly format: FormatName;
  /** Rule packs of this route (resolved against the config's directory); undefined: the default. */
  readonly rules: readonly string[] | undefined;
}

export interface ProxySettings {
  readonly host: string;
  readonly port: number;
  /** Longest prefix first. */
  readonly routes: readonly RouteSettings[];
  readonly allowedOrigins: readonly string[];
  readonly maxBodyBytes: number;
  readonly maxEventsPerBatch: number;
  readonly maxHeaderBytes: number;
  readonly maxConnections: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly maxDecodedBytes: number;
  readonly logLevel: LogLevel;
}

export interface Overrides {
  upstream?: string;
  port?: number;
  host?: string;
  format?: FormatName;
  logLevel?: LogLevel;
}

function validUpstream(url: string, source: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError([{ file: source, line: 1, column: 1, message: 'upstream must be an http(s) URL' }]);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError([{ file: source, line: 1, column: 1, message: 'upstream must be an http(s) URL' }]);
  }
  return url.replace(/\/+$/, '');
}

export function envOverrides(env: NodeJS.ProcessEnv): Overrides {
  const out: Overrides = {};
  if (env.PHI_PROXY_UPSTREAM) out.upstream = validUpstream(env.PHI_PROXY_UPSTREAM, 'PHI_PROXY_UPSTREAM');
  if (env.PHI_PROXY_PORT) {
    const port = Number(env.PHI_PROXY_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new ConfigError([{ file: 'PHI_PROXY_PORT', line: 1, column: 1, message: 'must be a port number' }]);
    }
    out.port = port;
  }
  if (env.PHI_PROXY_LOG_LEVEL) out.logLevel = env.PHI_PROXY_LOG_LEVEL as LogLevel;
  return out;
}

export function resolveSettings(config: LoadedConfig, ...overrides: Overrides[]): ProxySettings {
  const o: Overrides = Object.assign({}, ...overrides);
  const spec = config.spec;
  const root: RouteSettings = {
    prefix: '',
    upstream: o.upstream ?? (spec.upstream ? validUpstream(spec.upstream, config.file ?? 'config') : undefined),
    assetsUpstream: spec.assets_upstream?.replace(/\/+$/, ''),
    format: o.format ?? spec.format ?? 'posthog',
    rules: undefined,
  };
  const routes: RouteSettings[] = (spec.routes ?? []).map((r) => ({
    prefix: r.prefix.replace(/\/+$/, ''),
    upstream: r.upstream?.replace(/\/+$/, ''),
    assetsUpstream: r.assets_upstream?.replace(/\/+$/, ''),
    format: r.format,
    rules: r.rules,
  }));
  if (!routes.some((r) => r.prefix === '')) routes.push(root);
  routes.sort((a, b) => b.prefix.length - a.prefix.length);
  return Object.freeze({
    host: o.host ?? spec.listen?.host ?? DEFAULT_HOST,
    port: o.port ?? spec.listen?.port ?? DEFAULT_PORT,
    routes: Object.freeze(routes),
    allowedOrigins: Object.freeze(spec.cors?.allowed_origins ?? ['*']),
    maxBodyBytes: spec.limits?.max_body_bytes ?? DEFAULT_MAX_BODY_BYTES,
    maxEventsPerBatch: spec.limits?.max_events_per_batch ?? DEFAULT_MAX_EVENTS_PER_BATCH,
    maxHeaderBytes: spec.limits?.max_header_bytes ?? DEFAULT_MAX_HEADER_BYTES,
    maxConnections: spec.limits?.max_connections ?? DEFAULT_MAX_CONNECTIONS,
    headersTimeoutMs: spec.limits?.headers_timeout_ms ?? DEFAULT_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: spec.limits?.request_timeout_ms ?? DEFAULT_REQUEST_TIMEOUT_MS,
    maxDecodedBytes: spec.limits?.max_decoded_bytes ?? DEFAULT_MAX_DECODED_BYTES,
    logLevel: o.logLevel ?? spec.log_level ?? 'info',
  });
}

/** The route for a request path: longest matching prefix on a segment boundary. */
export function routeFor(routes: readonly RouteSettings[], path: string): { route: RouteSettings; rest: string } | undefined {
  for (const route of routes) {
    if (route.prefix === '') return { route, rest: path };
    if (path === route.prefix || path.startsWith(route.prefix + '/')) return { route, rest: path.slice(route.prefix.length) || '/' };
  }
  return undefined;
}
