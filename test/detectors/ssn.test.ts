import fc from 'fast-check';
import { isIssuableSsn, ssnDetector } from '../../src/detectors/ssn';
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/detectors/types';

const detector = ssnDetector(DEFAULT_DETECTOR_OPTIONS);
const found = (value: string, key = ''): string[] =>
  detector.find(value, { key }).map((span) => value.slice(span.start, span.end));

const anyCodeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });

describe('ssn detector', () => {
  it('declares Safe Harbor G with the [SSN] marker', () => {
    expect(detector).toMatchObject({ id: 'ssn', letter: 'G', kind: 'ssn', marker: '[SSN]' });
  });

  it.each<[string, string[]]>([
    ['123-45-6789', ['123-45-6789']],
    ['123 45 6789', ['123 45 6789']],
    ['SSN: 123-45-6789.', ['123-45-6789']],
    ['my ssn is 078-05-1120, ok', ['078-05-1120']],
    ['(123-45-6789)', ['123-45-6789']],
    ['ssn=123-45-6789&x=1', ['123-45-6789']],
    ['SSN 123456789', ['123456789']],
    ['SSN:123456789', ['123456789']],
    ['SS# 123456789', ['123456789']],
    ['social security number: 123456789', ['123456789']],
    ['Social Security No. 123456789', ['123456789']],
    ['TIN 123456789', ['123456789']],
    ['SSN 123 45 6789', ['123 45 6789']],
    ['two: 123-45-6789 and 234-56-7890', ['123-45-6789', '234-56-7890']],
  ])('finds the SSN in %j', (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it.each<[string, string, string[]]>([
    ['ssn', '123456789', ['123456789']],
    ['ssn', ' 123456789 ', ['123456789']],
    ['social_security_number', '123.45.6789', ['123.45.6789']],
    ['patient_ssn', '123 - 45 - 6789', ['123 - 45 - 6789']],
    ['social_security', '123456789', ['123456789']],
    ['ss_number', '123456789', ['123456789']],
    ['tin', '123456789', ['123456789']],
    ['taxpayer_id', '123456789', ['123456789']],
    ['ssn', '000000000', []],
    ['ssn', '987654321', []],
    ['user_id', '123456789', []],
    ['order_number', '123456789', []],
  ])('under key %j, %j gives %j', (key, text, expected) => {
    expect(found(text, key)).toEqual(expected);
  });

  it.each([
    '123456789',
    'order 123456789',
    'id 123456789',
    'Austin 123456789',
    '000-12-3456',
    '666-12-3456',
    '900-12-3456',
    '999-45-6789',
    '123-00-4567',
    '123-45-0000',
    '123-45 6789',
    '1123-45-6789',
    '123-45-67890',
    '123-45-6789-0',
    'A123-45-6789',
    '555 123 45 6789',
    '617-555-0123',
    '(617) 555-0123',
    '2024-01-15',
    '1795336574595',
    '550e8400-e29b-41d4-a716-446655440000',
    '4111 1111 1111 1111',
    '$1,234.56',
    'SKU-12345',
    '1.449.2',
  ])('ignores %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it.each<[string, string, string, boolean]>([
    ['123', '45', '6789', true],
    ['000', '45', '6789', false],
    ['666', '45', '6789', false],
    ['900', '45', '6789', false],
    ['899', '45', '6789', true],
    ['123', '00', '6789', false],
    ['123', '45', '0000', false],
  ])('isIssuableSsn(%j, %j, %j) is %j', (area, group, serial, expected) => {
    expect(isIssuableSsn(area, group, serial)).toBe(expected);
  });

  it.each([
    ['nine digits', '12-34-56-789', true],
    ['eight digits', '1234-5678', false],
  ])('prefilter: %s', (_label, text, expected) => {
    expect(detector.prefilter(text, { key: '' })).toBe(expected);
  });

  it.each([
    ['a long digit run', '1'.repeat(50_000)],
    ['spaced digit groups', '123 45 '.repeat(7_000)],
    ['dashed digit groups', '123-45-'.repeat(7_000)],
    ['keywords', 'SSN '.repeat(12_500)],
    ['keywords and digits', 'SSN 123 '.repeat(6_000)],
    ['control characters and lone surrogates', '\u0000123-45-6789\ud800\udfff'],
    ['empty', ''],
  ])('does not throw on %s', (_label, text) => {
    expect(() => detector.find(text, { key: '' })).not.toThrow();
    expect(() => detector.find(text, { key: 'ssn' })).not.toThrow();
  });

  const issuable = fc
    .tuple(
      fc.integer({ min: 1, max: 899 }).filter((area) => area !== 666),
      fc.integer({ min: 1, max: 99 }),
      fc.integer({ min: 1, max: 9999 }),
      fc.constantFrom('-', ' '),
    )
    .map(([area, group, serial, separator]) =>
      [String(area).padStart(3, '0'), String(group).padStart(2, '0'), String(serial).padStart(4, '0')].join(separator));

  it('finds any issuable dashed or spaced SSN planted in random text', () => {
    fc.assert(
      fc.property(fc.string(), issuable, fc.string(), (before, ssn, after) => {
        // Letters around the number: spaced SSNs next to other spaced digits are deliberately skipped.
        const text = `${before}x ${ssn} x${after}`;
        const start = before.length + 2;
        expect(detector.prefilter(text, { key: '' })).toBe(true);
        expect(detector.find(text, { key: '' })).toContainEqual({ start, end: start + ssn.length, kind: 'ssn' });
      }),
      { numRuns: 300 },
    );
  });

  it('returns sorted, non-overlapping, in-bounds spans and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(anyCodeUnits, fc.string({ unit: fc.constantFrom('1', '2', '3', '-', ' ', 'SSN ', '#') })), (text) => {
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
