'use strict';
/** Self time per function of a V8 .cpuprofile (as written by `node --cpu-prof`). */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

/** Which part of the stack a frame belongs to: our source dir, a package, node internals, or V8. */
function areaOf(f, where) {
  if (!f.url) return f.functionName === '(idle)' ? '(idle)' : f.functionName.startsWith('(') ? f.functionName : 'native / builtins';
  const dep = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  if (dep) return `npm: ${dep[1]}`;
  const own = /^(?:dist|src)\/([^/]+)/.exec(where);
  if (own) return `phi-proxy: ${own[1].replace(/\.js$/, '')}`;
  if (where.startsWith('node:')) return `node: ${where.replace(/^node:(internal\/)?/, '').split(/[/:]/)[0]}`;
  return where;
}

function summarise(file, top = 15) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  const areaUs = new Map();
  const dt = profile.timeDeltas;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const us = dt[i] ?? 0;
    total += us;
    const f = node.callFrame;
    let where = f.url ? f.url.replace(/^file:\/\//, '') : '';
    if (where.startsWith(ROOT)) where = path.relative(ROOT, where);
    where = where.replace(/^.*node_modules\//, 'node_modules/');
    const key = `${f.functionName || '(anonymous)'}  ${where ? `${where}:${f.lineNumber + 1}` : ''}`.trim();
    selfUs.set(key, (selfUs.get(key) ?? 0) + us);
    const area = areaOf(f, where);
    areaUs.set(area, (areaUs.get(area) ?? 0) + us);
  }
  const idle = selfUs.get('(idle)') ?? 0;
  const busy = total - idle;
  const rows = [...selfUs.entries()]
    .filter(([k]) => k !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, ms: us / 1000, share: us / busy }));
  const areas = [...areaUs.entries()]
    .filter(([k]) => k !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .map(([name, us]) => ({ name, ms: us / 1000, share: us / busy }));
  return { totalMs: total / 1000, busyMs: busy / 1000, rows, areas };
}

module.exports = { summarise };
