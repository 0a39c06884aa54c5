/**
 * TLS termination in phi-proxy (`tls:`): certificates generated at test time with openssl, a real
 * posthog-node client verifying the proxy's certificate, protocol floors checked against a
 * control server that does speak TLS 1.1 (so a refusal is the proxy's doing), configuration
 * errors that name the key and its line, certificate reload, and client certificates (`ca_file`).
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import * as tls from 'node:tls';
import { PostHog } from 'posthog-node';
import { Registry } from 'prom-client';
import { ConfigError } from '../../src/errors';
import { startProxy, type RunningProxy } from '../../src/proxy/server';
import { startRecordingUpstream, type RecordingUpstream } from '../e2e/recording-upstream';
import { tempDir } from '../helpers';

jest.setTimeout(30_000);

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A self-signed server certificate for localhost / 127.0.0.1: `<name>.crt`, `<name>.key`. */
function serverCert(dir: string, name: string): void {
  openssl(dir, 'req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1');
}

/** A client CA and a client certificate it signed (the ingress, in mutual TLS). */
function clientCerts(dir: string): void {
  openssl(dir, 'req', '-x509', ...EC, '-keyout', 'client-ca.key', '-out', 'client-ca.crt', '-days', '2', '-subj', '/CN=test client CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  openssl(dir, 'req', ...EC, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=ingress');
  openssl(dir, 'x509', '-req', '-in', 'client.csr', '-CA', 'client-ca.crt', '-CAkey', 'client-ca.key', '-set_serial', '7', '-days', '2', '-out', 'client.crt');
}

interface Handshake { protocol?: string | null; fingerprint?: string; cipher?: string; error?: string }

/** One TLS handshake with the given client options; resolves with what was negotiated, or the error code. */
function handshake(port: number, options: tls.ConnectionOptions): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...options }, () => {
      const result = { protocol: socket.getProtocol(), fingerprint: socket.getPeerCertificate().fingerprint256, cipher: socket.getCipher().name };
      socket.end();
      resolve(result);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    // A refused client certificate shows up after the handshake, as the server closes the connection.
    socket.on('data', () => undefined);
  });
}

/** Client options that really offer TLS 1.1 (OpenSSL 3 needs security level 0 for it). */
const TLS11 = { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' } as const;

function bodyBytes(body: unknown): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(new Uint8Array(body));
  throw new Error(`unexpected body type ${Object.prototype.toString.call(body)}`);
}

/** A fetch for posthog-node over node:https that trusts only `ca` and records the negotiated protocol. */
function httpsFetch(ca: Buffer, protocols: (string | null)[]): (url: string, options: any) => Promise<Response> {
  return (url, options) =>
    new Promise((resolve, reject) => {
      const headers = Object.fromEntries(new Headers(options?.headers ?? {}));
      const req = https.request(url, { method: options?.method ?? 'GET', headers, ca, agent: false }, (res) => {
        protocols.push((res.socket as tls.TLSSocket).getProtocol());
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h = new Headers();
          for (let i = 0; i < res.rawHeaders.length; i += 2) h.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode, headers: h }));
        });
      });
      req.on('error', reject);
      req.end(options?.body === undefined ? undefined : bodyBytes(options.body));
    });
}

function configFile(dir: string, lines: string[]): string {
  const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, ['vault: { path: vault.jsonl }', ...lines].join('\n') + '\n');
  return file;
}

const start = (configFile: string, extra: { env?: NodeJS.ProcessEnv; logs?: PassThrough } = {}) =>
  startProxy({ configFile, env: extra.env ?? {}, overrides: { port: 0, host: '127.0.0.1' }, sinkOutput: new PassThrough(), logDestination: extra.logs ?? new PassThrough(), metricsRegistry: new Registry() });

/** The ConfigError startProxy refuses a config with. */
async function refusal(configFile: string, env: NodeJS.ProcessEnv = {}): Promise<ConfigError> {
  const err = await start(configFile, { env }).then(
    async (p) => {
      await p.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('TLS termination', () => {
  let dir: string;
  let upstream: RecordingUpstream;
  let proxy: RunningProxy;
  let cert: Buffer;

  beforeAll(async () => {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
    } catch {
      throw new Error('these tests generate certificates with openssl: install it (apt-get install openssl)');
    }
    dir = tempDir();
    serverCert(dir, 'server');
    serverCert(dir, 'other');
    clientCerts(dir);
    cert = fs.readFileSync(path.join(dir, 'server.crt'));
    upstream = await startRecordingUpstream();
    proxy = await start(configFile(dir, [`upstream: ${upstream.url}`, 'tls: { cert_file: server.crt, key_file: server.key }']));
  });
  afterAll(async () => {
    await proxy?.close();
    await upstream?.close();
  });
  beforeEach(() => upstream.requests.splice(0));

  it('serves HTTPS: posthog-node, verifying the certificate, sends through it and only scrubbed events reach the upstream', async () => {
    expect(proxy.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const protocols: (string | null)[] = [];
    const errors: unknown[] = [];
    const ph = new PostHog('phc_testtoken', { host: proxy.url, flushAt: 1, flushInterval: 0, fetchRetryCount: 0, fetch: httpsFetch(cert, protocols) as any });
    ph.on('error', (err: unknown) => errors.push(err));
    ph.capture({ distinctId: 'patient-123', event: 'appointment_booked', properties: { email: 'jane.doe@example.com', plan: 'pro' } });
    await ph.shutdown();
    expect(errors).toEqual([]);
    expect(protocols.length).toBeGreaterThan(0);
    expect(new Set(protocols)).toEqual(new Set(['TLSv1.3']));
    const events = upstream.events();
    expect(events.map((e) => e.event)).toEqual(['appointment_booked']);
    expect(events[0]).toMatchObject({ properties: { email: '[EMAIL]', plan: 'pro' } });
    const seen = upstream.everything();
    for (const planted of ['patient-123', 'jane.doe@example.com']) expect(seen).not.toContain(planted);
  });

  it('refuses plain HTTP and clients that do not trust the certificate', async () => {
    const plain = await fetch(proxy.url.replace('https:', 'http:') + '/healthz').then((r) => r.status, (e: Error) => e.name);
    expect(plain).not.toBe(200);
    expect((await handshake(proxy.port, {})).error).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('accepts TLS 1.2 and 1.3 and refuses TLS 1.1 (which the same client negotiates with a server that allows it)', async () => {
    expect(await handshake(proxy.port, { ca: cert, minVersion: 'TLSv1.3' })).toMatchObject({ protocol: 'TLSv1.3' });
    expect(await handshake(proxy.port, { ca: cert, maxVersion: 'TLSv1.2' })).toMatchObject({ protocol: 'TLSv1.2' });

    const control = tls.createServer({ cert, key: fs.readFileSync(path.join(dir, 'server.key')), minVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }, (s) => s.end());
    await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
    try {
      expect(await handshake((control.address() as AddressInfo).port, { ca: cert, ...TLS11 })).toMatchObject({ protocol: 'TLSv1.1' });
    } finally {
      control.close();
    }
    const refused = await handshake(proxy.port, { ca: cert, ...TLS11 });
    expect(refused.protocol).toBeUndefined();
    expect(refused.error).toMatch(/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL/);
  });

  it('min_version: TLSv1.3 refuses TLS 1.2; `ciphers` limits TLS 1.2 to the list', async () => {
    const strict = await start(configFile(dir, ['tls: { cert_file: server.crt, key_file: server.key, min_version: TLSv1.3 }']));
    try {
      expect((await handshake(strict.port, { ca: cert, maxVersion: 'TLSv1.2' })).error).toMatch(/PROTOCOL_VERSION/);
      expect(await handshake(strict.port, { ca: cert })).toMatchObject({ protocol: 'TLSv1.3' });
    } finally {
      await strict.close();
    }
    const listed = await start(configFile(dir, ['tls: { cert_file: server.crt, key_file: server.key, ciphers: "ECDHE-ECDSA-AES256-GCM-SHA384" }']));
    try {
      expect(await handshake(listed.port, { ca: cert, maxVersion: 'TLSv1.2' })).toMatchObject({ protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES256-GCM-SHA384' });
      expect((await handshake(listed.port, { ca: cert, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })).error).toMatch(/HANDSHAKE_FAILURE/);
    } finally {
      await listed.close();
    }
  });

  it('a missing certificate is a config error naming tls.cert_file at its line', async () => {
    const file = configFile(dir, ['tls:', '  cert_file: missing.crt', '  key_file: server.key']);
    const err = await refusal(file);
    expect(err.issues).toHaveLength(1);
    expect(err.message).toBe(`${file}:3:14: tls.cert_file: cannot read ${path.join(dir, 'missing.crt')} (ENOENT)`);
  });

  it('a bad or mismatched key is a config error naming tls.key_file, never showing the key', async () => {
    const secret = 'MIGHAgEAMBMGByqGSM49-THIS-IS-KEY-MATERIAL';
    fs.writeFileSync(path.join(dir, 'garbage.key'), `-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----\n`);
    const garbage = await refusal(configFile(dir, ['tls:', '  cert_file: server.crt', '  key_file: garbage.key']));
    expect(garbage.message).toMatch(/:4:13: tls\.key_file: .*garbage\.key is not a PEM private key$/);
    expect(garbage.message).not.toContain(secret);

    const mismatched = await refusal(configFile(dir, ['tls:', '  cert_file: server.crt', '  key_file: other.key']));
    expect(mismatched.message).toMatch(/:4:13: tls\.key_file: the key in .*other\.key does not belong to the certificate in tls\.cert_file$/);
    expect(mismatched.message).not.toContain(fs.readFileSync(path.join(dir, 'other.key'), 'utf8').split('\n')[1]);

    const notCert = await refusal(configFile(dir, ['tls: { cert_file: server.key, key_file: server.key }']));
    expect(notCert.message).toMatch(/tls\.cert_file: .*server\.key is not a PEM certificate$/);
  });

  it('weak ciphers and half of the environment override are refused; the variables replace the config paths', async () => {
    const weak = await refusal(configFile(dir, ['tls: { cert_file: server.crt, key_file: server.key, ciphers: "ECDHE-RSA-AES128-GCM-SHA256:RC4-SHA:DES-CBC3-SHA" }']));
    expect(weak.message).toMatch(/tls\.ciphers: weak ciphers are not allowed: RC4-SHA, DES-CBC3-SHA$/);

    const half = await refusal(configFile(dir, []), { PHI_PROXY_TLS_CERT: path.join(dir, 'server.crt') });
    expect(half.message).toMatch(/^PHI_PROXY_TLS_CERT:1:1: PHI_PROXY_TLS_CERT and PHI_PROXY_TLS_KEY must be set together/);

    const badEnv = await refusal(configFile(dir, ['tls: { cert_file: server.crt, key_file: server.key }']), { PHI_PROXY_TLS_CERT: path.join(dir, 'nope.crt') });
    expect(badEnv.message).toBe(`PHI_PROXY_TLS_CERT:1:1: tls.cert_file: cannot read ${path.join(dir, 'nope.crt')} (ENOENT)`);

    const fromEnv = await start(configFile(dir, []), { env: { PHI_PROXY_TLS_CERT: path.join(dir, 'other.crt'), PHI_PROXY_TLS_KEY: path.join(dir, 'other.key') } });
    try {
      const otherFingerprint = new X509Certificate(fs.readFileSync(path.join(dir, 'other.crt'))).fingerprint256;
      expect(await handshake(fromEnv.port, { ca: fs.readFileSync(path.join(dir, 'other.crt')) })).toMatchObject({ protocol: 'TLSv1.3', fingerprint: otherFingerprint });
    } finally {
      await fromEnv.close();
    }
  });

  it('reloads the certificate (SIGHUP → reload) and keeps the running one when the new pair is bad', async () => {
    const live = tempDir();
    for (const f of ['server.crt', 'server.key']) fs.copyFileSync(path.join(dir, f), path.join(live, f));
    const logs = new PassThrough();
    let logText = '';
    logs.on('data', (d) => (logText += d));
    const reloading = await start(configFile(live, ['tls: { cert_file: server.crt, key_file: server.key }']), { logs });
    const fingerprint = (name: string) => new X509Certificate(fs.readFileSync(path.join(dir, name))).fingerprint256;
    try {
      const trustBoth = { ca: [cert, fs.readFileSync(path.join(dir, 'other.crt'))] };
      expect((await handshake(reloading.port, trustBoth)).fingerprint).toBe(fingerprint('server.crt'));
      // A half-written pair (new certificate, old key) is refused; the running certificate stays.
      fs.copyFileSync(path.join(dir, 'other.crt'), path.join(live, 'server.crt'));
      reloading.reload('SIGHUP');
      expect((await handshake(reloading.port, trustBoth)).fingerprint).toBe(fingerprint('server.crt'));
      expect(logText).toMatch(/TLS reload refused, running certificate kept: .*tls\.key_file: the key in/);
      fs.copyFileSync(path.join(dir, 'other.key'), path.join(live, 'server.key'));
      reloading.reload('SIGHUP');
      expect((await handshake(reloading.port, trustBoth)).fingerprint).toBe(fingerprint('other.crt'));
      expect(logText).toContain('TLS certificate reloaded');
      expect(logText).not.toContain('BEGIN');
    } finally {
      await reloading.close();
    }
  });

  it('ca_file: only clients presenting a certificate signed by that CA get an answer', async () => {
    const mutual = await start(configFile(dir, ['tls: { cert_file: server.crt, key_file: server.key, ca_file: client-ca.crt }']));
    const get = (options: https.RequestOptions) =>
      new Promise<number | string>((resolve) => {
        const req = https.get(`${mutual.url}/healthz`, { ca: cert, agent: false, ...options }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      });
    try {
      expect(await get({ cert: fs.readFileSync(path.join(dir, 'client.crt')), key: fs.readFileSync(path.join(dir, 'client.key')) })).toBe(200);
      expect(await get({})).not.toBe(200);
      // A certificate the CA did not sign (the other server's, self-signed) is refused too.
      expect(await get({ cert: fs.readFileSync(path.join(dir, 'other.crt')), key: fs.readFileSync(path.join(dir, 'other.key')) })).not.toBe(200);
    } finally {
      await mutual.close();
    }
    const badCa = await refusal(configFile(dir, ['tls: { cert_file: server.crt, key_file: server.key, ca_file: server.key }']));
    expect(badCa.message).toMatch(/tls\.ca_file: .*server\.key is not a PEM bundle of CA certificates$/);
  });
});
