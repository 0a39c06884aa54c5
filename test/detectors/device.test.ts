import fc from 'fast-check';
import { deviceDetector, isAdvertisingId, isBareImei, isMacAddress } from '../../src/detectors/device';
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/detectors/types';

const detector = deviceDetector(DEFAULT_DETECTOR_OPTIONS);
const found = (value: string, key = ''): string[] =>
  detector.find(value, { key }).map((s) => value.slice(s.start, s.end));

describe('device detector', () => {
  it('describes itself', () => {
    expect([detector.id, detector.kind, detector.letter, detector.marker]).toEqual(['device', 'device', 'M', '[DEVICE_ID]']);
  });

  it.each([
    ['00:1A:2B:3C:4D:5E', '00:1A:2B:3C:4D:5E'],
    ['wifi 00-1a-2b-3c-4d-5e connected', '00-1a-2b-3c-4d-5e'],
    ['router 001a.2b3c.4d5e', '001a.2b3c.4d5e'],
    ['MAC address: ab:cd:ef:01:23:45.', 'ab:cd:ef:01:23:45'],
    ['mac=001A2B3C4D5E', '001A2B3C4D5E'],
    ['490154203237518', '490154203237518'],
    ['IMEI: 356938035643809', '356938035643809'],
    ['imei 35-209900-176148-1', '35-209900-176148-1'],
    ['phone 35 209900 176148 1 lost', '35 209900 176148 1'],
    ['IMEISV 3569380356438091', '3569380356438091'],
    ['MEID A0000012345678', 'A0000012345678'],
    ['IDFA 6D92078A-8246-4BA4-AE5B-76104861E7DC', '6D92078A-8246-4BA4-AE5B-76104861E7DC'],
    ['gaid: 38400000-8cf0-11bd-b23e-10b96e40000d', '38400000-8cf0-11bd-b23e-10b96e40000d'],
    ['advertising id=cdda802e-fb9c-47ad-9866-0794d394c912', 'cdda802e-fb9c-47ad-9866-0794d394c912'],
    ['serial number SN12345678', 'SN12345678'],
    ['S/N: C02XK0ABJGH5', 'C02XK0ABJGH5'],
    ['device serial FVFXC2ABHV2H', 'FVFXC2ABHV2H'],
    ['SN# R58M12ABCDE', 'R58M12ABCDE'],
    ['UDID 00008030-001A2B3C4D5E802E', '00008030-001A2B3C4D5E802E'],
    ['Android ID: 9774d56d682e549c', '9774d56d682e549c'],
    ['{"serialNumber":"PF2X8Y1Z"}', 'PF2X8Y1Z'],
  ])('finds the device id in %j', (text, id) => {
    expect(found(text)).toEqual([id]);
  });

  it.each([
    '550e8400-e29b-41d4-a716-446655440000', // event uuid
    'session 01a20266-0f5e-7b5c-9b1e-3c2d1e0f9a8b started',
    'IDFA 00000000-0000-0000-0000-000000000000', // limit ad tracking
    '00:00:00:00:00:00',
    'fe80::1a2b:3c4d:5e6f:7a8b',
    '2001:db8:0:0:1:0:0:1',
    '12:34:56:78:9a:bc:de', // seven groups
    '00:03:25',
    '1795336574595',
    '179533657459512', // epoch ms + 2 digits, Luhn-valid
    '378282246310005', // AmEx test card
    '490154203237519', // Luhn fails
    '4901542032375180', // 16 digits
    '+490154203237518', // E.164-ish
    'version 1234.5678.9012',
    'Chrome/120.0.0.0 Safari/537.36',
    'v2.3.4 and 1.449.2',
    'Price $1,234.56 for 19.99 units',
    'serial killer documentary',
    'serial port 3',
    'SKU-12345',
    'AB-1234-XY',
    '1920x1080',
    '#00ff00',
    'phc_testtoken',
    'status 404',
  ])('finds nothing in %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    ['serial_number', 'C02XK0ABJGH5'],
    ['device_serial', 'SN-000123'],
    ['serial', 'ABCDEFGH'],
    ['imei', '490154203237518'],
    ['meid', 'A0000012345678'],
    ['udid', '00008030-001A2B3C4D5E802E'],
    ['mac', '00:1A:2B:3C:4D:5E'],
    ['mac_address', '001A2B3C4D5E'],
    ['wifi_mac_address', 'ab-cd-ef-01-23-45'],
    ['idfa', '6D92078A-8246-4BA4-AE5B-76104861E7DC'],
    ['idfv', '1E2DFA89-496A-47FD-9941-DF1FC4E6484A'],
    ['gaid', '38400000-8cf0-11bd-b23e-10b96e40000d'],
    ['aaid', '38400000-8cf0-11bd-b23e-10b96e40000d'],
    ['advertising_id', 'cdda802e-fb9c-47ad-9866-0794d394c912'],
    ['ad_id', 'cdda802e-fb9c-47ad-9866-0794d394c912'],
    ['adid', '7ed5a4b2f1a34f2f9c0f8b1f2a3c4d5e'],
    ['advertisingid', 'cdda802e-fb9c-47ad-9866-0794d394c912'],
    ['device_advertising_id', 'cdda802e-fb9c-47ad-9866-0794d394c912'],
    ['android_id', '9774d56d682e549c'],
  ])('takes the whole value under key %s', (key, value) => {
    expect(found(value, key)).toEqual([value]);
  });

  it.each([
    ['uuid', '550e8400-e29b-41d4-a716-446655440000'],
    ['event_id', '01a20266-0f5e-7b5c-9b1e-3c2d1e0f9a8b'],
    ['ad_id', '23851234567890123'], // an ad creative's id, not a device's
    ['idfa', '00000000-0000-0000-0000-000000000000'],
    ['mac', 'true'],
    ['mac_os_version', '14.2.1'],
    ['serial', 'n/a'],
    ['advertiser_id', 'cdda802e-fb9c-47ad-9866-0794d394c912'],
  ])('does not take %s=%j', (key, value) => {
    expect(found(value, key)).toEqual([]);
  });

  it('keeps spans in order across shapes', () => {
    expect(found('mac 00:1A:2B:3C:4D:5E imei 490154203237518 S/N: C02XK0ABJGH5'))
      .toEqual(['00:1A:2B:3C:4D:5E', '490154203237518', 'C02XK0ABJGH5']);
  });

  it.each([
    ['490154203237518', true], ['352099001761481', true], ['179533657459512', false],
    ['378282246310005', false], ['49015420323751', false],
  ])('isBareImei(%j) is %s', (digits, expected) => {
    expect(isBareImei(digits)).toBe(expected);
  });

  it('recognises MAC and advertising id shapes', () => {
    expect(isMacAddress('00:1a:2b:3c:4d:5e')).toBe(true);
    expect(isMacAddress('00:1a-2b:3c:4d:5e')).toBe(false); // mixed separators
    expect(isAdvertisingId('6D92078A-8246-4BA4-AE5B-76104861E7DC')).toBe(true);
    expect(isAdvertisingId('6D92078A-8246-4BA4-AE5B')).toBe(false);
  });

  it.each([
    ['ab:cd:ef:ab:cd:ef', ''],
    ['490154203237518', ''],
    ['ABCDEFGH', 'serial'],
  ])('prefilter passes whatever find can match: %j under %j', (value, key) => {
    expect(detector.find(value, { key }).length).toBeGreaterThan(0);
    expect(detector.prefilter(value, { key })).toBe(true);
  });

  it('never throws on hostile input', () => {
    const inputs = [
      '', '\uD800', 'serial ' + ' '.repeat(50_000), 'aa:'.repeat(30_000), 'aa-'.repeat(30_000),
      '1'.repeat(100_000), '12 '.repeat(30_000), 'IMEI '.repeat(20_000), 'S/N:'.repeat(20_000),
      'abcd.'.repeat(20_000),
    ];
    for (const input of inputs) {
      expect(() => detector.find(input, { key: '' })).not.toThrow();
      expect(() => detector.find(input, { key: 'serial' })).not.toThrow();
    }
  });
});

describe('device detector properties', () => {
  // Strings assembled from the detector's own keywords and token pieces reach its edge cases far
  // more often than uniform random text.
  const fragments = fc.constantFrom(...['IMEI', 'S/N', 'serial', 'SN', 'IDFA', 'mac', 'udid', ':', '-', '.', ' ', '00', '1A', 'ab', '4d5e', '490154203237518', '35', '209900', '176148', '1', '6D92078A-8246-4BA4-AE5B-76104861E7DC', '+', '\\uD800']);
  const text = fc.oneof(fc.array(fragments, { maxLength: 12 }).map((parts) => parts.join('')), fc.string());
  const key = fc.constantFrom(...['', 'serial', 'imei', 'idfa', 'mac_address']);

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
