/**
 * One phi-proxy, two routes: `/seg` → a Segment upstream (format segment) and `/rs` → a
 * RudderStack upstream (format rudderstack). @segment/analytics-node and rudder-sdk-node send at
 * the same time; each upstream must receive only its own events, scrubbed, and one person must
 * get one surrogate in both (the routes share the token vault).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { startProxy, type RunningProxy } from '../../src/proxy/server';
import { startRecordingUpstream, type RecordingUpstream } from './recording-upstream';
import { clientHeadersSeen, haystackOf, leaksIn, waitFor } from './helpers';

jest.setTimeout(30_000);

type Json = Record<string, any>;

const USER_ID = 'patient-123';
const ANONYMOUS_ID = '6f1c2a9e-3b7d-4e5f-8a01-23456789abcd';
const EMAIL = 'jane.doe@example.com';
const PHONE = '(617) 253-1000';
const CLIENT_IP = '203.0.113.7';
const PLANTED = [USER_ID, ANONYMOUS_ID, EMAIL, 'Jane Doe', PHONE, '253-1000', CLIENT_IP, '1985-03-14'];

function eventsOf(upstream: RecordingUpstream): Json[] {
  return upstream.requests.flatMap((r) => ((r.json as Json | undefined)?.batch ?? []) as Json[]);
}

describe('one proxy, two routes: analytics-node on /seg and rudder-sdk-node on /rs', () => {
  let segUpstream: RecordingUpstream;
  let rsUpstream: RecordingUpstream;
  let proxy: RunningProxy;
  let dir: string;
  const errors: unknown[] = [];

  beforeAll(async () => {
    segUpstream = await startRecordingUpstream();
    rsUpstream = await startRecordingUpstream();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phi-proxy-two-sdks-'));
    const configFile = path.join(dir, 'config.yaml');
    fs.writeFileSync(
      configFile,
      [
        'vault:',
        '  path: vault.jsonl',
        'routes:',
        '  - prefix: /seg',
        `    upstream: ${segUpstream.url}`,
        '    format: segment',
        '  - prefix: /rs',
        `    upstream: ${rsUpstream.url}`,
        '    format: rudderstack',
        '',
      ].join('\n'),
    );
    proxy = await startProxy({ configFile, overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' } });

    // analytics-node resolves `path` against `host` (new URL(path, host)): a route prefix goes in `path`
    const segment = new SegmentAnalytics({ writeKey: 'seg_wk_two', host: proxy.url, path: '/seg/v1/batch', maxEventsInBatch: 2, flushInterval: 50, maxRetries: 0 });
    segment.on('error', (err) => errors.push(err));
    const rudder = new RudderAnalytics('2RsWriteKeyTwoSdks0123456789', { dataPlaneUrl: `${proxy.url}/rs`, flushAt: 2, flushInterval: 50, retryCount: 0, logLevel: 'error', errorHandler: (err: unknown) => errors.push(err) });

    // the same person, the same calls, interleaved on both SDKs
    const identify = { userId: USER_ID, anonymousId: ANONYMOUS_ID, traits: { email: EMAIL, name: 'Jane Doe', phone: PHONE, birthday: '1985-03-14' }, context: { ip: CLIENT_IP } };
    const track = (sdk: string) => ({ userId: USER_ID, anonymousId: ANONYMOUS_ID, event: 'Appointment Booked', properties: { sdk, email: EMAIL, appointment_type: 'follow-up' }, context: { ip: CLIENT_IP } });
    const benign = (sdk: string) => ({ userId: USER_ID, anonymousId: ANONYMOUS_ID, event: 'Plan Upgraded', properties: { sdk, plan: 'pro-annual', price: 49.99, seats: 12 } });
    segment.identify(identify);
    rudder.identify(identify);
    segment.track(track('segment'));
    rudder.track(track('rudderstack'));
    segment.track(benign('segment'));
    rudder.track(benign('rudderstack'));
    await Promise.all([
      segment.closeAndFlush({ timeout: 10_000 }),
      new Promise<void>((resolve) => rudder.flush(() => resolve())),
    ]);
    await waitFor('three events on each upstream', () => eventsOf(segUpstream).length >= 3 && eventsOf(rsUpstream).length >= 3);
  });
  afterAll(async () => {
    await proxy?.close();
    await segUpstream?.close();
    await rsUpstream?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('both SDKs saw success', () => {
    expect(errors).toEqual([]);
  });

  it('each upstream receives only its own SDK\'s events, on its own path and encoding', () => {
    const seg = eventsOf(segUpstream);
    const rs = eventsOf(rsUpstream);
    expect(seg).toHaveLength(3);
    expect(rs).toHaveLength(3);
    expect(segUpstream.requests.every((r) => r.path === '/v1/batch' && r.headers['content-encoding'] === undefined && r.headers['content-type'] === 'application/json')).toBe(true);
    expect(rsUpstream.requests.every((r) => r.path === '/v1/batch' && r.headers['content-encoding'] === 'gzip')).toBe(true);
    expect(seg.every((e) => e.context.library.name === '@segment/analytics-node')).toBe(true);
    expect(rs.every((e) => e.context.library.name === 'analytics-node' && e.channel === 'server')).toBe(true);
    expect(seg.filter((e) => e.type === 'track').map((e) => e.properties.sdk)).toEqual(['segment', 'segment']);
    expect(rs.filter((e) => e.type === 'track').map((e) => e.properties.sdk)).toEqual(['rudderstack', 'rudderstack']);
    expect(segUpstream.requests.every((r) => (r.json as Json).writeKey === 'seg_wk_two')).toBe(true);
  });

  it('no planted identifier reaches either upstream', () => {
    expect(leaksIn(haystackOf(segUpstream), PLANTED)).toEqual([]);
    expect(leaksIn(haystackOf(rsUpstream), PLANTED)).toEqual([]);
    expect(clientHeadersSeen(segUpstream)).toEqual([]);
    expect(clientHeadersSeen(rsUpstream)).toEqual([]);
  });

  it('the same person gets the same surrogates through both routes (shared vault)', () => {
    const all = [...eventsOf(segUpstream), ...eventsOf(rsUpstream)];
    const userIds = new Set(all.map((e) => e.userId));
    const anonymousIds = new Set(all.map((e) => e.anonymousId));
    expect(userIds.size).toBe(1);
    expect(anonymousIds.size).toBe(1);
    expect([...userIds][0]).toMatch(/^tok_[A-Za-z0-9_-]{10,}$/);
    expect([...anonymousIds][0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...anonymousIds][0]).not.toBe(ANONYMOUS_ID);
  });

  it('benign properties arrive unchanged on both', () => {
    for (const e of [...eventsOf(segUpstream), ...eventsOf(rsUpstream)].filter((x) => x.event === 'Plan Upgraded')) {
      expect(e.properties).toMatchObject({ plan: 'pro-annual', price: 49.99, seats: 12 });
    }
  });
});
