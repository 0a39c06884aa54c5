/**
 * `public_url`: behind an ingress that terminates TLS, config SDKs read back must point at the
 * ingress's https address, not at what the proxy's own plain-HTTP connection says.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { startProxy, type RunningProxy } from '../../src/proxy/server';
import { tempDir } from '../helpers';

const SETTINGS = { integrations: { 'Segment.io': { apiKey: 'wk_1', apiHost: 'api.segment.io/v1' } }, plan: { track: { __default: { enabled: true } } } };

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    }).on('error', reject);
  });
}

describe('public_url', () => {
  let cdn: http.Server;
  const proxies: RunningProxy[] = [];
  beforeAll(async () => {
    cdn = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(SETTINGS));
    });
    await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const p of proxies) await p.close();
    await new Promise((resolve) => cdn.close(resolve));
  });

  async function proxyWith(extra: string): Promise<RunningProxy> {
    const dir = tempDir();
    const cdnUrl = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
    fs.writeFileSync(path.join(dir, 'config.yaml'), `${extra}log_level: silent\nroutes:\n  - { prefix: /seg, format: segment, upstream: ${cdnUrl}, assets_upstream: ${cdnUrl} }\n`);
    const proxy = await startProxy({ configFile: path.join(dir, 'config.yaml'), overrides: { port: 0, host: '127.0.0.1' }, metricsRegistry: new Registry() });
    proxies.push(proxy);
    return proxy;
  }

  it('points Segment’s apiHost at the configured public URL, whatever the Host header says', async () => {
    const proxy = await proxyWith('public_url: https://analytics.example.org/\n');
    const answer = await get(`${proxy.url}/seg/v1/projects/wk_1/settings`, { host: 'internal-pod:8080' });
    expect(answer.status).toBe(200);
    expect(answer.json.integrations['Segment.io']).toMatchObject({ apiHost: 'analytics.example.org/seg/v1', protocol: 'https' });
  });

  it('without it, builds the address from the Host header and the connection (plain http here)', async () => {
    const proxy = await proxyWith('');
    const answer = await get(`${proxy.url}/seg/v1/projects/wk_1/settings`, { host: 'internal-pod:8080' });
    expect(answer.json.integrations['Segment.io']).toMatchObject({ apiHost: 'internal-pod:8080/seg/v1', protocol: 'http' });
  });
});
