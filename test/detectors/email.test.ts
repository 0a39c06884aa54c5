import fc from 'fast-check';
import { emailDetector } from '../../src/detectors/email';
import { DEFAULT_DETECTOR_OPTIONS, type Span } from '../../src/detectors/types';

const detector = emailDetector(DEFAULT_DETECTOR_OPTIONS);
const found = (value: string, key = ''): string[] =>
  detector.find(value, { key }).map((span) => value.slice(span.start, span.end));

// Any UTF-16 code unit, lone surrogates and control characters included.
const anyCodeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });

describe('email detector', () => {
  it('declares Safe Harbor F with the [EMAIL] marker', () => {
    expect(detector).toMatchObject({ id: 'email', letter: 'F', kind: 'email', marker: '[EMAIL]' });
  });

  it.each<[string, string[]]>([
    ['jane@example.com', ['jane@example.com']],
    ['Contact: Jane.Doe@Example.COM, thanks', ['Jane.Doe@Example.COM']],
    ['jane.doe+newsletter@mail.example.co.uk', ['jane.doe+newsletter@mail.example.co.uk']],
    ['mailto:bob_smith-99@clinic.health?subject=hi', ['bob_smith-99@clinic.health']],
    ['https://app.example.com/invite?email=jane.doe%40example.com&ref=x', ['jane.doe%40example.com']],
    ['JANE.DOE%40EXAMPLE.ORG', ['JANE.DOE%40EXAMPLE.ORG']],
    ['<jane@example.com>', ['jane@example.com']],
    ['"jane@example.com"', ['jane@example.com']],
    ["'o'brien@example.ie'", ["o'brien@example.ie"]],
    ['(reply to ana@sub.domain.example.net).', ['ana@sub.domain.example.net']],
    ['sent to a@b.io and c.d@e.fr', ['a@b.io', 'c.d@e.fr']],
    ['josé.garcía@correo.es', ['josé.garcía@correo.es']],
    ['user@xn--bcher-kva.example', ['user@xn--bcher-kva.example']],
    ['email=jane@example.com', ['jane@example.com']],
    ['end of sentence jane@example.com.', ['jane@example.com']],
    // Text glued on after the top-level domain (copy-paste, templates without a space).
    ['write to a@example.comFollow-up on Monday', ['a@example.comFollow']],
    ['jane@example.com2024 renewal', ['jane@example.com']],
    ['jane.doe@clinic.org_backup', ['jane.doe@clinic.org']],
  ])('finds the address in %j', (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it.each([
    'pkg@1.2.3',
    'lodash@4.17.21 installed',
    '@types/node@20.19.43',
    'user@localhost',
    'ping @jane on slack',
    'retina icon@2x.png',
    'logo@3x.webp',
    'bundle@latest.js',
    'jane.@example.com',
    '@example.com',
    'jane@',
    'jane@-bad-.com',
    'jane@example.c',
    '$pageview',
    'phc_testtoken',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    '550e8400-e29b-41d4-a716-446655440000',
    '100%40 off',
  ])('ignores %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it('reports offsets into the original string', () => {
    expect(detector.find('x jane@example.com y', { key: '' })).toEqual<Span[]>([{ start: 2, end: 18, kind: 'email' }]);
  });

  it.each([
    ['has an at-sign', 'a@b.co', true],
    ['has an encoded at-sign', 'a%40b.co', true],
    ['has neither', 'plain text 100%4', false],
  ])('prefilter: %s', (_label, text, expected) => {
    expect(detector.prefilter(text, { key: '' })).toBe(expected);
  });

  it.each([
    ['a long run of local characters', 'a'.repeat(50_000)],
    ['many at-signs', '@'.repeat(50_000)],
    ['alternating local chars and at-signs', 'a@'.repeat(25_000)],
    ['encoded at-signs', 'a%40'.repeat(12_500)],
    ['a huge domain', `a@${'b.'.repeat(25_000)}`],
    ['control characters and lone surrogates', '\u0000\ud800@\udfff.\u0007com'],
    ['empty', ''],
  ])('does not throw on %s', (_label, text) => {
    expect(() => detector.find(text, { key: '' })).not.toThrow();
  });

  const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
  const email = fc
    .tuple(
      fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9._+-]{0,20}[A-Za-z0-9])?$/),
      fc.array(label, { minLength: 1, maxLength: 3 }),
      fc.constantFrom('com', 'org', 'io', 'co.uk', 'health', 'de'),
      fc.boolean(),
    )
    .map(([local, labels, tld, encoded]) => `${local}${encoded ? '%40' : '@'}${labels.join('.')}.${tld}`);

  it('finds any well-formed address planted in random text', () => {
    fc.assert(
      fc.property(fc.string(), email, fc.string(), (before, address, after) => {
        const text = `${before} ${address} ${after}`;
        const start = before.length + 1;
        expect(detector.prefilter(text, { key: '' })).toBe(true);
        expect(detector.find(text, { key: '' })).toContainEqual({ start, end: start + address.length, kind: 'email' });
      }),
      { numRuns: 300 },
    );
  });

  it('returns sorted, non-overlapping, in-bounds spans and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(anyCodeUnits, fc.string({ unit: fc.constantFrom('a', '.', '@', '%40', '-', ' ', 'x.io') })), (text) => {
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
