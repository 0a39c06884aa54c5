import fc from 'fast-check';
import { deaCheckDigitValid, licenseDetector } from '../../src/detectors/license';
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/detectors/types';

const detector = licenseDetector(DEFAULT_DETECTOR_OPTIONS);
const found = (value: string, key = ''): string[] =>
  detector.find(value, { key }).map((s) => value.slice(s.start, s.end));

describe('license detector', () => {
  it('describes itself', () => {
    expect([detector.id, detector.kind, detector.letter, detector.marker]).toEqual(['license', 'license', 'K', '[LICENSE]']);
  });

  it.each([
    ["driver's license D1234567", 'D1234567'],
    ['Driver\u2019s License #: D1234567', 'D1234567'],
    ['drivers license number 123456789', '123456789'],
    ['Driving licence: MORGA753116SM9IJ', 'MORGA753116SM9IJ'],
    ['DL# S530-4602-1234', 'S530-4602-1234'],
    ['DL: W426-545-30-761-0', 'W426-545-30-761-0'],
    ['dl no 99887766', '99887766'],
    ['license no. 12345', '12345'],
    ['RN License # RN-654321 (Texas)', 'RN-654321'],
    ['medical licence number: MD12345', 'MD12345'],
    ['NPI 1234567893', '1234567893'],
    ['npi: 1245319599', '1245319599'],
    ['National Provider Identifier 1679576722', '1679576722'],
    ['DEA number AB1234563', 'AB1234563'],
    ['DEA # FN5623740', 'FN5623740'],
    ['prescriber DEA AB1234563', 'AB1234563'],
    ['board certification #123', '123'],
    ['certificate number CERT-778899', 'CERT-778899'],
    ['cert. no. 998877', '998877'],
    ['Lic. No. 12345', '12345'],
    ['passport number X12345678', 'X12345678'],
    ['Passport: 533380006', '533380006'],
    ['state id number S12345678', 'S12345678'],
    ['{"driversLicense":"D7654321"}', 'D7654321'],
    ['?license_number=LN-445566&state=CA', 'LN-445566'],
  ])('finds the number in %j', (text, id) => {
    expect(found(text)).toEqual([id]);
  });

  it.each([
    'License: MIT',
    'Apache License 2.0',
    'license GPL-3.0',
    'license key ABCD-1234-EFGH-5678',
    'license plate 7ABC123',
    'license expiry 2027-05-01',
    'licensed since 2019',
    'license count 500',
    'license 2024',
    'the DEA 2023 report',
    'DEA AB1234567', // bare "DEA" needs a valid check digit
    'dl=https://example.com/page/12345',
    'NPI',
    'Price $1,234.56 for 19.99 units',
    'Chrome/120.0.0.0 Safari/537.36',
    'v2.3.4',
    '1795336574595',
    'SKU-12345',
    '550e8400-e29b-41d4-a716-446655440000',
    'HTTP 404',
    '00:03:25',
    '#ff8800',
  ])('finds nothing in %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    ['drivers_license', 'D1234567'],
    ['driver_license', 'S530-4602-1234'],
    ['user_drivers_license_number', '123 456 789'],
    ['dl_number', 'D1234567'],
    ['license_number', 'RN654321'],
    ['licence_number', 'AB12345'],
    ['npi', '1234567893'],
    ['dea_number', 'AB1234563'],
    ['passport_number', 'X12345678'],
    ['certificate_number', 'C-0099'],
    ['license', 'D12345678'],
  ])('takes the whole value under key %s', (key, value) => {
    expect(found(value, key)).toEqual([value]);
  });

  it.each([
    ['license', 'MIT'],
    ['license', 'Apache-2.0'],
    ['license_type', 'RN'],
    ['license_state', 'CA'],
    ['drivers_license_expiration', '2027-05-01'],
    ['license_key_count', '25'],
    ['dl', 'https://example.com/page'],
    ['npi', 'n/a'],
  ])('does not take %s=%j', (key, value) => {
    expect(found(value, key)).toEqual([]);
  });

  it('takes the number out of a decorated value under a licence key', () => {
    expect(found('D1234567 (CA, exp. 2027)', 'drivers_license')).toEqual(['D1234567']);
  });

  it.each([
    ['AB1234563', true],
    ['FN5623740', true],
    ['A91234563', true], // "9" stands in for the initial of a business name
    ['AB1234567', false], // wrong check digit
    ['AB123456', false], // too short
    ['1B1234563', false], // must start with a letter
  ])('deaCheckDigitValid(%j) is %s', (value, expected) => {
    expect(deaCheckDigitValid(value)).toBe(expected);
  });

  it.each([
    ['license no. 12345', ''],
    ['ABCDEFG', 'passport_number'],
  ])('prefilter passes whatever find can match: %j under %j', (value, key) => {
    expect(detector.find(value, { key }).length).toBeGreaterThan(0);
    expect(detector.prefilter(value, { key })).toBe(true);
  });

  it('never throws on hostile input', () => {
    const inputs = [
      '', '\uD800x', "driver's license " + ' '.repeat(50_000), 'license-'.repeat(10_000),
      'DEA '.repeat(20_000) + 'AB1234563', 'passport #'.repeat(8_000), 'A'.repeat(100_000),
    ];
    for (const input of inputs) {
      expect(() => detector.find(input, { key: '' })).not.toThrow();
      expect(() => detector.find(input, { key: 'license' })).not.toThrow();
    }
  });
});

describe('license detector properties', () => {
  // Strings assembled from the detector's own keywords and token pieces reach its edge cases far
  // more often than uniform random text.
  const fragments = fc.constantFrom(...['license', 'licence', "driver's", 'DL', 'NPI', 'DEA', 'passport', 'plate', 'key', '#', ':', ' ', '-', 'no.', '123', '4567', 'AB', 'D', '1234563', '2.0', 'MIT', '\\uD800']);
  const text = fc.oneof(fc.array(fragments, { maxLength: 12 }).map((parts) => parts.join('')), fc.string());
  const key = fc.constantFrom(...['', 'license', 'drivers_license', 'npi', 'license_type']);

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
