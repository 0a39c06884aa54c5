import fc from 'fast-check';
import { geoDetector } from '../../src/detectors/geo';
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/detectors/types';

const detector = geoDetector(DEFAULT_DETECTOR_OPTIONS);
const found = (value: string, key = ''): string[] =>
  detector.find(value, { key }).map((span) => value.slice(span.start, span.end));

const anyCodeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });

describe('geo detector', () => {
  it('declares Safe Harbor B with the [GEO] marker', () => {
    expect(detector).toMatchObject({ id: 'geo', letter: 'B', kind: 'geo', marker: '[GEO]' });
  });

  it.each<[string, string[]]>([
    ['42.3601, -71.0589', ['42.3601, -71.0589']],
    ['42.3601,-71.0589', ['42.3601,-71.0589']],
    ['at 42.3601,-71.0589 today', ['42.3601,-71.0589']],
    ['(42.3601, -71.0589)', ['42.3601, -71.0589']],
    ['-33.8688; 151.2093', ['-33.8688; 151.2093']],
    ['loc=51.50735,-0.12776&z=12', ['51.50735,-0.12776']],
    ['POINT(-71.0589 42.3601)', ['-71.0589 42.3601']],
    ['42.3601° N, 71.0589° W', ['42.3601° N, 71.0589° W']],
    ['42.3601N 71.0589W', ['42.3601N 71.0589W']],
    ['lat 42.3601 lng -71.0589', ['42.3601', '-71.0589']],
    ['lat: 42.3601, lon: -71.0589', ['42.3601', '-71.0589']],
    ['latitude=42.36&longitude=-71.06', ['42.36', '-71.06']],
    ['{"lat":42.36,"lng":-71.05}', ['42.36', '-71.05']],
    ['geo_lat=42.3601', ['42.3601']],
    ['lat/lng: 42.3601, -71.0589', ['42.3601, -71.0589']],
    ['42°21\'36.4"N 71°03\'32.0"W', ['42°21\'36.4"N 71°03\'32.0"W']],
    ['90.000, 180.000', ['90.000, 180.000']],
  ])('finds the coordinates in %j', (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it.each<[string, string, string[]]>([
    ['lat', '42.3601', ['42.3601']],
    ['latitude', ' -33.8688 ', ['-33.8688']],
    ['lng', '-171.0589', ['-171.0589']],
    ['longitude', '151.2', ['151.2']],
    ['geoip_latitude', '42.36', ['42.36']],
    ['geo_lon', '-71.05', ['-71.05']],
    ['location_lat', '+42.3601', ['+42.3601']],
    ['coordinates', '42.36,-71.05', ['42.36,-71.05']],
    ['latlng', '(42.36, -71.05)', ['(42.36, -71.05)']],
    ['lat', '100.5', []],
    ['lng', '181.0', []],
    ['lat', '42', []],
    ['lat', 'unknown', []],
    ['price', '42.3601', []],
    ['location', 'Boston, MA', []],
  ])('under key %j, %j gives %j', (key, text, expected) => {
    expect(found(text, key)).toEqual(expected);
  });

  it.each([
    '19.99',
    '$1,234.56',
    '$42.360, 71.059',
    '42.36, -71.05',
    '1.449.2',
    'v2.3.4',
    '120.0.0.0',
    'Chrome/120.0.0.0',
    '1920x1080',
    '13.3 inch',
    '95.1234, 181.0000',
    '123.4567, 200.1234',
    '42.3601',
    '1.2345.678, 9.0123',
    '42.3601.5, -71.0589',
    '2024-01-15T10:30:00.000Z',
    '00:03:25.500',
    '1795336574595',
    'flat 12.50',
    'long 12',
    '550e8400-e29b-41d4-a716-446655440000',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  ])('ignores %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    ['a decimal point before a digit', 'x 1.5', true],
    ['a degree sign', '42°N', true],
    ['integers only', '1920x1080 and 42', false],
    ['a trailing dot', 'end 42.', false],
  ])('prefilter: %s', (_label, text, expected) => {
    expect(detector.prefilter(text, { key: '' })).toBe(expected);
  });

  it.each([
    ['a long decimal', `1.${'1'.repeat(50_000)}`],
    ['many decimals', '1.123 '.repeat(8_000)],
    ['decimal pairs', '1.123,'.repeat(8_000)],
    ['labels', 'lat 1.12 '.repeat(5_000)],
    ['degree signs', '1°1\'1"N '.repeat(6_000)],
    ['a sea of spaces between numbers', `42.3601${' '.repeat(50_000)}-71.0589`],
    ['control characters and lone surrogates', '\u000042.3601,\ud800-71.0589\udfff'],
    ['empty', ''],
  ])('does not throw on %s', (_label, text) => {
    expect(() => detector.find(text, { key: '' })).not.toThrow();
    expect(() => detector.find(text, { key: 'lat' })).not.toThrow();
  });

  const coordinate = (limit: number) =>
    fc.tuple(fc.integer({ min: -limit, max: limit }), fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 3, max: 6 }))
      .map(([whole, fraction, decimals]) =>
        `${whole === 0 && fraction % 2 === 0 ? '-' : ''}${whole}.${String(fraction).padStart(4, '0').slice(0, 4).padEnd(decimals, '7')}`);
  const pair = fc.tuple(coordinate(89), coordinate(179), fc.constantFrom(', ', ',', ' ', '; '))
    .map(([lat, lng, separator]) => `${lat}${separator}${lng}`);

  it('finds any in-range coordinate pair planted in random text', () => {
    fc.assert(
      fc.property(fc.string(), pair, fc.string(), (before, coordinates, after) => {
        // Brackets after it: a hemisphere letter typed after a pair (`… 71.0589 W`) joins the span.
        const text = `${before} (${coordinates}) ${after}`;
        const start = before.length + 2;
        expect(detector.prefilter(text, { key: '' })).toBe(true);
        expect(detector.find(text, { key: '' })).toContainEqual({ start, end: start + coordinates.length, kind: 'geo' });
      }),
      { numRuns: 300 },
    );
  });

  it('never takes a price for a coordinate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 99 }), (units, cents) => {
        const price = `${units}.${String(cents).padStart(2, '0')}`;
        expect(found(price)).toEqual([]);
        expect(found(`$${price}, $${price}`)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('returns sorted, non-overlapping, in-bounds spans and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(anyCodeUnits, fc.string({ unit: fc.constantFrom('4', '2', '.', '3601', ',', ' ', '-', 'lat ', '°', 'N') })), (text) => {
        const spans = detector.find(text, { key: '' });
        if (spans.length > 0) expect(detector.prefilter(text, { key: '' })).toBe(true);
        let lastEnd = 0;
        for (const span of spans) {
          expect(span.start).toBeGreaterThanOrEqual(lastEnd);
          expect(span.end).toBeGreaterThan(span.start);
          expect(span.end).toBeLessThanOrEqual(text.length);
          lastEnd = span.end;
        }
      }),
      { numRuns: 500 },
    );
  });
});
