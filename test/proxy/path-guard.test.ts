import { pathHoldsIdentifier } from '../../src/proxy/path-guard';

describe('pathHoldsIdentifier', () => {
  it.each([
    '/static/123-45-6789.js',
    '/static/617-555-0123/recorder.js',
    '/js/123-45-6789.js',
    '/analytics-next/bundles/617-555-0123.js',
    '/flags/123-45-6789/first-time-events',
    '/static/jane.doe@example.com/array.js',
    '/static/203.0.113.7.js',
    '/static/1985-03-14.js',
  ])('refuses %s', (path) => expect(pathHoldsIdentifier(path)).toBe(true));

  it.each([
    '/e/',
    '/batch/',
    '/i/v0/e/',
    '/static/array.full.es5.js',
    '/static/recorder-v2.js',
    '/static/chunk-PGUQKT6S.js',
    '/array/phc_4Xa9kQ2m7bT1cD3eF5gH8iJ0/config.js',
    '/analytics-next/bundles/ajs-destination.bundle.1c4f2e3a9b0d.js',
    '/analytics.js/v1/aB3dE5fG7hI9/analytics.min.js',
    '/v1/projects/aB3dE5fG7hI9/settings',
    '/2/httpapi',
    '/js/script.file-downloads.hash.outbound-links.js',
    '/flags/my-flag-2024/first-time-events',
  ])('lets %s through', (path) => expect(pathHoldsIdentifier(path)).toBe(false));
});
