/**
 * The contract of a wire format: how one SDK's requests are read and written. A format only
 * decodes and re-encodes; it never scrubs and never talks to the network, so the proxy stays
 * format-agnostic and every format is testable on bytes alone.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface IncomingRequest {
  readonly method: string;
  /** Path below the route's prefix, e.g. `/e/`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The raw body as received (empty for GET). */
  readonly body: Buffer;
  /**
   * The client's address as the proxy saw it (the TCP peer). Never forward it: a format may only
   * derive a pseudonymous stand-in from it (Plausible counts visitors by IP).
   */
  readonly clientIp: string;
  /** The proxy's own public base URL for this route, e.g. `https://proxy.example.org/seg`, for rewriting config that points SDKs at their host. */
  readonly publicBaseUrl: string;
}

/**
 * Rewrites the upstream's answer before the SDK sees it (e.g. Segment's settings must point the
 * SDK back at the proxy). Gets the decoded body; returns the new body.
 */
export type ResponseRewriter = (body: Buffer, response: { status: number; contentType: string }) => Buffer;

/** What to send upstream instead of the original request. */
export interface OutgoingRequest {
  /** Path and query string, e.g. `/e/?compression=gzip-js`. */
  readonly path: string;
  readonly body: Buffer | undefined;
  /** Header changes: a string sets, undefined removes. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rewriteResponse?: ResponseRewriter;
}

export interface DecodeLimits {
  /** Largest body after decompression and base64 decoding, in bytes (gzip bombs stop here). */
  readonly maxDecodedBytes: number;
}

/** The events of a request and how to put scrubbed ones back into the same shape. */
export interface DecodedBatch {
  readonly events: unknown[];
  /**
   * true: the events are one unit (a flags request): if any cannot be scrubbed the request is
   * refused. false: an event that cannot be scrubbed is dropped and the rest go on.
   */
  readonly allOrNothing: boolean;
  /**
   * true: the SDK reads the upstream's answer (feature flags), so the request is never spooled:
   * with the upstream down it gets 502. Default false: a spooled request is acknowledged with
   * `emptyResponse`, the vendor's own success answer.
   */
  readonly readsAnswer?: boolean;
  /** Everything around the events (envelope fields); scrubbed as one more unit. */
  readonly envelope: Record<string, unknown> | undefined;
  encode(events: unknown[], envelope: Record<string, unknown> | undefined): OutgoingRequest;
  /** The answer when every event was dropped and nothing is forwarded. */
  readonly emptyResponse: LocalResponse;
  /**
   * The answer when an all-or-nothing batch cannot be scrubbed and is refused; in the vendor's
   * own terms, so the SDK gives the batch up instead of retrying it. Default: 422 with a reason.
   */
  readonly refusedResponse?: LocalResponse;
}

export interface LocalResponse {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
}

export type Handling =
  /** Decode, scrub, re-encode, forward. */
  | { readonly kind: 'events'; readonly batch: DecodedBatch }
  /** Forward unchanged (static assets, remote config); `path` carries only the query keys that may go. */
  | { readonly kind: 'passthrough'; readonly path: string; readonly rewriteResponse?: ResponseRewriter }
  /** Answer here without forwarding (e.g. session recordings that must not leave). */
  | { readonly kind: 'respond'; readonly response: LocalResponse; readonly reason: string }
  /** A path this format does not know: refused, never forwarded raw. */
  | { readonly kind: 'unknown' };

export interface WireFormat {
  readonly name: string;
  /** Throws InputError when the body cannot be decoded (the request is then refused). */
  handle(request: IncomingRequest, limits: DecodeLimits): Handling;
}
