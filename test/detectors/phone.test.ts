import fc from 'fast-check';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { NANP_INTERNATIONAL, nanpShapedNationalNumber, phoneDetector } from '../../src/detectors/phone';
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/detectors/types';

const usOnly = phoneDetector(DEFAULT_DETECTOR_OPTIONS);
const usAndUk = phoneDetector({ phoneRegions: ['US', 'GB'] });
const found = (value: string, key = '', detector = usOnly): string[] =>
  detector.find(value, { key }).map((span) => value.slice(span.start, span.end));

const anyCodeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });

describe('phone detector', () => {
  it('declares Safe Harbor D with the [PHONE] marker', () => {
    expect(usOnly).toMatchObject({ id: 'phone', letter: 'D', kind: 'phone', marker: '[PHONE]' });
  });

  it.each<[string, string[]]>([
    ['(617) 555-0123', ['(617) 555-0123']],
    ['call me at 617-555-0123 tonight', ['617-555-0123']],
    ['617.555.0123', ['617.555.0123']],
    ['617 555 0123', ['617 555 0123']],
    ['(617)555-0123', ['(617)555-0123']],
    ['1-800-555-0199', ['1-800-555-0199']],
    ['617-555-0123 ext. 12', ['617-555-0123 ext. 12']],
    ['617-555-0123 x4567', ['617-555-0123 x4567']],
    ['tel:+16175550123', ['+16175550123']],
    ['+16175550123', ['+16175550123']],
    ['+1 (617) 555-0123', ['+1 (617) 555-0123']],
    ['+1-555-123-4567', ['+1-555-123-4567']],
    ['+44 20 7946 0958', ['+44 20 7946 0958']],
    ['+44 (0)20 7946 0958', ['+44 (0)20 7946 0958']],
    ['+49 30 901820', ['+49 30 901820']],
    ['+33 1 23 45 67 89', ['+33 1 23 45 67 89']],
    ['00 49 30 901820', ['00 49 30 901820']],
    ['011 44 20 7946 0958', ['011 44 20 7946 0958']],
    ['Fax: (212) 555-0188.', ['(212) 555-0188']],
    ['Phone: 6175550123', ['6175550123']],
    ['my number is 6175550123', ['6175550123']],
    ['617-555-0123, 617-555-0124', ['617-555-0123', '617-555-0124']],
    ['Call 617-555-0123 24/7', ['617-555-0123']],
    ['room 5 (617) 555-0123', ['(617) 555-0123']],
    ['"617-555-0123"', ['617-555-0123']],
  ])('finds the US-default number in %j', (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['cb 2065550122', '2065550122'],
    ['CB: 2065550122 after 5pm', '2065550122'],
    ['callback 6175550123', '6175550123'],
    ['call back 617 555 0123', '617 555 0123'],
    ['Best number 8578348171', '8578348171'],
    ['best # is 8578348171', '8578348171'],
    ['the number is 6175550123', '6175550123'],
    ['reach me at 6175550123', '6175550123'],
    ['text me 6175550123', '6175550123'],
    ['ph 617-555-0123', '617-555-0123'],
    ['tel 6175550123', '6175550123'],
    ['mob 07', ''],
    ['mobile: 6175550123', '6175550123'],
    ['cell 16175550123', '16175550123'],
    ['contact number 6175550123', '6175550123'],
    ['phone# 6175550123', '6175550123'],
  ])('finds a bare run after a phone cue in %j', (text, phone) => {
    expect(found(text)).toEqual(phone === '' ? [] : [phone]);
  });

  it.each([
    'cb=1712345678', '?v=2&cb=6175550123', 'order number is 6175550123', 'account number is 6175550123',
    'call 1700000000', 'text me 0175550123', 'tracking number is 8578348171', 'best 8578348171 rated',
  ])('ignores a bare run without a real phone cue or NANP shape: %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it.each<[string, string[]]>([
    ['020 7946 0958', ['020 7946 0958']],
    ['ring 07700 900123 today', ['07700 900123']],
    ['(617) 555-0123', ['(617) 555-0123']],
  ])('with GB among the regions finds %j', (text, expected) => {
    expect(found(text, '', usAndUk)).toEqual(expected);
  });

  it('does not read UK national formats when GB is not configured', () => {
    expect(found('020 7946 0958')).toEqual([]);
  });

  it.each<[string, string, string[]]>([
    ['phone', '5550123', ['5550123']],
    ['phone', ' 6175550123 ', ['6175550123']],
    ['mobile', '+447700900123', ['+447700900123']],
    ['fax_number', '617 555 0123', ['617 555 0123']],
    ['contact_number', '(617) 555-0123 ext 4', ['(617) 555-0123 ext 4']],
    ['home_phone', 'tel:6175550123', ['6175550123']],
    ['telephone', 'office: 617 555 0123, cell 6175550199', ['617 555 0123', '6175550199']],
  ])('under key %j accepts %j', (key, text, expected) => {
    expect(found(text, key)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['phone', '12345'],
    ['phone', 'unknown'],
    ['phone_verified', 'true'],
    ['mobile_os_version', '17.2.1'],
    ['user_id', '6175550123'],
  ])('under key %j rejects %j', (key, text) => {
    expect(found(text, key)).toEqual([]);
  });

  it.each([
    '1795336574595',
    'ts=1795336574595',
    '1700000000',
    'order 6175550123',
    '12345678901',
    '$1,234.56',
    '19.99',
    '1234567.89',
    '120.0.0.0',
    '192.168.100.200',
    'Chrome/120.0.0.0',
    '1.449.2',
    'v2.3.4',
    '2024-01-15',
    '2024-01-15T10:30:00Z',
    '2024-01-15 10:30:00',
    '01/15/2024',
    '15.01.2024',
    '00:03:25',
    '1500ms',
    'SKU-12345',
    'AB-1234-XY',
    'status 503',
    '1920x1080',
    '550e8400-e29b-41d4-a716-446655440000',
    '01a20266-0f5e-7b5c-9b1e-3c2d1e0f9a8b',
    '4111 1111 1111 1111',
    '4111-1111-1111-1111',
    '378282246310005',
    '123-45-6789',
    '67890 12345',
    '555-0123',
    'ID6175550123',
    'abc-617-555-0123',
    '617-555-0123-4567',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    '$pageview',
  ])('ignores %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    ['seven digits', '555 0123', true],
    ['six digits', 'a 55-0123', false],
  ])('prefilter: %s', (_label, text, expected) => {
    expect(usOnly.prefilter(text, { key: '' })).toBe(expected);
  });

  it.each([
    ['a long digit run', '1'.repeat(50_000)],
    ['spaced digits', '1 '.repeat(25_000)],
    ['bracketed digits', '(1'.repeat(25_000)],
    ['plus signs', '+1'.repeat(25_000)],
    ['dashed digits', '1-'.repeat(25_000)],
    ['many phone numbers', '617-555-0123 '.repeat(3_800)],
    ['a number then a sea of tabs', `617-555-0123${'\t'.repeat(50_000)}x1`],
    ['control characters and lone surrogates', '\u0000617\ud800555\u00070123\udfff'],
    ['empty', ''],
  ])('does not throw on %s', (_label, text) => {
    expect(() => usOnly.find(text, { key: '' })).not.toThrow();
    expect(() => usOnly.find(text, { key: 'phone' })).not.toThrow();
  });

  const nanpNumber = fc
    .tuple(
      fc.integer({ min: 200, max: 999 }),
      fc.integer({ min: 200, max: 999 }),
      fc.integer({ min: 0, max: 9999 }),
      fc.constantFrom('(A) E-L', 'A-E-L', 'A.E.L', 'A E L', '+1 A E L', '+1-A-E-L', '1-A-E-L', '+1AEL', '+1 (A) E-L'),
    )
    .map(([area, exchange, line, template]) =>
      template.replace('A', String(area)).replace('E', String(exchange)).replace('L', String(line).padStart(4, '0')));

  it('finds any formatted NANP number planted in random text', () => {
    fc.assert(
      fc.property(fc.string(), nanpNumber, fc.string(), (before, phone, after) => {
        const text = `${before} ${phone} ${after}`;
        const start = before.length + 1;
        const end = start + phone.length;
        expect(usOnly.prefilter(text, { key: '' })).toBe(true);
        // The span may grow (an `x12` extension typed right after); it must cover the number.
        const spans = usOnly.find(text, { key: '' });
        expect(spans.some((span) => span.start <= start && span.end >= end)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('never finds a phone in an epoch-millisecond timestamp', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_000_000_000_000, max: 2_999_999_999_999 }), (millis) => {
        expect(found(String(millis))).toEqual([]);
        expect(found(`{"ts":"${millis}"}`)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('decides NANP-shaped numbers without libphonenumber exactly as libphonenumber does', () => {
    // A sample of the full check (every area code, nine formats, with and without the trunk
    // prefix, all 25 NANP regions): where the shortcut answers, libphonenumber agrees.
    const formats = [
      (a: string, e: string, l: string) => `${a}${e}${l}`, (a: string, e: string, l: string) => `(${a}) ${e}-${l}`,
      (a: string, e: string, l: string) => `(${a})${e}-${l}`, (a: string, e: string, l: string) => `${a}-${e}-${l}`,
      (a: string, e: string, l: string) => `${a}.${e}.${l}`, (a: string, e: string, l: string) => `${a} ${e} ${l}`,
      (a: string, e: string, l: string) => `${a}/${e}-${l}`, (a: string, e: string, l: string) => `${a} / ${e} . ${l}`,
    ];
    const digit3 = fc.integer({ min: 0, max: 999 }).map((n) => String(n).padStart(3, '0'));
    fc.assert(
      fc.property(
        fc.constantFrom<CountryCode>('US', 'CA', 'PR', 'JM'), fc.constantFrom('', '1', '1 ', '1-', '1.'),
        fc.constantFrom(...formats), digit3, digit3, fc.integer({ min: 0, max: 9999 }),
        (region, prefix, format, area, exchange, line) => {
          const body = prefix + format(area, exchange, String(line).padStart(4, '0'));
          const national = nanpShapedNationalNumber(body.replace(/\D/g, ''));
          if (national === undefined) return; // a leading 011: libphonenumber decides
          const parsed = parsePhoneNumberFromString(body, region);
          expect([parsed?.isPossible(), parsed?.nationalNumber]).toEqual([true, national]);
        },
      ),
      { numRuns: 3_000 },
    );
    // `+1` then a NANP-shaped number: possible, whatever the area code.
    fc.assert(
      fc.property(
        fc.constantFrom('', ' ', '-', '.'), fc.constantFrom(...formats), digit3, digit3, fc.integer({ min: 0, max: 9999 }),
        (separator, format, area, exchange, line) => {
          const text = `+1${separator}${format(area, exchange, String(line).padStart(4, '0'))}`;
          if (!NANP_INTERNATIONAL.test(text)) return;
          expect(parsePhoneNumberFromString(text)?.isPossible()).toBe(true);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('returns sorted, non-overlapping, in-bounds spans and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(anyCodeUnits, fc.string({ unit: fc.constantFrom('1', '6', ' ', '-', '(', ')', '+', '.', 'x', '5') })), (text) => {
        const spans = usOnly.find(text, { key: '' });
        if (spans.length > 0) expect(usOnly.prefilter(text, { key: '' })).toBe(true);
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

describe('phone: numbers libphonenumber gives to another region of the calling code', () => {
  it('finds a 7-digit 310 number under US (possible in CA, not by US lengths alone)', () => {
    const find = (text: string) => phoneDetector({ phoneRegions: ['US'] }).find(text, { key: '' });
    expect(find('call me at 310-0000')).toEqual([{ start: 11, end: 19, kind: 'phone' }]);
  });
});
