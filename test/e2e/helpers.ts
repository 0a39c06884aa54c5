/**
 * Shared plumbing for the end-to-end tests: a proxy on the default Safe Harbor pack in front of a
 * recording upstream, leak search over everything the upstream received, and polling.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { startProxy, type RunningProxy } from '../../src/proxy/server';
import { startRecordingUpstream, type Recorded, type RecordingUpstream } from './recording-upstream';

export interface Stack {
  upstream: RecordingUpstream;
  proxy: RunningProxy;
  dir: string;
  close(): Promise<void>;
}

/**
 * The default rule pack (no `rules:` in the config) with the token vault in a temporary
 * directory, forwarding to a fresh recording upstream. `extraConfig` is appended to config.yaml.
 */
export async function startStack(extraConfig = ''): Promise<Stack> {
  const upstream = await startRecordingUpstream();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phi-proxy-e2e-'));
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, `vault:\n  path: vault.jsonl\n${extraConfig}`);
  let proxy: RunningProxy;
  try {
    proxy = await startProxy({ configFile, overrides: { upstream: upstream.url, port: 0, host: '127.0.0.1', logLevel: 'silent' } });
  } catch (err) {
    await upstream.close();
    throw err;
  }
  return {
    upstream,
    proxy,
    dir,
    close: async () => {
      await proxy.close();
      await upstream.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The forms a planted value can take on the wire: as is, percent-encoded, form-encoded, JSON-escaped. */
export function wireForms(value: string): string[] {
  const forms = new Set<string>([
    value,
    encodeURIComponent(value),
    encodeURIComponent(value).replace(/%20/g, '+'),
    new URLSearchParams({ x: value }).toString().slice(2),
    JSON.stringify(value).slice(1, -1),
  ]);
  return [...forms];
}

/**
 * The planted values (in any wire form) that occur in `haystack`. Case-insensitive, because URL
 * and host handling may change case; `%40` and `%2540` style double encoding is covered by
 * searching the encoded form too.
 */
export function leaksIn(haystack: string, planted: readonly string[]): string[] {
  const lower = haystack.toLowerCase();
  const found: string[] = [];
  for (const value of planted) {
    for (const form of wireForms(value)) {
      if (lower.includes(form.toLowerCase())) found.push(form === value ? value : `${value} (as ${form})`);
    }
  }
  return found;
}

/** Everything the upstream received, plus each gzip body's decoded text and each form's decoded `data`. */
export function haystackOf(upstream: RecordingUpstream): string {
  const extra: string[] = [];
  for (const r of upstream.requests) extra.push(...decodedViews(r));
  return [upstream.everything(), ...extra].join('\n');
}

/** Independent extra views of a request: gunzipped body, URL-decoded body and query, base64 `data`. */
function decodedViews(r: Recorded): string[] {
  const out: string[] = [];
  let bytes = r.raw;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch {
      /* the upstream's own decode covers this */
    }
  }
  const text = bytes.toString('utf8');
  out.push(text);
  for (const source of [text, new URLSearchParams(r.query).toString()]) {
    try {
      const data = new URLSearchParams(source).get('data');
      if (data) out.push(data, Buffer.from(data, 'base64').toString('utf8'));
    } catch {
      /* not a form */
    }
  }
  return out;
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Requests the upstream received on a path (regex over the path without query). */
export function requestsTo(upstream: RecordingUpstream, re: RegExp): Recorded[] {
  return upstream.requests.filter((r) => re.test(r.path));
}

/** Headers that identify the client or page and must never reach the vendor. */
export const CLIENT_HEADERS = ['x-forwarded-for', 'x-real-ip', 'forwarded', 'cookie', 'referer', 'origin', 'via', 'true-client-ip', 'cf-connecting-ip'];

export function clientHeadersSeen(upstream: RecordingUpstream): string[] {
  const seen: string[] = [];
  for (const r of upstream.requests) for (const h of CLIENT_HEADERS) if (r.headers[h] !== undefined) seen.push(`${r.method} ${r.path}: ${h}`);
  return seen;
}

/** Requests whose Host header is not the upstream's own address. */
export function foreignHostHeaders(upstream: RecordingUpstream): string[] {
  const own = new URL(upstream.url).host;
  return upstream.requests.filter((r) => r.headers.host !== own).map((r) => `${r.method} ${r.path}: host=${String(r.headers.host)}`);
}

/** Debian's Chromium (a test tool's own browser download cannot run here). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Headless Chromium as every browser-SDK test runs it: no background network traffic, no
 * automation flag (SDKs drop events from webdriver sessions), and `hosts` resolved to 127.0.0.1
 * so a test page lives on its own origin, apart from the proxy's, and CORS is exercised.
 */
export function launchChromium(...hosts: string[]): Promise<import('puppeteer-core').Browser> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const puppeteer = require('puppeteer-core') as typeof import('puppeteer-core');
  const args = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-blink-features=AutomationControlled',
  ];
  if (hosts.length > 0) args.push(`--host-resolver-rules=${hosts.map((host) => `MAP ${host} 127.0.0.1`).join(', ')}`);
  return puppeteer.launch({ executablePath: CHROMIUM, headless: true, args });
}
