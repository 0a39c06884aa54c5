/**
 * The one schema for config files and rule packs. `phi-proxy check`, the loader and the JSON
 * Schema for editors all come from here, so they cannot disagree.
 */
import { z } from 'zod';

const letter = z.enum(['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P', 'Q', 'R']);
const nonEmpty = z.string().min(1, 'must not be empty');

const match = z.strictObject({
  /** Property names, anywhere in the event: `first_name|last_name`, `*_email`; case and `$`/`-`/camelCase insensitive. */
  keys: z.array(nonEmpty).optional(),
  /** Dotted path globs from the event root: `properties.$set.*`, `**.traits.email`. Arrays are transparent. */
  paths: z.array(nonEmpty).optional(),
  /** Value detectors to run on every string leaf in scope (all leaves when no keys/paths are given). */
  detectors: z.array(nonEmpty).optional(),
});

const ruleBase = {
  id: z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'rule ids use letters, digits and _ . : -'),
  /** The Safe Harbor identifier this rule implements (documentation, metrics, audit). */
  identifier: letter.optional(),
  description: z.string().optional(),
  match,
};

export const ruleSchema = z.discriminatedUnion('action', [
  z.strictObject({ ...ruleBase, action: z.literal('drop') }),
  z.strictObject({ ...ruleBase, action: z.literal('redact'), marker: z.string().optional() }),
  z.strictObject({
    ...ruleBase,
    action: z.literal('generalize'),
    /** What the value is; for detector matches it comes from the detector. */
    as: z.enum(['zip', 'date', 'birth_year', 'age', 'ip']).optional(),
    /** Keep this many leading bits of an IPv4 address (e.g. 24); absent: the address is removed. */
    ipv4_prefix: z.number().int().min(0).max(32).optional(),
    ipv6_prefix: z.number().int().min(0).max(128).optional(),
  }),
  z.strictObject({
    ...ruleBase,
    action: z.literal('url'),
    /** Query keys that survive (globs, case-insensitive); their values are still scanned. */
    allow_query: z.array(nonEmpty).optional(),
  }),
  z.strictObject({
    ...ruleBase,
    action: z.literal('pseudonymize'),
    /** `vault`: random surrogate (Safe Harbor). `hmac`: keyed hash (expert determination only). */
    method: z.enum(['vault', 'hmac']).optional(),
    /** Values in one namespace share surrogates (so `distinct_id` and `$user_id` still join). */
    namespace: z.string().regex(/^[a-z0-9_]+$/).optional(),
  }),
  z.strictObject({
    ...ruleBase,
    action: z.literal('keep'),
    /**
     * Keep only strings of this shape: timestamp, event_id, version, user_agent or number. A
     * string of another shape is scanned like any other field, so an e-mail in an id field
     * cannot ride through. Absent (and no shape_pattern): every value of the field is kept.
     */
    shape: z.enum(['timestamp', 'event_id', 'version', 'user_agent', 'number']).optional(),
    /** Your own shape: an RE2 pattern a kept string must match whole. Use instead of `shape`. */
    shape_pattern: nonEmpty.optional(),
  }),
]);

export const customDetectorSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_]*$/, 'detector ids are lower_snake_case'),
  /** RE2 syntax (linear time: no backreferences or lookaround). */
  pattern: nonEmpty,
  /** `i` for case-insensitive. */
  flags: z.enum(['', 'i']).optional(),
  identifier: letter.optional(),
  marker: z.string().optional(),
  /** At least one of these words must appear shortly before the match (case-insensitive). */
  context: z.array(nonEmpty).optional(),
});

export const rulePackSchema = z.strictObject({
  version: z.literal(1),
  description: z.string().optional(),
  detectors: z.array(customDetectorSchema).optional(),
  rules: z.array(ruleSchema),
});

const upstreamUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const formatName = z.enum(['posthog', 'segment', 'rudderstack', 'mixpanel', 'amplitude', 'ga4', 'plausible', 'snowplow', 'matomo']);

/** Candidate rules: scrubbed on a copy of each event, reported (metrics, audit) where they differ; never forwarded. */
export const shadowSchema = z.strictObject({
  /**
   * The candidate's rule packs, relative to the config file. At the top level they stand in for
   * `rules` (routes without their own `rules` still get their format's pack first); under a route
   * they stand in for that route's whole rule list.
   */
  rules: z.array(nonEmpty).min(1),
});

export const routeSchema = z.strictObject({
  /** Path prefix the SDK uses (`/ingest`); stripped before the format reads the path. */
  prefix: z.string().regex(/^\/[A-Za-z0-9._~/-]*$/, 'a path prefix such as /ingest'),
  /** Where scrubbed requests go; absent: the built-in inspection sink. */
  upstream: upstreamUrl.optional(),
  /** Where static assets and remote config come from, when another host serves them (PostHog cloud: us-assets.i.posthog.com). */
  assets_upstream: upstreamUrl.optional(),
  format: formatName,
  /** This route's rule packs (relative to the config file). Default: the format's shipped pack, then the config's `rules`. */
  rules: z.array(nonEmpty).min(1).optional(),
  /** A candidate rule set for this route, run beside the active one on live traffic (nothing it produces is forwarded). */
  shadow: shadowSchema.optional(),
});

export const configSchema = z.strictObject({
  listen: z
    .strictObject({
      host: nonEmpty.optional(),
      port: z.number().int().min(0).max(65535).optional(),
    })
    .optional(),
  /**
   * Terminate TLS in phi-proxy (HTTPS on `listen`); absent: plain HTTP (e.g. behind an ingress
   * that terminates TLS). Files are PEM, relative to this file; SIGHUP or a change to them reloads
   * the certificate. PHI_PROXY_TLS_CERT / PHI_PROXY_TLS_KEY override the two paths.
   */
  tls: z
    .strictObject({
      /** Certificate chain, leaf first. */
      cert_file: nonEmpty,
      /** The certificate's private key (unencrypted PEM: mount it from a secret; it is never logged). */
      key_file: nonEmpty,
      /** CA bundle for client certificates: when set, only clients presenting a certificate it signed may connect (mutual TLS). */
      ca_file: nonEmpty.optional(),
      /** Oldest protocol accepted. Default TLSv1.2. */
      min_version: z.enum(['TLSv1.2', 'TLSv1.3']).optional(),
      /** OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are always Node's). Default: Node's modern list; weak ciphers are refused. */
      ciphers: nonEmpty.optional(),
    })
    .optional(),
  /**
   * A separate plain-HTTP listener for /healthz, /readyz and /metrics; the public listener then
   * answers them 404. Absent: they are served on `listen`.
   */
  admin: z
    .strictObject({
      /** Default 127.0.0.1 (use 0.0.0.0 in a pod so the kubelet can probe it). */
      host: nonEmpty.optional(),
      port: z.number().int().min(0).max(65535),
    })
    .optional(),
  /** Upstream of the default route (`/`); absent: the built-in inspection sink. */
  upstream: upstreamUrl.optional(),
  assets_upstream: upstreamUrl.optional(),
  /** Wire format of the default route. */
  format: formatName.optional(),
  /**
   * The base URL where SDKs reach this proxy (e.g. https://analytics-proxy.example.org), for config
   * SDKs read back (Segment's apiHost). Default: from the request's Host header and connection,
   * which says http behind an ingress that terminates TLS.
   */
  public_url: upstreamUrl.optional(),
  /** More routes by path prefix, each with its own upstream and format (longest prefix wins). */
  routes: z.array(routeSchema).optional(),
  cors: z
    .strictObject({
      /** Origins browser SDKs may call from; `*` mirrors any origin. */
      allowed_origins: z.array(nonEmpty).optional(),
    })
    .optional(),
  session_recordings: z
    .strictObject({
      /** Recordings carry rendered page text; they can be forwarded only once replay scrubbing exists. */
      forward: z.literal(false, { error: 'session recordings cannot be forwarded yet: phi-proxy does not scrub replay data' }).optional(),
    })
    .optional(),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  /** `safe_harbor` (default) or `expert_determination`. */
  mode: z.enum(['safe_harbor', 'expert_determination']).optional(),
  /** Rule packs applied in order; paths are relative to this file. */
  rules: z.array(nonEmpty).min(1).optional(),
  detectors: z
    .strictObject({
      /** Regions whose national phone formats count without a `+` (ISO 3166 alpha-2). */
      phone_regions: z.array(z.string().regex(/^[A-Z]{2}$/, 'use ISO 3166 alpha-2 codes like US')).optional(),
    })
    .optional(),
  vault: z
    .strictObject({
      /** File holding the surrogate tokens (PHI at rest: owner-only, on a private volume). */
      path: nonEmpty.optional(),
    })
    .optional(),
  hmac: z
    .strictObject({
      /** Environment variable holding the key (never put the key itself in YAML). */
      key_env: nonEmpty.optional(),
      key_file: nonEmpty.optional(),
      /** Written into every pseudonym so keys can be rotated. */
      key_id: z.string().regex(/^[A-Za-z0-9]{1,16}$/).optional(),
    })
    .optional(),
  metrics: z
    .strictObject({
      /** Serve Prometheus metrics at `GET /metrics` (counts, rule ids, latencies; never values). Default true. */
      enabled: z.boolean().optional(),
    })
    .optional(),
  audit: z
    .strictObject({
      /** Append-only, hash-chained JSON-lines file of finding counts per rule and path (relative to this file); absent: no audit trail. */
      path: nonEmpty.optional(),
      /** Length of one counting window in seconds. Default 60. */
      window_seconds: z.number().int().min(1).max(86400).optional(),
      /** Rotate to a new file when the current one would exceed this size. Default 100 MiB. */
      max_bytes: z.number().int().min(4096).optional(),
    })
    .optional(),
  spool: z
    .strictObject({
      /**
       * Directory of the durable spool (relative to this file); absent: no spool, and an upstream
       * failure is answered 502 so the SDK retries. Only scrubbed requests are written here.
       */
      dir: nonEmpty.optional(),
      /** Spool size limit in bytes; when full, new requests get 503 with Retry-After. Default 1 GiB. */
      max_bytes: z.number().int().min(65536).optional(),
      /** Spooled requests older than this are given up (counted and logged). Default 7 days. */
      max_age_seconds: z.number().int().min(60).optional(),
      /** A live forward slower than this is spooled instead (the SDK gets its answer). Default 10000. */
      forward_timeout_ms: z.number().int().min(100).optional(),
      /** First retry delay in milliseconds; doubles per failure with full jitter. Default 500. */
      retry_initial_ms: z.number().int().min(10).optional(),
      /** Longest retry delay (and cap on an upstream's Retry-After), in milliseconds. Default 60000. */
      retry_max_ms: z.number().int().min(100).optional(),
      /** Spooled requests sent at once per route while catching up; 1 keeps strict order. Default 4. */
      delivery_concurrency: z.number().int().min(1).max(256).optional(),
      /** Sync each spooled file and its directory before acknowledging (survives power loss, not only a crash). Default true. */
      fsync: z.boolean().optional(),
    })
    .optional(),
  /** Candidate rules run beside the active `rules` (see routes[].shadow for a route's own). */
  shadow: shadowSchema.optional(),
  limits: z
    .strictObject({
      /** Deeper events are refused (not forwarded). */
      max_depth: z.number().int().min(1).max(10000).optional(),
      /** Longest string value or property name, in characters; an event holding a longer one is dropped. */
      max_string_length: z.number().int().min(64).optional(),
      /** Most properties in one object; an event with a wider object is dropped. */
      max_keys: z.number().int().min(8).optional(),
      /** Most events in one request; a larger batch is refused (413) so the SDK can split it. */
      max_events_per_batch: z.number().int().min(1).optional(),
      /** Largest request head (request line and headers), in bytes; beyond it the answer is 431. */
      max_header_bytes: z.number().int().min(1024).max(1048576).optional(),
      /** Most open client connections; more are closed at once (connection floods). */
      max_connections: z.number().int().min(1).optional(),
      /** A client must finish sending its headers within this time (slowloris), in milliseconds. */
      headers_timeout_ms: z.number().int().min(100).optional(),
      /** A client must finish sending its whole request within this time, in milliseconds. */
      request_timeout_ms: z.number().int().min(100).optional(),
      /** Largest request body as received, in bytes. */
      max_body_bytes: z.number().int().min(1024).optional(),
      /** Largest body after gunzip/base64/lz-string, in bytes (gzip bombs stop here). */
      max_decoded_bytes: z.number().int().min(1024).optional(),
    })
    .optional(),
});

export type RuleSpec = z.infer<typeof ruleSchema>;
export type RulePackSpec = z.infer<typeof rulePackSchema>;
export type CustomDetectorSpec = z.infer<typeof customDetectorSchema>;
export type ConfigSpec = z.infer<typeof configSchema>;
export type RuleAction = RuleSpec['action'];
