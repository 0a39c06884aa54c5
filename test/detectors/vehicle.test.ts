import fc from 'fast-check';
import { vehicleDetector, vinCheckDigitValid } from '../../src/detectors/vehicle';
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/detectors/types';

const detector = vehicleDetector(DEFAULT_DETECTOR_OPTIONS);
const found = (value: string, key = ''): string[] =>
  detector.find(value, { key }).map((s) => value.slice(s.start, s.end));

describe('vehicle detector', () => {
  it('describes itself', () => {
    expect([detector.id, detector.kind, detector.letter, detector.marker]).toEqual(['vehicle', 'vehicle', 'L', '[VEHICLE]']);
  });

  it.each([
    ['1HGCM82633A004352', true],
    ['1M8GDM9AXKP042788', true], // check digit X
    ['jh4ka7561pc008269', true],
    ['2T1BURHE0JC014702', true],
    ['1FTFW1ET5DFC10312', false],
    ['WVWZZZ1JZ3W386752', false], // European VIN: no check digit
    ['1HGCM82633A00435', false],
    ['1HGCM8I633A004352', false], // I is not a VIN character
  ])('vinCheckDigitValid(%j) is %s', (vin, expected) => {
    expect(vinCheckDigitValid(vin)).toBe(expected);
  });

  it.each([
    ['1HGCM82633A004352', '1HGCM82633A004352'],
    ['Vehicle 1M8GDM9AXKP042788 registered', '1M8GDM9AXKP042788'],
    ['/garage/vehicles/jh4ka7561pc008269/service', 'jh4ka7561pc008269'],
    ['VIN: 5YJ3E1EA7KF317000', '5YJ3E1EA7KF317000'], // check digit fails, keyword saves it
    ['vin# WVWZZZ1JZ3W386752', 'WVWZZZ1JZ3W386752'],
    ['VIN number 1FTFW1ET5DFC10312', '1FTFW1ET5DFC10312'],
    ['vehicle identification number: 2T1BURHE0JC014702', '2T1BURHE0JC014702'],
    ['VIN 124678J123456', '124678J123456'], // pre-1981, 13 characters
    ['plate ABC-1234', 'ABC-1234'],
    ['license plate 7ABC123 seen at gate', '7ABC123'],
    ['License Plate: ABC 1234', 'ABC 1234'],
    ['number plate AB12 CDE', 'AB12 CDE'],
    ['plate no. AB-123-CD', 'AB-123-CD'],
    ['tag number 4GHT221', '4GHT221'],
    ['vehicle tag: XYZ9876', 'XYZ9876'],
    ['{"licensePlate": "8KLM442"}', '8KLM442'],
    ['plate=6TRJ244&state=CA', '6TRJ244'],
  ])('finds the identifier in %j', (text, id) => {
    expect(found(text)).toEqual([id]);
  });

  it.each([
    '1FTFW1ET5DFC10312', // bad check digit, no keyword
    '12345678901234567', // 17 digits
    'abcdefghjklmnprst', // letters only
    '1hGcM82633a004352', // mixed case: random id
    '1HGCM82633A0043521', // 18 characters
    'plate 10mm steel',
    'license plate recognition failed',
    'plate is missing',
    'plate 12',
    'plate 2024',
    'tag v1.2.3',
    'vin rouge 2015',
    'Price $1,234.56 for 19.99 units',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    '1795336574595',
    'SKU-12345',
    'AB-1234-XY',
    '550e8400-e29b-41d4-a716-446655440000',
    '1920x1080',
    '#a1b2c3',
  ])('finds nothing in %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    ['plate: W UK 0974', 'W UK 0974'],
    ['UK number plate AB12 CDE seen', 'AB12 CDE'],
    ['license plate B-MW 1234', 'B-MW 1234'],
    ['plate CA 7ABC123', '7ABC123'],
    ['reg plate: LD21 XYZ', 'LD21 XYZ'],
    ['License plate: 7ABC123 CA', '7ABC123'],
    ['plate AB12 and more', 'AB12'],
  ])('finds a spaced plate in %j', (text, id) => {
    expect(found(text)).toEqual([id]);
  });

  it.each(['plate 2024 CA', 'plate: CA ABC', 'plate 10 oz', 'plate ABCD EFGH'])('finds no plate in %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it('keeps the plate and drops the next word', () => {
    expect(found('plate 7ABC123 and VIN 1HGCM82633A004352')).toEqual(['7ABC123', '1HGCM82633A004352']);
  });

  it.each([
    ['license_plate', '7ABC123'],
    ['plate', 'ABC 1234'],
    ['plate_number', 'LUVMYCAR'],
    ['vehicle_id', 'veh_8812'],
    ['vin', '1HGCM82633A004352'],
    ['vehicle_vin', 'WVWZZZ1JZ3W386752'],
    ['customer_license_plate', 'XYZ-987'],
  ])('takes the whole value under key %s', (key, value) => {
    expect(found(value, key)).toEqual([value]);
  });

  it.each([
    ['plate', 'Large'],
    ['plate_color', 'red'],
    ['vin', 'unknown'],
    ['vehicle_type', 'SUV 4x4'],
  ])('does not take %s=%j', (key, value) => {
    expect(found(value, key)).toEqual([]);
  });

  it.each([
    ['plate ABC-1234', ''],
    ['1HGCM82633A004352', ''],
    ['LUVMYCAR', 'plate'],
  ])('prefilter passes whatever find can match: %j under %j', (value, key) => {
    expect(detector.find(value, { key }).length).toBeGreaterThan(0);
    expect(detector.prefilter(value, { key })).toBe(true);
  });

  it('never throws on hostile input', () => {
    const inputs = [
      '', '\uDBFF', 'plate ' + ' '.repeat(50_000), 'plate-'.repeat(10_000), 'VIN '.repeat(20_000),
      'A'.repeat(100_000), '1HGCM82633A004352'.repeat(5_000), 'plate AB '.repeat(10_000),
    ];
    for (const input of inputs) {
      expect(() => detector.find(input, { key: '' })).not.toThrow();
      expect(() => detector.find(input, { key: 'plate' })).not.toThrow();
    }
  });
});

describe('vehicle detector properties', () => {
  // Strings assembled from the detector's own keywords and token pieces reach its edge cases far
  // more often than uniform random text.
  const fragments = fc.constantFrom(...['VIN', 'vin', 'plate', 'license plate', 'tag number', ' ', '-', ':', '#', '1HGCM82633A004352', '1HGCM8', '2633A0', 'ABC', '1234', 'AB12', 'CDE', '10mm', '2024', 'and', '\\uD800']);
  const text = fc.oneof(fc.array(fragments, { maxLength: 12 }).map((parts) => parts.join('')), fc.string());
  const key = fc.constantFrom(...['', 'plate', 'vin', 'vehicle_id']);

  it('returns in-bounds, ascending, non-overlapping spans, and prefilter admits every match', () => {
    fc.assert(
      fc.property(text, key, (value, k) => {
        const spans = detector.find(value, { key: k });
        let last = 0;
        for (const span of spans) {
          if (span.start < last || span.end <= span.start || span.end > value.length) return false;
          last = span.end;
        }
        return spans.length === 0 || detector.prefilter(value, { key: k });
      }),
      { numRuns: 500 },
    );
  });
});
