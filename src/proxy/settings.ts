/**
 * The proxy's runtime settings: the config file's keys, overridden by environment variables
 * (`PHI_PROXY_UPSTREAM`, `PHI_PROXY_PORT`, `PHI_PROXY_LOG_LEVEL`, `PHI_PROXY_TLS_CERT`,
 * `PHI_PROXY_TLS_KEY`) and then by CLI flags.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import type { LoadedConfig } from '../config/load';
import { ConfigError, type ConfigIssue } from '../errors';

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
export const DEFAULT_ADMIN_HOST = '127.0.0.1';
export const DEFAULT_TLS_MIN_VERSION = 'TLSv1.2';

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

/** Where a setting was written, so an error can name it: a config file position, or an environment variable. */
export type SettingSource = Omit<ConfigIssue, 'message'>;

export interface TlsSettings {
  /** Absolute paths (config keys resolve against the config file's directory, variables against the working directory). */
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string | undefined;
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  readonly ciphers: string | undefined;
  readonly at: Readonly<Record<'cert_file' | 'key_file' | 'ca_file' | 'ciphers', SettingSource>>;
}

export interface AdminSettings {
  readonly host: string;
  readonly port: number;
}

export interface ProxySettings {
  readonly host: string;
  readonly port: number;
  /** HTTPS on the public listener; undefined: plain HTTP. */
  readonly tls: TlsSettings | undefined;
  /** A separate plain-HTTP listener for /healthz, /readyz and /metrics; undefined: the public one serves them. */
  readonly admin: AdminSettings | undefined;
  /** Longest prefix first. */
  readonly routes: readonly RouteSettings[];
  readonly allowedOrigins: readonly string[];
  /** Where SDKs reach the proxy, without a trailing slash; undefined: from each request. */
  readonly publicUrl: string | undefined;
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
  /** Absolute paths (PHI_PROXY_TLS_CERT / PHI_PROXY_TLS_KEY). */
  tlsCertFile?: string;
  tlsKeyFile?: string;
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
  if (env.PHI_PROXY_TLS_CERT) out.tlsCertFile = path.resolve(env.PHI_PROXY_TLS_CERT);
  if (env.PHI_PROXY_TLS_KEY) out.tlsKeyFile = path.resolve(env.PHI_PROXY_TLS_KEY);
  return out;
}

/**
 * TLS from the config's `tls` key and the PHI_PROXY_TLS_CERT / PHI_PROXY_TLS_KEY variables (which
 * replace the two paths, or enable TLS with the defaults when both are set and the key is absent).
 */
function resolveTls(config: LoadedConfig, o: Overrides): TlsSettings | undefined {
  const spec = config.spec.tls;
  const fromEnv = (name: string): SettingSource => ({ file: name, line: 1, column: 1 });
  const fromConfig = (key: string): SettingSource => {
    const { message: _, ...at } = config.issueAt(spec && key in spec ? ['tls', key] : ['tls'], '');
    return at;
  };
  if (spec === undefined && o.tlsCertFile === undefined && o.tlsKeyFile === undefined) return undefined;
  if (spec === undefined && (o.tlsCertFile === undefined || o.tlsKeyFile === undefined)) {
    const name = o.tlsCertFile === undefined ? 'PHI_PROXY_TLS_KEY' : 'PHI_PROXY_TLS_CERT';
    throw new ConfigError([{ ...fromEnv(name), message: 'PHI_PROXY_TLS_CERT and PHI_PROXY_TLS_KEY must be set together (or set tls.cert_file and tls.key_file in the config)' }]);
  }
  const file = (value: string | undefined, override: string | undefined): string | undefined =>
    override ?? (value === undefined ? undefined : path.resolve(config.baseDir, value));
  return Object.freeze({
    certFile: file(spec?.cert_file, o.tlsCertFile)!,
    keyFile: file(spec?.key_file, o.tlsKeyFile)!,
    caFile: file(spec?.ca_file, undefined),
    minVersion: spec?.min_version ?? DEFAULT_TLS_MIN_VERSION,
    ciphers: spec?.ciphers,
    at: Object.freeze({
      cert_file: o.tlsCertFile !== undefined ? fromEnv('PHI_PROXY_TLS_CERT') : fromConfig('cert_file'),
      key_file: o.tlsKeyFile !== undefined ? fromEnv('PHI_PROXY_TLS_KEY') : fromConfig('key_file'),
      ca_file: fromConfig('ca_file'),
      ciphers: fromConfig('ciphers'),
    }),
  });
}

/** What OpenSSL must never negotiate, appended to a configured cipher list. */
const CIPHER_EXCLUSIONS = ':!aNULL:!eNULL:!EXPORT:!LOW:!DES:!3DES:!RC4:!MD5:!PSK:!SRP';
/** Cipher-list entries that name weak ciphers (or everything): refused rather than silently filtered. */
const WEAK_CIPHER = /NULL|EXP|RC4|RC2|DES|MD5|anon|ADH|AECDH|IDEA|SEED|PSK|SRP|LOW|^ALL$|COMPLEMENTOF/i;

/**
 * Reads and checks the TLS files; the result goes to https.createServer and setSecureContext.
 * Every problem becomes a ConfigError naming the key (`tls.key_file`) and where it was set,
 * never a file's contents. Node's defaults stay for everything not configured: TLS 1.3 suites,
 * the modern TLS 1.2 cipher list, maximum version TLS 1.3.
 */
export function loadTls(settings: TlsSettings): tls.SecureContextOptions {
  const issues: ConfigIssue[] = [];
  const issue = (key: keyof TlsSettings['at'], message: string) => issues.push({ ...settings.at[key], message: `tls.${key}: ${message}` });
  const read = (key: keyof TlsSettings['at'], file: string): Buffer | undefined => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      issue(key, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
      return undefined;
    }
  };
  const cert = read('cert_file', settings.certFile);
  const key = read('key_file', settings.keyFile);
  const ca = settings.caFile === undefined ? undefined : read('ca_file', settings.caFile);

  let leaf: crypto.X509Certificate | undefined;
  if (cert !== undefined) {
    try {
      leaf = new crypto.X509Certificate(cert);
    } catch {
      issue('cert_file', `${settings.certFile} is not a PEM certificate`);
    }
  }
  let privateKey: crypto.KeyObject | undefined;
  if (key !== undefined) {
    try {
      privateKey = crypto.createPrivateKey(key);
    } catch (err) {
      const encrypted = (err as NodeJS.ErrnoException).code === 'ERR_MISSING_PASSPHRASE';
      issue('key_file', `${settings.keyFile} is not ${encrypted ? 'an unencrypted' : 'a PEM'} private key`);
    }
  }
  if (leaf !== undefined && privateKey !== undefined && !leaf.checkPrivateKey(privateKey)) {
    issue('key_file', `the key in ${settings.keyFile} does not belong to the certificate in tls.cert_file`);
  }
  if (ca !== undefined) {
    // OpenSSL skips what it cannot parse in a CA bundle: check every block ourselves.
    const blocks = ca.toString('latin1').match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
    const parses = (block: string) => {
      try {
        return new crypto.X509Certificate(block) !== undefined;
      } catch {
        return false;
      }
    };
    if (blocks.length === 0 || !blocks.every(parses)) issue('ca_file', `${settings.caFile} is not a PEM bundle of CA certificates`);
  }
  let ciphers: string | undefined;
  if (settings.ciphers !== undefined) {
    const weak = settings.ciphers.split(/[:, ]+/).filter((c) => c !== '' && !/^[!-]/.test(c) && WEAK_CIPHER.test(c));
    if (weak.length > 0) issue('ciphers', `weak ciphers are not allowed: ${weak.join(', ')}`);
    else ciphers = settings.ciphers + CIPHER_EXCLUSIONS;
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const options: tls.SecureContextOptions = { cert, key, minVersion: settings.minVersion, honorCipherOrder: true, ...(ca ? { ca } : {}), ...(ciphers ? { ciphers } : {}) };
  try {
    tls.createSecureContext(options);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ERR_SSL_NO_CIPHER_MATCH') issue('ciphers', 'no usable cipher in the list');
    else issue('cert_file', `OpenSSL refused the certificate and key (${code})`);
    throw new ConfigError(issues);
  }
  return options;
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
  const port = o.port ?? spec.listen?.port ?? DEFAULT_PORT;
  const tlsSettings = resolveTls(config, o);
  if (tlsSettings !== undefined) loadTls(tlsSettings); // refuse unreadable or mismatched files now, with the config's other errors
  const admin = spec.admin && Object.freeze({ host: spec.admin.host ?? DEFAULT_ADMIN_HOST, port: spec.admin.port });
  if (admin !== undefined && admin.port !== 0 && admin.port === port) {
    throw new ConfigError([config.issueAt(['admin', 'port'], 'admin.port: must differ from the public port (listen.port)')]);
  }
  return Object.freeze({
    host: o.host ?? spec.listen?.host ?? DEFAULT_HOST,
    port,
    tls: tlsSettings,
    admin,
    routes: Object.freeze(routes),
    allowedOrigins: Object.freeze(spec.cors?.allowed_origins ?? ['*']),
    publicUrl: spec.public_url?.replace(/\/+$/, ''),
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
