/**
 * Passthrough forwarding (static assets, remote config) with http-proxy-middleware over keep-alive
 * agents (without one, version 3 opens a connection per request: ~2k req/s instead of ~5.5k here,
 * see shared/stack-notes.md): the answer streams to the client. Scrubbed events, whose bodies are
 * already in memory, go through upstream.ts instead. Only allow-listed client headers go along
 * (http.ts).
 */
import type * as http from 'node:http';
import type { Socket } from 'node:net';
import { createProxyMiddleware, responseInterceptor, type RequestHandler } from 'http-proxy-middleware';
import type { ResponseRewriter } from '../formats/types';
import { isForwardedHeader, sendJson } from './http';
import { upstreamAgents as agents } from './upstream';

/** Set by the proxy before forwarding: how to rewrite the answer, for formats that must. */
export interface ForwardingRequest extends http.IncomingMessage {
  phiRewrite?: ResponseRewriter;
}

/**
 * A passthrough forwarder for one upstream: no body goes up (the client's was read and the
 * asset and config paths take none). With `rewriting`, the response is buffered and passed
 * through the request's `phiRewrite`.
 */
export function createForwarder(target: string, rewriting = false, timeoutMs = 30_000): RequestHandler<ForwardingRequest, http.ServerResponse> {
  const agent = target.startsWith('https:') ? agents.https : agents.http;
  return createProxyMiddleware<ForwardingRequest, http.ServerResponse>({
    selfHandleResponse: rewriting,
    target,
    changeOrigin: true, // Host is the upstream's
    xfwd: false, // never add X-Forwarded-For
    agent,
    proxyTimeout: timeoutMs,
    timeout: timeoutMs,
    logger: undefined,
    on: {
      proxyReq(proxyReq) {
        for (const name of proxyReq.getHeaderNames()) if (!isForwardedHeader(name)) proxyReq.removeHeader(name);
        for (const name of ['content-length', 'content-type', 'content-encoding', 'transfer-encoding']) proxyReq.removeHeader(name);
      },
      proxyRes: (proxyRes, req, res) => {
        // The proxy answers CORS itself; the vendor's view of origins does not apply here.
        for (const name of Object.keys(proxyRes.headers)) if (name.startsWith('access-control-')) delete proxyRes.headers[name];
        if (!rewriting) return;
        const rewrite = req.phiRewrite;
        void responseInterceptor(async (body, upstreamRes) =>
          rewrite ? rewrite(body, { status: upstreamRes.statusCode ?? 200, contentType: String(upstreamRes.headers['content-type'] ?? '') }) : body,
        )(proxyRes, req, res);
      },
      error(_err, _req, res) {
        if ('setHeader' in res) sendJson(res as http.ServerResponse, 502, { error: 'upstream unavailable' });
        else (res as Socket).destroy();
      },
    },
  });
}
