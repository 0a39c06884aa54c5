import { isZipKey, zip3, zipDetector } from '../../src/detectors/zip';
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/detectors/types';

const detector = zipDetector(DEFAULT_DETECTOR_OPTIONS);

function found(value: string, key = ''): string[] {
  const ctx = { key };
  if (!detector.prefilter(value, ctx)) return [];
  return detector.find(value, ctx).map((s) => value.slice(s.start, s.end));
}

describe('zip detector', () => {
  it('declares its identity', () => {
    expect(detector).toMatchObject({ id: 'zip', kind: 'zip', letter: 'B', marker: '[ZIP]' });
  });

  it.each([
    ['ZIP+4 alone', '02139-4307', '02139-4307'],
    ['ZIP+4 in text', 'ships to 02139-4307 tomorrow', '02139-4307'],
    ['a zip label', 'zip 02139', '02139'],
    ['a ZIP code label with colon', 'ZIP code: 90210', '90210'],
    ['a zip_code query pair', 'zip_code=60614', '60614'],
    ['a postal code label', 'Postal Code 10001-1234', '10001-1234'],
    ['a sentence with is', 'my zip code is 73301', '73301'],
    ['city, state ZIP', 'Cambridge, MA 02139', '02139'],
    ['city state ZIP without comma', 'Boston MA 02115', '02115'],
    ['a full address', '77 Massachusetts Ave, Cambridge, MA 02139-4307, USA', '02139-4307'],
    ['an ambiguous state code after a comma', 'Boise, ID 83702', '83702'],
    ['a state name', 'Austin, Texas 78701', '78701'],
    ['a two-word state name', 'Albany, New York 12207', '12207'],
    ['a state with period', 'Washington, D.C. area, DC 20500', '20500'],
  ])('finds %s', (_label, text, expected) => {
    expect(found(text)).toEqual([expected]);
  });

  it('finds several ZIPs in order without overlap', () => {
    expect(found('from Boston MA 02115 to zip: 94105-1234')).toEqual(['02115', '94105-1234']);
  });

  it.each([
    ['a bare five-digit number', 'order 12345 shipped'],
    ['a user id after ID', 'User ID 12345'],
    ['a pull request', 'merged PR 12345'],
    ['an epoch', '1795336574595'],
    ['a SKU', 'SKU-12345'],
    ['a SKU with a +4 tail', 'SKU-12345-6789'],
    ['a price', '$12,345.67'],
    ['a price with dollars', '$12345-6789'],
    ['a model number', 'Model No. 12345-6789'],
    ['a part number', 'Part number: 55555-1234'],
    ['an order number', 'order #12345-6789'],
    ['a phone number', '617-555-0123'],
    ['an HTTP status', 'status 503'],
    ['a UUID', '550e8400-e29b-41d4-a716-446655440000'],
    ['a screen size', '1920x1080'],
    ['a version', 'Chrome/120.0.0.0'],
    ['a longer digit run after a state', 'MA 021391'],
    ['a lower-case two-letter word', 'ma 02139'],
    ['a year', 'in 2024'],
  ])('ignores %s', (_label, text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    ['zip', '02139'],
    ['zip', '021'],
    ['zip_code', '2139'],
    ['postal_code', '02139-4307'],
    ['postal_code', '021394307'],
    ['geoip_postal_code', 'SW1A 1AA'],
    ['postcode', 'EC1A 1BB'],
    ['postal_code', 'K1A 0B1'],
    ['postal', '1012 AB'],
    ['billing_zip', '10001'],
    ['shipping_postal_code', '100-0001'],
  ])('accepts the whole value under %s: %j', (key, value) => {
    expect(found(` ${value} `, key)).toEqual([value]);
  });

  it.each([
    ['zip', ''],
    ['zip', 'unknown'],
    ['postal_code', 'N/A'],
  ])('ignores %j under %s', (key, value) => {
    expect(found(value, key)).toEqual([]);
  });

  it('never throws and stays linear on adversarial input', () => {
    const inputs = ['', '\ud800', '12345-'.repeat(9_000), 'MA '.repeat(17_000) + '1', 'zip '.repeat(12_000), '1'.repeat(50_000)];
    for (const input of inputs) expect(() => detector.find(input, { key: '' })).not.toThrow();
    expect(() => detector.find('1'.repeat(50_000), { key: 'zip' })).not.toThrow();
  });
});

describe('isZipKey', () => {
  it.each(['zip', 'zip_code', 'postal_code', 'geoip_postal_code', 'billing_zip', 'shipping_zip_code'])('accepts %s', (key) => {
    expect(isZipKey(key)).toBe(true);
  });
  it.each(['', 'zipper', 'gzip', 'postal_service', 'code'])('rejects %j', (key) => {
    expect(isZipKey(key)).toBe(false);
  });
});

describe('zip3', () => {
  it.each([
    ['02139', '021'],
    ['02139-4307', '021'],
    ['021394307', '021'],
    ['2139', '021'],
    ['021', '021'],
    ['Cambridge, MA 02139', '021'],
    ['03601', '000'],
    ['82190-1234', '000'],
    ['89301', '000'],
    ['10201', '000'],
    ['10001', '100'],
  ])('maps %j to %j', (text, expected) => {
    expect(zip3(text)).toBe(expected);
  });

  it.each(['SW1A 1AA', 'K1A 0B1', '', 'no zip'])('returns undefined for %j', (text) => {
    expect(zip3(text)).toBeUndefined();
  });

  it('turns every restricted prefix into 000', () => {
    const restricted = ['036', '059', '063', '102', '203', '556', '692', '790', '821', '823', '830', '831', '878', '879', '884', '890', '893'];
    for (const prefix of restricted) expect(zip3(`${prefix}45`)).toBe('000');
  });
});
