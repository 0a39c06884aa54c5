import { compileAllowQuery, decodeRepeatedly, isIdentifierSegment, scrubUrl, type UrlScrubOptions } from '../../src/engine/url';

/** A stand-in detector pass for these unit tests: e-mail addresses only. */
const scanText = (text: string): string => text.replace(/[\w.+-]+@[\w-]+\.[\w.]+/g, '[EMAIL]');
const options: UrlScrubOptions = { allowQuery: compileAllowQuery(['utm_*']), scanText };

describe('scrubUrl', () => {
  it.each([
    ['https://portal.example.org/patients/48213/chart?email=a%40b.co#dob', 'https://portal.example.org/patients/:id/chart'],
    ['https://example.org/p/550e8400-e29b-41d4-a716-446655440000/edit', 'https://example.org/p/:id/edit'],
    ['https://example.org/u/jane.doe%40example.com/', 'https://example.org/u/:id/'],
    ['https://user:secret@example.org/a?utm_source=x&token=abc', 'https://example.org/a?utm_source=x'],
    ['https://example.org/visit?utm_content=jane%40example.org', 'https://example.org/visit?utm_content=%5BEMAIL%5D'],
    ['https://example.org/records/MRN00123456', 'https://example.org/records/:id'],
    ['https://www.instagram.com/shandiinyazzie30/', 'https://www.instagram.com/:id/'],
    ['https://www.linkedin.com/in/jane-q-public/', 'https://www.linkedin.com/in/:id/'],
    ['https://example.org/patients/jane-doe/summary', 'https://example.org/patients/:id/summary'],
    ['/patients/48213?tab=labs', '/patients/:id'],
    ['?email=a%40b.co&utm_medium=cpc', '?utm_medium=cpc'],
    ['https://example.org/cart;jsessionid=ABC123DEF456', 'https://example.org/cart'],
  ])('%s → %s', (input, expected) => {
    expect(scrubUrl(input, options)).toBe(expected);
  });

  it.each([
    'https://www.example.com/pricing?utm_source=google&utm_campaign=fall%20sale',
    'https://example.com/',
    'https://example.com/about/team',
    'https://example.com/api/v2/docs',
    'https://example.com/blog/page2',
    'http://localhost:8788/pages/posthog.html',
    '/pricing',
  ])('leaves a URL with nothing to remove byte-identical: %s', (url) => {
    expect(scrubUrl(url, options)).toBe(url);
  });

  it('decodes percent-encoding repeatedly, and stops on bad escapes', () => {
    expect(decodeRepeatedly('jane%2540example.com')).toBe('jane@example.com');
    expect(decodeRepeatedly('100%')).toBe('100%');
  });

  it('calls a segment an id only when it looks like one', () => {
    expect(isIdentifierSegment('12345', scanText)).toBe(true);
    expect(isIdentifierSegment('settings', scanText)).toBe(false);
    expect(isIdentifierSegment('v3', scanText)).toBe(false);
  });
});

describe('scrubUrl path templating', () => {
  it.each([
    ['https://x.org/patients/5T4ALXQSNX/chart/summary', 'https://x.org/patients/:id/chart/summary'],
    ['https://x.org/members/rosalind/claims', 'https://x.org/members/:id/claims'],
    ['https://x.org/booking/AB12CD9', 'https://x.org/booking/:id'],
  ])('%s → %s', (input, expected) => expect(scrubUrl(input, options)).toBe(expected));

  it.each([
    'https://x.org/patients/new',
    'https://x.org/account/billing',
    'https://x.org/static/js/main.8f3c1a.js',
    'https://x.org/blog/flu-season-2026',
    'https://x.org/billing/pay?step=2&utm_source=mail',
  ])('keeps %s', (url) => expect(scrubUrl(url, { ...options, allowQuery: compileAllowQuery(['utm_*', 'step']) })).toBe(url));
});
