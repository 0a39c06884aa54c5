import fc from 'fast-check';
import { cardDetector, cardNetwork, isCardNumber } from '../../src/detectors/card';
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/detectors/types';
import { luhnValid } from '../../src/detectors/util';

const detector = cardDetector(DEFAULT_DETECTOR_OPTIONS);
const found = (value: string, key = ''): string[] =>
  detector.find(value, { key }).map((span) => value.slice(span.start, span.end));

const anyCodeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });

/** Appends the Luhn check digit to `body`. */
function withCheckDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(`${body}${d}`)) return `${body}${d}`;
  throw new Error('unreachable: one check digit always fits');
}

describe('card detector', () => {
  it('declares Safe Harbor J with the [CARD] marker', () => {
    expect(detector).toMatchObject({ id: 'card', letter: 'J', kind: 'card', marker: '[CARD]' });
  });

  // Networks' published test numbers.
  it.each<[string, string[]]>([
    ['4111111111111111', ['4111111111111111']],
    ['4111 1111 1111 1111', ['4111 1111 1111 1111']],
    ['card 4111-1111-1111-1111 exp 12/27', ['4111-1111-1111-1111']],
    ['4222222222222', ['4222222222222']],
    ['5555555555554444', ['5555555555554444']],
    ['5105 1051 0510 5100', ['5105 1051 0510 5100']],
    ['2223003122003222', ['2223003122003222']],
    ['378282246310005', ['378282246310005']],
    ['3782 822463 10005', ['3782 822463 10005']],
    ['371449635398431', ['371449635398431']],
    ['6011111111111117', ['6011111111111117']],
    ['6011 0009 9013 9424', ['6011 0009 9013 9424']],
    ['3530111333300000', ['3530111333300000']],
    ['30569309025904', ['30569309025904']],
    ['3056 930902 5904', ['3056 930902 5904']],
    ['6200000000000005', ['6200000000000005']],
    ['paid with 4111 1111 1111 1111, thanks', ['4111 1111 1111 1111']],
    ['cc=4111111111111111&cvv=123', ['4111111111111111']],
    ['4111 1111 1111 1111 12/27', ['4111 1111 1111 1111']],
    ['4111 1111 1111 1111 27', ['4111 1111 1111 1111']],
    ['two: 4111111111111111 and 5555555555554444', ['4111111111111111', '5555555555554444']],
  ])('finds the card in %j', (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it.each([
    '1795336574595',
    '1795336574595000',
    'ts=1795336574595',
    '4111111111111112',
    '1234567812345670',
    '0000000000000000',
    '9999999999999995',
    '4111 1111 1111',
    '41 11 11 11 11 11 11 11',
    '41111 11111 11111 1',
    '4111 1111-1111 1111',
    '4111111111111111111111',
    'x4111111111111111',
    '4111111111111111abc',
    '550e8400-e29b-41d4-a716-446655440000',
    '01a20266-0f5e-7b5c-9b1e-3c2d1e0f9a8b',
    '(617) 555-0123',
    '+1 617 555 0123 4567',
    '123-45-6789',
    'DE89370400440532013000',
    '$1,234.56',
    '1920x1080',
    '120.0.0.0',
  ])('ignores %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it.each<[string, string | undefined]>([
    ['4111111111111111', 'visa'],
    ['5555555555554444', 'mastercard'],
    ['2720990000000000', 'mastercard'],
    ['378282246310005', 'amex'],
    ['6011111111111117', 'discover'],
    ['6445644564456445', 'discover'],
    ['3530111333300000', 'jcb'],
    ['30569309025904', 'diners'],
    ['6200000000000005', 'unionpay'],
    ['1795336574595', undefined],
    ['37828224631000', undefined],
  ])('cardNetwork(%j) is %j', (digits, expected) => {
    expect(cardNetwork(digits)).toBe(expected);
  });

  it('never takes an epoch-millisecond timestamp for a card', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_000_000_000_000, max: 1_999_999_999_999 }), (millis) => {
        expect(isCardNumber(String(millis))).toBe(false);
        expect(found(`ts ${millis}`)).toEqual([]);
      }),
    );
  });

  it.each([
    ['thirteen digits', '4222222222222', true],
    ['twelve digits', '4222 2222 2222', false],
  ])('prefilter: %s', (_label, text, expected) => {
    expect(detector.prefilter(text, { key: '' })).toBe(expected);
  });

  it.each([
    ['a long digit run', '1'.repeat(50_000)],
    ['spaced digits', '1 '.repeat(25_000)],
    ['dashed digits', '4-'.repeat(25_000)],
    ['four-digit groups', '4111 '.repeat(10_000)],
    ['many cards', '4111111111111111 '.repeat(3_000)],
    ['control characters and lone surrogates', '\u00004111111111111111\ud800\udfff'],
    ['empty', ''],
  ])('does not throw on %s', (_label, text) => {
    expect(() => detector.find(text, { key: '' })).not.toThrow();
  });

  const plantedCard = fc
    .tuple(
      fc.constantFrom(
        { prefix: '4', length: 16 }, { prefix: '4', length: 13 }, { prefix: '51', length: 16 },
        { prefix: '55', length: 16 }, { prefix: '2221', length: 16 }, { prefix: '2720', length: 16 },
        { prefix: '34', length: 15 }, { prefix: '37', length: 15 }, { prefix: '6011', length: 16 },
        { prefix: '65', length: 16 }, { prefix: '3528', length: 16 }, { prefix: '36', length: 14 },
        { prefix: '62', length: 19 },
      ),
      fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 18, maxLength: 18 }),
      fc.constantFrom('', ' ', '-'),
    )
    .map(([{ prefix, length }, digits, separator]) => {
      const number = withCheckDigit(prefix + digits.join('').slice(0, length - prefix.length - 1));
      if (separator === '') return number;
      const sizes = length === 15 ? [4, 6, 5] : length === 14 ? [4, 6, 4] : [4, 4, 4, 4, 3];
      const groups: string[] = [];
      let at = 0;
      for (const size of sizes) {
        if (at >= number.length) break;
        groups.push(number.slice(at, at + size));
        at += size;
      }
      return groups.join(separator);
    });

  it('finds any Luhn-valid card of a known network planted in random text', () => {
    fc.assert(
      fc.property(fc.string(), plantedCard, fc.string(), (before, card, after) => {
        // A comma after it: a lone digit group typed after a card may extend it to a longer valid number.
        const text = `${before} ${card}, ${after}`;
        const start = before.length + 1;
        expect(detector.prefilter(text, { key: '' })).toBe(true);
        expect(detector.find(text, { key: '' })).toContainEqual({ start, end: start + card.length, kind: 'card' });
      }),
      { numRuns: 300 },
    );
  });

  it('returns sorted, non-overlapping, in-bounds spans and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(anyCodeUnits, fc.string({ unit: fc.constantFrom('4', '1', '0', '5', ' ', '-', '4111 ') })), (text) => {
        const spans = detector.find(text, { key: '' });
        if (spans.length > 0) expect(detector.prefilter(text, { key: '' })).toBe(true);
        let lastEnd = 0;
        for (const span of spans) {
          expect(span.start).toBeGreaterThanOrEqual(lastEnd);
          expect(span.end).toBeGreaterThan(span.start);
          expect(span.end).toBeLessThanOrEqual(text.length);
          expect(luhnValid(text.slice(span.start, span.end))).toBe(true);
          lastEnd = span.end;
        }
      }),
      { numRuns: 500 },
    );
  });
});
