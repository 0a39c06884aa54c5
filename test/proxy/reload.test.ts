import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { startProxy, type RunningProxy } from '../../src/proxy/server';
import { startRecordingUpstream, type RecordingUpstream } from '../e2e/recording-upstream';
import { writeConfig } from '../helpers';

function post(url: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function getJson(url: string): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve(JSON.parse(text)));
    }).on('error', reject);
  });
}

async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const PACK = (extra = '') => `version: 1
rules:
  - id: emails
    match: { keys: [email] }
    action: redact
    marker: '[EMAIL]'
${extra}`;
const NICKNAME_RULE = `  - id: nicknames
    match: { keys: [nickname] }
    action: redact
    marker: '[NICK]'
`;
const EVENT = { api_key: 'phc_x', batch: [{ event: 'e', properties: { email: 'jane@example.com', nickname: 'JJ' } }] };

describe('hot reload', () => {
  let upstream: RecordingUpstream;
  let proxy: RunningProxy;
  let rulesFile: string;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    const config = writeConfig({ 'config.yaml': `upstream: ${upstream.url}\nrules: [rules.yaml]\n`, 'rules.yaml': PACK() });
    rulesFile = path.join(path.dirname(config), 'rules.yaml');
    proxy = await startProxy({ configFile: config, overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' }, watch: true });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  const lastEvent = () => upstream.events().at(-1) as { properties: Record<string, unknown> };

  it('swaps in an edited rule file, and keeps the running rules when an edit is invalid', async () => {
    await post(`${proxy.url}/e/`, EVENT);
    expect(lastEvent().properties).toEqual({ email: '[EMAIL]', nickname: 'JJ' });

    // An edit (written by rename, as editors and ConfigMaps do) is picked up by the watch.
    fs.writeFileSync(`${rulesFile}.tmp`, PACK(NICKNAME_RULE));
    fs.renameSync(`${rulesFile}.tmp`, rulesFile);
    await until(async () => (await getJson(`${proxy.url}/readyz`)).reload.reloads === 1);
    await post(`${proxy.url}/e/`, EVENT);
    expect(lastEvent().properties).toEqual({ email: '[EMAIL]', nickname: '[NICK]' });

    // An invalid edit: refused, named by file and line, the rules in force stay.
    fs.writeFileSync(rulesFile, PACK(NICKNAME_RULE).replace("action: redact\n    marker: '[NICK]'", 'action: obliterate'));
    await until(async () => (await getJson(`${proxy.url}/readyz`)).reload.ok === false);
    const ready = await getJson(`${proxy.url}/readyz`);
    expect(ready.status).toBe('ready');
    expect(ready.reload.errors[0]).toMatch(/rules\.yaml:\d+:\d+: rules\.1\.action: Invalid discriminator value/);
    await post(`${proxy.url}/e/`, EVENT);
    expect(lastEvent().properties).toEqual({ email: '[EMAIL]', nickname: '[NICK]' });

    // Fixed again: reload() (what SIGHUP calls) applies it.
    fs.writeFileSync(rulesFile, PACK());
    expect(proxy.reload()).toBe(true);
    await post(`${proxy.url}/e/`, EVENT);
    expect(lastEvent().properties).toEqual({ email: '[EMAIL]', nickname: 'JJ' });
  });

  it('reloads the real CLI on SIGHUP', async () => {
    const config = writeConfig({ 'config.yaml': `upstream: ${upstream.url}\nrules: [rules.yaml]\n`, 'rules.yaml': PACK() });
    const bin = path.resolve(__dirname, '../../bin/phi-proxy.js');
    const child = spawn(process.execPath, [bin, 'serve', '--config', config, '--port', '0', '--host', '127.0.0.1', '--workers', '1'], { cwd: path.dirname(config) });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      await until(async () => /"port":\d+/.test(out), 15_000);
      const port = Number(/"port":(\d+)/.exec(out)![1]);
      fs.writeFileSync(path.join(path.dirname(config), 'rules.yaml'), PACK(NICKNAME_RULE));
      child.kill('SIGHUP');
      await until(async () => /"trigger":"SIGHUP"[^\n]*rules reloaded/.test(out), 10_000);
      await post(`http://127.0.0.1:${port}/e/`, EVENT);
      expect(lastEvent().properties).toEqual({ email: '[EMAIL]', nickname: '[NICK]' });
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
    }
  }, 30_000);
});
