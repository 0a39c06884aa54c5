import fc from 'fast-check';
import { healthPlanDetector, isMbi } from '../../src/detectors/health_plan';
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/detectors/types';

const detector = healthPlanDetector(DEFAULT_DETECTOR_OPTIONS);
const found = (value: string, key = ''): string[] =>
  detector.find(value, { key }).map((s) => value.slice(s.start, s.end));

describe('health_plan detector', () => {
  it('describes itself', () => {
    expect([detector.id, detector.kind, detector.letter, detector.marker])
      .toEqual(['health_plan', 'health_plan', 'I', '[HEALTH_PLAN_ID]']);
  });

  it.each([
    ['Member ID: XYZ123456789', 'XYZ123456789'],
    ['member # W123456789', 'W123456789'],
    ['memberId=W987654321&step=2', 'W987654321'],
    ['subscriber id 123456789', '123456789'],
    ['Subscriber #: 987-65-4321-01', '987-65-4321-01'],
    ['policy number ABC-123-456', 'ABC-123-456'],
    ['Insurance policy no. HX-55512345', 'HX-55512345'],
    ['Medicare number 1EG4-TE5-MK73', '1EG4-TE5-MK73'],
    ['medicare id: 1eg4te5mk73', '1eg4te5mk73'],
    ['Medicaid ID 12345678A', '12345678A'],
    ['Medicaid 98765432B on file', '98765432B'],
    ['group number 12345', '12345'],
    ['Group #: G-778899', 'G-778899'],
    ['insurance id UHC-998877665', 'UHC-998877665'],
    ['beneficiary id: 00012345A', '00012345A'],
    ['Health plan ID 8840012345', '8840012345'],
    ['{"member_id":"M00991122"}', 'M00991122'],
    ['?primaryMemberId=W123456789&tab=claims', 'W123456789'], // camelCase hump starts a keyword
    ['HICN 123456789A', '123456789A'],
  ])('finds the number in %j', (text, id) => {
    expect(found(text)).toEqual([id]);
  });

  it.each([
    ['MBI on the card: 1EG4-TE5-MK73.', '1EG4-TE5-MK73'],
    ['1EG4TE5MK73', '1EG4TE5MK73'],
    ['claims for 9AA0-C00-AA00 and 2C93 RD4 YK51', '9AA0-C00-AA00|2C93 RD4 YK51'],
  ])('finds MBIs without a keyword in %j', (text, ids) => {
    expect(found(text)).toEqual(ids.split('|'));
  });

  it.each([
    '1EG4-TE5MK73', // one dash only
    '0EG4-TE5-MK73', // first digit 0
    '1SG4-TE5-MK73', // S is not an MBI letter
    '1EG4-TE5-MK731', // too long
    '1eg4-te5-mk73', // lower case without keyword
    'X1EG4TE5MK73',
  ])('does not take the MBI look-alike %j without a keyword', (text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    'Upgraded to Gold PPO plan',
    'member since 2019',
    'member id 42',
    'policy: privacy',
    'Group number: unknown',
    'Medicare Advantage 2024 plans',
    'Price $1,234.56 for 19.99 units',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    '1795336574595',
    'SKU-12345',
    'AB-1234-XY',
    '01a20266-0f5e-7b5c-9b1e-3c2d1e0f9a8b',
    'phc_testtoken',
    'remember #12345', // "member" inside a word
    'status 503',
  ])('finds nothing in %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    ['member_id', 'XYZ123456789'],
    ['primary_member_id', 'W123456789'],
    ['subscriber_id', '123456789'],
    ['policy_number', 'ABC-123-456'],
    ['insurance_id', 'INS 778 899'],
    ['beneficiary_id', '00012345A'],
    ['medicare_id', '1EG4-TE5-MK73'],
    ['medicaid_id', '12345678A'],
    ['health_plan_id', 'HP-12'],
    ['plan_member_id', '123456'],
    ['group_number', '12345'],
    ['insurance_group_number', 'GRP001'],
  ])('takes the whole value under key %s', (key, value) => {
    expect(found(value, key)).toEqual([value]);
  });

  it.each([
    ['plan', 'premium'],
    ['plan_name', 'Gold PPO 2000'],
    ['plan_id', 'pro_monthly_2024'],
    ['member_id', 'n/a'],
    ['group_number', '7'],
    ['member_since', '2019-04-01'],
  ])('does not take %s=%j', (key, value) => {
    expect(found(value, key)).toEqual([]);
  });

  it('takes the id out of a decorated value under a plan key', () => {
    expect(found('W123456789 (primary, since 2019)', 'member_id')).toEqual(['W123456789']);
  });

  it('isMbi checks the whole string', () => {
    expect(isMbi('1EG4-TE5-MK73')).toBe(true);
    expect(isMbi('1EG4TE5MK73')).toBe(true);
    expect(isMbi('1EG4-TE5-MK7')).toBe(false);
    expect(isMbi('x1EG4-TE5-MK73')).toBe(false);
  });

  it.each([
    ['Medicare number 1EG4-TE5-MK73', ''],
    ['ABCDEFGH', 'member_id'],
  ])('prefilter passes whatever find can match: %j under %j', (value, key) => {
    expect(detector.find(value, { key }).length).toBeGreaterThan(0);
    expect(detector.prefilter(value, { key })).toBe(true);
  });

  it('never throws on hostile input', () => {
    const inputs = [
      '', '\uDFFF', 'member id ' + '-'.repeat(50_000), 'Medicare-'.repeat(10_000),
      '1EG4-'.repeat(20_000), 'group # '.repeat(10_000) + '12345', '9'.repeat(100_000),
    ];
    for (const input of inputs) {
      expect(() => detector.find(input, { key: '' })).not.toThrow();
      expect(() => detector.find(input, { key: 'member_id' })).not.toThrow();
    }
  });
});

describe('health_plan detector properties', () => {
  // Strings assembled from the detector's own keywords and token pieces reach its edge cases far
  // more often than uniform random text.
  const fragments = fc.constantFrom(...['Member ID', 'member', 'policy no', 'group #', 'Medicare', 'Medicaid', 'MBI', '1EG4', 'TE5', 'MK73', '-', ' ', ':', '#', '123', '45678', 'A', 'W', '2024', 'Gold PPO', '\\uDC00']);
  const text = fc.oneof(fc.array(fragments, { maxLength: 12 }).map((parts) => parts.join('')), fc.string());
  const key = fc.constantFrom(...['', 'member_id', 'group_number', 'plan']);

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
