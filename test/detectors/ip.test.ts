import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { ipDetector, mayBeIpv6, truncateIp } from '../../src/detectors/ip';
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/detectors/types';

const detector = ipDetector(DEFAULT_DETECTOR_OPTIONS);
const found = (value: string, key = ''): string[] =>
  detector.find(value, { key }).map((span) => value.slice(span.start, span.end));

const anyCodeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });

describe('ip detector', () => {
  it('declares Safe Harbor O with the [IP] marker', () => {
    expect(detector).toMatchObject({ id: 'ip', letter: 'O', kind: 'ip', marker: '[IP]' });
  });

  it.each<[string, string[]]>([
    ['203.0.113.77', ['203.0.113.77']],
    ['client 198.51.100.23 connected', ['198.51.100.23']],
    ['x-forwarded-for: 198.51.100.1, 203.0.113.9', ['198.51.100.1', '203.0.113.9']],
    ['(10.0.0.1)', ['10.0.0.1']],
    ['ip=192.168.1.20&x=1', ['192.168.1.20']],
    ['http://10.1.2.3/admin', ['10.1.2.3']],
    ['host 192.168.1.1:8080 up', ['192.168.1.1']],
    ['ends with 8.8.8.8.', ['8.8.8.8']],
    ['logged 192.168.001.010', ['192.168.001.010']],
    ['2001:db8::1', ['2001:db8::1']],
    ['2001:0db8:85a3:0000:0000:8a2e:0370:7334', ['2001:0db8:85a3:0000:0000:8a2e:0370:7334']],
    ['2001:DB8:85A3::8A2E:370:7334', ['2001:DB8:85A3::8A2E:370:7334']],
    ['peer [2001:db8::1]:443', ['2001:db8::1']],
    ['::ffff:192.0.2.1', ['::ffff:192.0.2.1']],
    ['fe80::1%eth0 up', ['fe80::1%eth0']],
    ['ip:2001:db8::42', ['2001:db8::42']],
    ['2001:db8::', ['2001:db8::']],
    ['::1', ['::1']],
    ['range 10.0.0.1-10.0.0.5', ['10.0.0.1', '10.0.0.5']],
  ])('finds the address in %j', (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it.each<[string, string, string[]]>([
    ['ip', '10.0.0.0', ['10.0.0.0']],
    ['ip', 'Chrome/10.1.2.3', ['10.1.2.3']],
    ['app_version', '1.2.3.4', []],
    ['os_version', 'version 10.0.19045.1', []],
  ])('under key %j, %j gives %j', (key, text, expected) => {
    expect(found(text, key)).toEqual(expected);
  });

  it.each([
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36 Edg/120.0.2210.91',
    '120.0.0.0',
    '1.449.2',
    'v2.3.4',
    'v1.2.3.4',
    '1.2.3.4.5',
    'release 4.2.1.3',
    '7.0.0.1-beta',
    'version: 1.0.3.7',
    '256.1.1.1',
    '1.2.3',
    '10:30:00',
    '00:03:25',
    '00:1A:2B:3C:4D:5E',
    'dead::beef',
    'std::vector',
    '::',
    '$1,234.56',
    '19.99',
    '550e8400-e29b-41d4-a716-446655440000',
    '01a20266-0f5e-7b5c-9b1e-3c2d1e0f9a8b',
    '1795336574595',
    '2024-01-15T10:30:00.000Z',
    '1920x1080',
    '$pageview',
  ])('ignores %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it.each<[string, number, number, string | undefined]>([
    ['203.0.113.77', 24, 48, '203.0.113.0'],
    ['203.0.113.77', 16, 48, '203.0.0.0'],
    ['203.0.113.77', 32, 48, '203.0.113.77'],
    ['203.0.113.77', 0, 48, '0.0.0.0'],
    ['203.0.113.77', 40, 48, '203.0.113.77'],
    ['203.0.113.77', -3, 48, '0.0.0.0'],
    ['203.0.113.77', 20, 48, '203.0.112.0'],
    ['2001:db8:85a3:1:2:3:4:5', 24, 48, '2001:db8:85a3::'],
    ['2001:db8:85a3:ffff::1', 24, 56, '2001:db8:85a3:ff00::'],
    ['[2001:db8::1]', 24, 32, '2001:db8::'],
    ['fe80::1%eth0', 24, 10, 'fe80::'],
    ['::ffff:192.0.2.1', 24, 48, '192.0.2.0'],
    [' 10.1.2.3 ', 8, 48, '10.0.0.0'],
    ['not an ip', 24, 48, undefined],
    ['1.2.3', 24, 48, undefined],
    ['', 24, 48, undefined],
  ])('truncateIp(%j, %d, %d) is %j', (text, v4, v6, expected) => {
    expect(truncateIp(text, v4, v6)).toBe(expected);
  });

  it.each([
    ['a dotted quad', '1.2.3.4', true],
    ['a colon and a digit', 'a:1', true],
    ['digits only', '12345', false],
    ['separators only', 'a.b:c', false],
  ])('prefilter: %s', (_label, text, expected) => {
    expect(detector.prefilter(text, { key: '' })).toBe(expected);
  });

  it.each([
    ['a dotted digit run', '1.'.repeat(25_000)],
    ['a colon digit run', '1:'.repeat(25_000)],
    ['hex groups', 'ab:'.repeat(16_000)],
    ['double colons', '::1'.repeat(16_000)],
    ['zone ids', 'fe80::1%'.repeat(6_000)],
    ['many addresses', '10.0.0.1 '.repeat(5_000)],
    ['control characters and lone surrogates', '\u000010.0.0.1\ud800::1\udfff'],
    ['empty', ''],
  ])('does not throw on %s', (_label, text) => {
    expect(() => detector.find(text, { key: '' })).not.toThrow();
  });

  const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 }), fc.integer({ min: 1, max: 254 }))
    .map((octets) => octets.join('.'));
  const v6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 })
    .map((parts) => `2001:${parts.slice(1).map((p) => p.toString(16)).join(':')}`);

  it('finds any IPv4 or IPv6 host address planted in random text', () => {
    fc.assert(
      fc.property(fc.string(), fc.oneof(v4, v6), fc.string(), (before, address, after) => {
        const text = `${before} ${address} ${after}`;
        const start = before.length + 1;
        expect(detector.prefilter(text, { key: '' })).toBe(true);
        expect(detector.find(text, { key: '' })).toContainEqual({ start, end: start + address.length, kind: 'ip' });
      }),
      { numRuns: 300 },
    );
  });

  it('skips ipaddr.js only for texts it rejects (the IPv6 shape pre-check loses no address)', () => {
    const group = fc.oneof(fc.constant(''), fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16)), fc.constantFrom('0', 'ffff', 'FFFF', 'g1', '12345'));
    const text = fc.oneof(
      fc.array(group, { minLength: 1, maxLength: 10 }).map((groups) => groups.join(':')),
      fc.tuple(fc.array(group, { minLength: 1, maxLength: 8 }), v4).map(([groups, quad]) => `${groups.join(':')}:${quad}`),
      fc.string({ unit: fc.constantFrom('0', '1', 'a', 'F', ':', '.', '%') }),
    );
    fc.assert(
      fc.property(text, (t) => {
        if (!mayBeIpv6(t)) expect(ipaddr.IPv6.isValid(t)).toBe(false);
      }),
      { numRuns: 20_000 },
    );
    for (const t of ['2001:db8::1', '::', '::1', '1:2:3:4:5:6:7:8', '::ffff:192.0.2.1', '1:2:3:4:5:6:1.2.3.4', '1::2:3:4:5:6:7']) {
      expect(ipaddr.IPv6.isValid(t)).toBe(true);
      expect(mayBeIpv6(t)).toBe(true);
    }
    expect(mayBeIpv6('A5:41:B0:FB:CA:C0')).toBe(false);
  });

  it('truncates every found IPv4 address to a /24 network of itself', () => {
    fc.assert(
      fc.property(v4, (address) => {
        const network = truncateIp(address, 24, 48);
        expect(network).toBe(`${address.split('.').slice(0, 3).join('.')}.0`);
      }),
    );
  });

  it('returns sorted, non-overlapping, in-bounds spans and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(anyCodeUnits, fc.string({ unit: fc.constantFrom('1', '2', 'f', ':', '.', '%', ' ', '[', ']', '/') })), (text) => {
        const spans = detector.find(text, { key: '' });
        if (spans.length > 0) expect(detector.prefilter(text, { key: '' })).toBe(true);
        let lastEnd = 0;
        for (const span of spans) {
          expect(span.start).toBeGreaterThanOrEqual(lastEnd);
          expect(span.end).toBeGreaterThan(span.start);
          expect(span.end).toBeLessThanOrEqual(text.length);
          lastEnd = span.end;
        }
        expect(() => truncateIp(text, 24, 48)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});
