'use strict';
/**
 * The processes of the proxy benches, all on 127.0.0.1: the minimal upstream, phi-proxy (with the
 * default Safe Harbor pack, or in pass-through), and nginx `proxy_pass`; plus what the benches
 * read from /proc about them (peak RSS, CPU time).
 */
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync, execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'phi-proxy.js');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function get(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      })
      .on('error', reject);
  });
}

async function waitReady(url, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const r = await get(url);
      if (r.status === 200) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`not ready: ${url}`);
    await sleep(100);
  }
}

/** Children of a process (cluster workers, nginx workers). */
function childPids(pid) {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Peak resident set (VmHWM) in MB, or NaN when the process is gone. */
function peakRssMb(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

const TICK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return NaN;
  }
}

function stopProcess(child, ms = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

async function startUpstream() {
  const child = spawn(process.execPath, [path.join(__dirname, 'upstream.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^(\d+)\n/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => reject(new Error('upstream exited')));
  });
  child.stdout.resume();
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => stopProcess(child) };
}

/** A rule pack that keeps every top-level field: the pipeline runs, no rule or detector does. */
const PASS_THROUGH_PACK = `version: 1
description: bench pass-through - keeps every field of every event, so nothing is scanned or changed
rules:
  - id: keep-everything
    description: keep wins over every other rule; matching every top-level key means no value is visited
    match:
      keys: ['*']
    action: keep
`;

/**
 * phi-proxy on a free port in front of `upstreamUrl`. mode 'scrub': the embedded default (Safe
 * Harbor pack); 'pass-through': the same proxy whose only rule keeps everything.
 */
async function startPhiProxy({ upstreamUrl, mode = 'scrub', workers = 1, nodeArgs = [], dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phi-bench-')) }) {
  const port = await freePort();
  const lines = [`upstream: ${upstreamUrl}`, 'vault: { path: vault.jsonl }', 'log_level: info'];
  if (mode === 'pass-through') {
    fs.writeFileSync(path.join(dir, 'pass-through.yaml'), PASS_THROUGH_PACK);
    lines.push('routes:', `  - { prefix: /, upstream: ${upstreamUrl}, format: posthog, rules: [pass-through.yaml] }`);
  }
  fs.writeFileSync(path.join(dir, 'config.yaml'), lines.join('\n') + '\n');
  const log = fs.openSync(path.join(dir, 'proxy.log'), 'w');
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--config', 'config.yaml', '--host', '127.0.0.1', '--port', String(port), '--workers', String(workers)], {
    cwd: dir,
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/healthz`);
  if (workers > 1) {
    const deadline = Date.now() + 20_000;
    while (childPids(child.pid).length < workers && Date.now() < deadline) await sleep(100);
    await sleep(500);
  }
  return {
    name: mode === 'pass-through' ? 'pass-through' : 'phi-proxy',
    url,
    dir,
    /** The processes that do the work (the workers; the primary only accepts connections). */
    pids: () => (workers > 1 ? childPids(child.pid) : [child.pid]),
    allPids: () => [child.pid, ...childPids(child.pid)],
    stop: () => stopProcess(child),
  };
}

function nginxBinary() {
  for (const p of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx']) if (fs.existsSync(p)) return p;
  return undefined;
}

/** nginx `proxy_pass` with keep-alive to the upstream, one worker, as the current user, in a temp prefix. */
async function startNginx({ upstreamUrl, workers = 1 }) {
  const bin = nginxBinary();
  if (!bin) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phi-bench-nginx-'));
  const port = await freePort();
  const user = os.userInfo();
  const conf = `
${user.uid === 0 ? `user ${user.username};` : ''}
worker_processes ${workers};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log ${dir}/access.log combined buffer=64k;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size 20m;
  client_body_buffer_size 1m;
  keepalive_requests 100000;
  upstream phi_bench_upstream {
    server ${upstreamUrl.replace(/^http:\/\//, '')};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://phi_bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
  fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const child = spawn(bin, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/healthz`);
  const version = String(spawnSync(bin, ['-v'], { encoding: 'utf8' }).stderr ?? '');
  return {
    name: 'nginx',
    version: (/nginx\/([\d.]+)/.exec(version) || [])[1] ?? '?',
    url,
    dir,
    pids: () => childPids(child.pid),
    allPids: () => [child.pid, ...childPids(child.pid)],
    stop: () => stopProcess(child),
  };
}

module.exports = { startUpstream, startPhiProxy, startNginx, nginxBinary, peakRssMb, cpuSeconds, childPids, get, sleep, PASS_THROUGH_PACK };
