import fc from 'fast-check';
import { accountDetector } from '../../src/detectors/account';
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/detectors/types';

const detector = accountDetector(DEFAULT_DETECTOR_OPTIONS);
const found = (value: string, key = ''): string[] =>
  detector.find(value, { key }).map((span) => value.slice(span.start, span.end));

const anyCodeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });

describe('account detector', () => {
  it('declares Safe Harbor J with the [ACCOUNT] marker', () => {
    expect(detector).toMatchObject({ id: 'account', letter: 'J', kind: 'account', marker: '[ACCOUNT]' });
  });

  it.each<[string, string[]]>([
    ['account number 12345678', ['12345678']],
    ['Account Number: 12345678', ['12345678']],
    ['acct #: 0012345678', ['0012345678']],
    ['acct# 0012345678', ['0012345678']],
    ['Acct No. 987654321', ['987654321']],
    ['Account No. 123-456-789', ['123-456-789']],
    ['routing 021000021', ['021000021']],
    ['routing number: 021000021', ['021000021']],
    ['ABA 021000021', ['021000021']],
    ['Bank account: 9876543210.', ['9876543210']],
    ['checking account 000123456789', ['000123456789']],
    ['savings acct 4455667788', ['4455667788']],
    ['account is 12345678', ['12345678']],
    ['account=12345678&x=1', ['12345678']],
    ['A/C no 12345678', ['12345678']],
    ['sort code 12-34-56, account 12345678', ['12-34-56', '12345678']],
    ['acct 12345678 2 items', ['12345678']],
    ['routing 021000021 account 1234567890', ['021000021', '1234567890']],
  ])('finds the number in %j', (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it.each<[string, string, string[]]>([
    ['account_number', '0012345678', ['0012345678']],
    ['account_number', ' 12-3456-78 ', ['12-3456-78']],
    ['acct', '123456', ['123456']],
    ['acct_no', '#12345678', ['#12345678']],
    ['bank_account', '12345678901234567890', ['12345678901234567890']],
    ['bank_account_number', '1234 5678 90', ['1234 5678 90']],
    ['routing_number', '021000021', ['021000021']],
    ['account_no', '123456789', ['123456789']],
    ['sort_code', '12-34-56', ['12-34-56']],
    ['account_number', '12345', []],
    ['account_number', '123456789012345678901', []],
    ['account_number', 'checking', []],
    ['account_id', '12345678', []],
    ['account', '12345678', []],
    ['order_id', '12345678', []],
  ])('under key %j, %j gives %j', (key, text, expected) => {
    expect(found(text, key)).toEqual(expected);
  });

  it.each([
    'order 12345678',
    '12345678',
    'account created 2024',
    'account 12345',
    'accounts 123456',
    'account_id 12345678',
    'accountant 12345678',
    'account manager 617-555-0123',
    'accept 123456',
    'account 123456789012345678901',
    'account 12345678abc',
    'Account ID: 550e8400-e29b-41d4-a716-446655440000',
    'ts 1795336574595',
    '$1,234.56',
    'SKU-12345',
    'status 503',
    '1920x1080',
    'Chrome/120.0.0.0',
  ])('ignores %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    ['six digits', 'acct 123456', true],
    ['five digits', 'acct 12345', false],
  ])('prefilter: %s', (_label, text, expected) => {
    expect(detector.prefilter(text, { key: '' })).toBe(expected);
  });

  it.each([
    ['repeated keywords', 'account '.repeat(6_000)],
    ['a keyword and a sea of spaces', `account${' '.repeat(50_000)}1`],
    ['keywords with spaced digits', `account number ${'1 '.repeat(30)}`.repeat(500)],
    ['keywords with dashed digits', `acct ${'1-'.repeat(20)}x `.repeat(1_000)],
    ['a long digit run', `acct ${'1'.repeat(50_000)}`],
    ['control characters and lone surrogates', '\u0000acct 12345678\ud800\udfff'],
    ['empty', ''],
  ])('does not throw on %s', (_label, text) => {
    expect(() => detector.find(text, { key: '' })).not.toThrow();
    expect(() => detector.find(text, { key: 'account_number' })).not.toThrow();
  });

  const keyword = fc.constantFrom('account number', 'Account No.', 'acct #:', 'acct', 'routing', 'routing number:', 'bank account', 'A/C');
  const accountNumber = fc.stringMatching(/^\d{6,17}$/);

  it('finds any 6–17 digit number after an account keyword in random text', () => {
    fc.assert(
      fc.property(fc.string(), keyword, accountNumber, fc.string(), (before, word, number, after) => {
        // A full stop after it: a digit group typed after the number would join it.
        const text = `${before} ${word} ${number}. ${after}`;
        const start = before.length + word.length + 2;
        expect(detector.prefilter(text, { key: '' })).toBe(true);
        expect(detector.find(text, { key: '' })).toContainEqual({ start, end: start + number.length, kind: 'account' });
      }),
      { numRuns: 300 },
    );
  });

  it('never flags a number without a keyword or key', () => {
    fc.assert(
      fc.property(accountNumber, (number) => {
        expect(found(`order ${number} shipped`)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('returns sorted, non-overlapping, in-bounds spans and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(anyCodeUnits, fc.string({ unit: fc.constantFrom('acct ', 'account', ' ', '1', '2', '-', '#', ':') })), (text) => {
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
