import fc from 'fast-check';
import { ibanChecksumValid, ibanDetector } from '../../src/detectors/iban';
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/detectors/types';

const detector = ibanDetector(DEFAULT_DETECTOR_OPTIONS);
const found = (value: string, key = ''): string[] =>
  detector.find(value, { key }).map((span) => value.slice(span.start, span.end));

const anyCodeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });

/** Computes the two check digits that make `country` + `bban` a valid IBAN (ISO 13616). */
function ibanOf(country: string, bban: string): string {
  const rearranged = `${bban}${country}00`.replace(/[A-Z]/g, (letter) => String(letter.charCodeAt(0) - 55));
  let remainder = 0;
  for (const digit of rearranged) remainder = (remainder * 10 + Number(digit)) % 97;
  return `${country}${String(98 - remainder).padStart(2, '0')}${bban}`;
}

describe('iban detector', () => {
  it('declares Safe Harbor J with the [IBAN] marker', () => {
    expect(detector).toMatchObject({ id: 'iban', letter: 'J', kind: 'iban', marker: '[IBAN]' });
  });

  // Example IBANs published by the national banks / SWIFT registry.
  it.each<[string, string[]]>([
    ['DE89370400440532013000', ['DE89370400440532013000']],
    ['DE89 3704 0044 0532 0130 00', ['DE89 3704 0044 0532 0130 00']],
    ['IBAN: GB82 WEST 1234 5698 7654 32, BIC WESTGB2L', ['GB82 WEST 1234 5698 7654 32']],
    ['GB82WEST12345698765432', ['GB82WEST12345698765432']],
    ['FR14 2004 1010 0505 0001 3M02 606', ['FR14 2004 1010 0505 0001 3M02 606']],
    ['NL91ABNA0417164300', ['NL91ABNA0417164300']],
    ['BE68539007547034', ['BE68539007547034']],
    ['NO9386011117947', ['NO9386011117947']],
    ['CH9300762011623852957', ['CH9300762011623852957']],
    ['ES91 2100 0418 4502 0005 1332', ['ES91 2100 0418 4502 0005 1332']],
    ['IT60X0542811101000000123456', ['IT60X0542811101000000123456']],
    ['iban=DE89370400440532013000&amount=5', ['DE89370400440532013000']],
    ['lower case de89370400440532013000 too', ['de89370400440532013000']],
    ['pay DE89 3704 0044 0532 0130 00 today', ['DE89 3704 0044 0532 0130 00']],
    ['(DE89370400440532013000)', ['DE89370400440532013000']],
  ])('finds the IBAN in %j', (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it.each([
    'DE89370400440532013001',
    'DE89 3704 0044 0532 0130 01',
    'XX89370400440532013000',
    'DE8937040044053201300',
    'DE893704004405320130001',
    'xDE89370400440532013000',
    'De89370400440532013000',
    'GB82west12345698765432',
    'DE89  3704 0044 0532 0130 00',
    'US12345678901234567890',
    'SKU-12345',
    'AB-1234-XY',
    '1795336574595',
    '4111 1111 1111 1111',
    '550e8400-e29b-41d4-a716-446655440000',
    'phc_testtoken',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  ])('ignores %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it.each<[string, boolean]>([
    ['DE89370400440532013000', true],
    ['GB82WEST12345698765432', true],
    ['gb82west12345698765432', true],
    ['DE89370400440532013001', false],
    ['DE89-370400440532013000', false],
  ])('ibanChecksumValid(%j) is %j', (text, expected) => {
    expect(ibanChecksumValid(text)).toBe(expected);
  });

  it.each([
    ['eight digits', 'DE89 3704 00', true],
    ['seven digits', 'DE89 3704 0', false],
  ])('prefilter: %s', (_label, text, expected) => {
    expect(detector.prefilter(text, { key: '' })).toBe(expected);
  });

  it.each([
    ['repeated country prefixes', 'DE89'.repeat(12_000)],
    ['spaced country prefixes', 'DE89 '.repeat(10_000)],
    ['a long alphanumeric run', 'DE89A'.repeat(10_000)],
    ['many IBANs', 'DE89370400440532013000 '.repeat(2_000)],
    ['control characters and lone surrogates', '\u0000DE89370400440532013000\ud800\udfff'],
    ['empty', ''],
  ])('does not throw on %s', (_label, text) => {
    expect(() => detector.find(text, { key: '' })).not.toThrow();
  });

  const countries = { DE: 22, AT: 20, BE: 16, ES: 24, PL: 28, NO: 15, FI: 18, PT: 25, IT: 27, GB: 22 } as const;
  const plantedIban = fc
    .tuple(
      fc.constantFrom(...(Object.keys(countries) as (keyof typeof countries)[])),
      fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 30, maxLength: 30 }),
      fc.boolean(),
    )
    .map(([country, digits, spaced]) => {
      const iban = ibanOf(country, digits.join('').slice(0, countries[country] - 4));
      return spaced ? (iban.match(/.{1,4}/g) ?? []).join(' ') : iban;
    });

  it('finds any checksum-valid IBAN planted in random text', () => {
    fc.assert(
      fc.property(fc.string(), plantedIban, fc.string(), (before, iban, after) => {
        // Punctuation around it: an IBAN glued to letters or digits is not an IBAN.
        const text = `${before}, ${iban}, ${after}`;
        const start = before.length + 2;
        expect(detector.prefilter(text, { key: '' })).toBe(true);
        expect(detector.find(text, { key: '' })).toContainEqual({ start, end: start + iban.length, kind: 'iban' });
      }),
      { numRuns: 300 },
    );
  });

  it('returns sorted, non-overlapping, in-bounds spans and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(anyCodeUnits, fc.string({ unit: fc.constantFrom('DE', '89', '3', '0', ' ', 'A', '7') })), (text) => {
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
