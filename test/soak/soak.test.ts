/**
 * The soak (test/soak/soak.js), short and bounded for CI: 25 s of traffic from nine formats
 * (seven real Node SDKs, two replayed wire shapes) through the real CLI, every upstream killed
 * for 3 s and revived on the same port three times (the last across the end of traffic), the
 * rules file rewritten four times plus two SIGHUPs. Runs the script as `npm run soak` does (a child process on the built dist/) and
 * asserts on the summary it writes. About 30 s; `SOAK_SECONDS=180 npm run soak` for the long run.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../helpers';

jest.setTimeout(90_000);

interface FormatFigures {
  sdk: string;
  offered: number;
  acknowledged: number;
  arrived: number;
  lost: number;
  lostSample: string[];
  duplicates: number;
  undecodable: string[];
}

interface Summary {
  ok: boolean;
  seconds: number;
  totals: { acknowledged: number; arrived: number; lost: number; duplicates: number };
  perFormat: Record<string, FormatFigures>;
  leaks: { total: number; sample: string[] };
  memory: { firstMedianMb: number; lastMedianMb: number; maxMb: number; ratio: number; bound: number };
  reloads: { writes: number; sighups: number; succeeded: number; failed: number; markers: { A: number; B: number }; notReloaded: string[] };
  flaps: number;
  spool: { spooledRequests: number; depthAtEnd: number; givenUp: number };
  proxyExit: { code: number | string | null };
  checks: { name: string; ok: boolean; detail: string }[];
}

describe('soak: nine formats under sustained traffic while the upstreams flap and the rules reload', () => {
  let summary: Summary;
  let output = '';
  let exitCode: number | null = null;

  beforeAll(async () => {
    const resultFile = path.join(tempDir('phi-soak-result-'), 'summary.json');
    const child = spawn(process.execPath, [path.join(__dirname, 'soak.js')], {
      env: { ...process.env, SOAK_SECONDS: '25', SOAK_FLAP_EVERY: '8', SOAK_FLAP_DOWN: '3', SOAK_RELOAD_EVERY: '5', SOAK_RESULT_FILE: resultFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString('utf8')));
    exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    if (!fs.existsSync(resultFile)) throw new Error(`the soak wrote no summary (exit ${exitCode}):\n${output.slice(-4000)}`);
    summary = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as Summary;
  });

  it('passes every check of its own and exits 0', () => {
    expect(summary.checks.filter((c) => !c.ok)).toEqual([]);
    expect({ ok: summary.ok, exitCode }).toEqual({ ok: true, exitCode: 0 });
  });

  it('loses no acknowledged event, in any format (duplicates allowed: delivery is at least once)', () => {
    const lost = Object.entries(summary.perFormat).filter(([, p]) => p.lost > 0).map(([f, p]) => `${f}: ${p.lost} lost, e.g. ${p.lostSample.join(', ')}`);
    expect(lost).toEqual([]);
    expect(summary.totals.lost).toBe(0);
    for (const [format, p] of Object.entries(summary.perFormat)) {
      expect({ format, acknowledged: p.acknowledged > 0, undecodable: p.undecodable }).toEqual({ format, acknowledged: true, undecodable: [] });
      expect(p.arrived).toBeGreaterThanOrEqual(p.acknowledged);
    }
    expect(Object.keys(summary.perFormat).sort()).toEqual(['amplitude', 'ga4', 'matomo', 'mixpanel', 'plausible', 'posthog', 'rudderstack', 'segment', 'snowplow']);
  });

  it('leaks no planted value to the upstreams, the proxy output or the spool files', () => {
    expect(summary.leaks.sample).toEqual([]);
    expect(summary.leaks.total).toBe(0);
  });

  it('keeps the proxy memory flat', () => {
    expect(summary.memory.ratio).toBeLessThanOrEqual(summary.memory.bound);
    expect(summary.memory.maxMb).toBeLessThan(400);
  });

  it('reloads the rules on every rewrite and SIGHUP, and both versions scrub traffic', () => {
    expect(summary.reloads.writes).toBeGreaterThanOrEqual(4);
    expect(summary.reloads.sighups).toBeGreaterThanOrEqual(2);
    expect(summary.reloads.failed).toBe(0);
    expect(summary.reloads.succeeded).toBeGreaterThanOrEqual(summary.reloads.writes + summary.reloads.sighups);
    expect(summary.reloads.notReloaded).toEqual([]);
    expect(summary.reloads.markers.A).toBeGreaterThan(0);
    expect(summary.reloads.markers.B).toBeGreaterThan(0);
  });

  it('flapped the upstreams, spooled through the outages and drained the spool', () => {
    expect(summary.flaps).toBeGreaterThanOrEqual(3);
    expect(summary.spool.spooledRequests).toBeGreaterThan(0);
    expect(summary.spool.depthAtEnd).toBe(0);
    expect(summary.spool.givenUp).toBe(0);
    expect(summary.proxyExit.code).toBe(0);
  });
});
