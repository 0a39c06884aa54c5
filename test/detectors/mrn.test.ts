import fc from 'fast-check';
import { keyedIdSpan, plausibleIdToken } from '../../src/detectors/context';
import { mrnDetector } from '../../src/detectors/mrn';
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/detectors/types';

const detector = mrnDetector(DEFAULT_DETECTOR_OPTIONS);
const found = (value: string, key = ''): string[] =>
  detector.find(value, { key }).map((s) => value.slice(s.start, s.end));

describe('mrn detector', () => {
  it('describes itself', () => {
    expect([detector.id, detector.kind, detector.letter, detector.marker]).toEqual(['mrn', 'mrn', 'H', '[MRN]']);
  });

  it.each([
    ['MRN: 00123456', '00123456'],
    ['MRN#123456', '123456'],
    ['mrn 12-345-678', '12-345-678'],
    ['MRN12345678', '12345678'],
    ['Pt seen today, MRN 7788990, follow-up in 2 weeks', '7788990'],
    ['medical record number 4455667', '4455667'],
    ['Medical Record No.: A1234567', 'A1234567'],
    ['Med Rec No. A1234567', 'A1234567'],
    ['Med. Rec. # 99887766', '99887766'],
    ['chart # 778899', '778899'],
    ['Chart number: 5544332', '5544332'],
    ['patient id P-0012345', 'P-0012345'],
    ['Patient #: 123456', '123456'],
    ['patientId=987654', '987654'],
    ['/app/search?patient_id=PT-44556677&tab=labs', 'PT-44556677'],
    ['{"mrn": "00987654"}', '00987654'],
    ['{"patientMrn":"00987654"}', '00987654'],
    ['MRN is 4455667.', '4455667'],
    ['(MRN: 1234567)', '1234567'],
    ['EHR id: E-99112233', 'E-99112233'],
    ['hospital number 7654321', '7654321'],
  ])('finds the number in %j', (text, mrn) => {
    expect(found(text)).toEqual([mrn]);
  });

  it('finds several MRNs in order and does not let a rejected token hide the next keyword', () => {
    expect(found('MRN MRN 11223344; chart #556677 and MRN: 99887766')).toEqual(['11223344', '556677', '99887766']);
  });

  it.each([
    'mRNA-1273 booster',
    'MRN',
    'MRN: unknown',
    'MRN lookup failed (status 503)',
    'patient 12345 checked in',
    'chart 3 of 12 rendered',
    'medical records 2024',
    'Price $1,234.56 for 19.99 units',
    'Chrome/120.0.0.0 Safari/537.36',
    '1795336574595',
    'SKU-12345',
    '550e8400-e29b-41d4-a716-446655440000',
    'screen 1920x1080',
    '$pageview',
    'MRN 12',
    'inpatient-room 4455667',
    '[MRN]',
  ])('finds nothing in %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    ['mrn', '00123456'],
    ['patient_mrn', 'A-1234-567'],
    ['medical_record_number', ' 4455667 '],
    ['med_rec_no', 'MR-77'],
    ['chart_number', '778899'],
    ['patient_id', 'P0012345'],
    ['patient_number', '12345'],
    ['emr_id', 'EMR123'],
    ['ehr_id', 'ABCDEFG'],
    ['mrn_hash', '9f86d081884c7d659a2f'],
  ])('takes the whole value under key %s', (key, value) => {
    expect(found(value, key)).toEqual([value.trim()]);
  });

  it.each([
    ['mrn', 'n/a'],
    ['mrn', 'NULL'],
    ['patient_id', 'premium'],
    ['mrn', '12'],
    ['patient_count', '12345'],
    ['patient_id_type', 'internal'],
    ['chart_type', 'bar'],
  ])('does not take %s=%j', (key, value) => {
    expect(found(value, key)).toEqual([]);
  });

  it.each([
    ['Patient with MRN 12345 was seen by the team today', ['12345']],
    ['00123456 (primary), 00999888 (old)', ['00123456', '00999888']],
    ['see chart, updated 2024-01-05 by nurse 12', []],
  ])('takes each id-like token of %j under an MRN key when the whole value is not one id', (value, ids) => {
    expect(found(value, 'mrn')).toEqual(ids);
  });

  it.each([
    ['MRN: 00123456', ''],
    ['ABCDEFG', 'mrn'],
  ])('prefilter passes whatever find can match: %j under %j', (value, key) => {
    expect(detector.find(value, { key }).length).toBeGreaterThan(0);
    expect(detector.prefilter(value, { key })).toBe(true);
  });

  it('prefilter rejects strings with too few digits and no MRN key', () => {
    expect(detector.prefilter('MRN: none on file', { key: 'note' })).toBe(false);
  });

  it('never throws and stays fast on hostile input', () => {
    const inputs = [
      '', '\uD800', '\u0000\u0001', 'MRN' + ' '.repeat(50_000) + 'x',
      'MRN-'.repeat(12_500), 'mrn 1-'.repeat(8_000), 'patient id '.repeat(5_000) + '12345',
      '1'.repeat(100_000),
    ];
    for (const input of inputs) {
      expect(() => detector.find(input, { key: '' })).not.toThrow();
      expect(() => detector.find(input, { key: 'mrn' })).not.toThrow();
    }
  });

  it('spans never overlap and ascend', () => {
    const value = 'MRN 111222 MRN 333444 chart #555666';
    const spans = detector.find(value, { key: '' });
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end);
  });
});

describe('mrn detector: site codes and patient numbers', () => {
  it.each([
    ['MRN BWH 338-12-09', 'BWH 338-12-09'],
    ['Medical record: MGH 4455 6677', 'MGH 4455 6677'],
    ['mrn: 338 12 09', '338 12 09'],
    ['MRN#UCSF-1234-567', 'UCSF-1234-567'],
    ['for patient 92275057', '92275057'],
    ['patient #92275057', '92275057'],
    ['pt 92275057', '92275057'],
    ['PT 00123456 seen', '00123456'],
    ['Pt: 44556677, follow-up', '44556677'],
    ['pt #A-12345', 'A-12345'],
  ])('finds the id in %j', (text, mrn) => {
    expect(found(text)).toEqual([mrn]);
  });

  it.each([
    'patient 1 of 3', 'patient portal v2', 'patients 2024', 'patient 12345 checked in',
    'outpatient 1234567', 'patient 2024-01-05', 'MRN ABC 12', 'MRN 2024 01 05', 'opt 1234567',
  ])('finds nothing in %j', (text) => {
    expect(found(text)).toEqual([]);
  });
});

describe('shared helpers', () => {
  it.each([
    ['12345', true], ['A1234', true], ['2024', false], ['2024-01-05', false], ['12', false], ['AB1', false],
  ])('plausibleIdToken(%j) is %s', (token, expected) => {
    expect(plausibleIdToken(token)).toBe(expected);
  });

  it('keyedIdSpan trims and rejects prose', () => {
    expect(keyedIdSpan('  123-45  ', 'mrn')).toEqual({ start: 2, end: 8, kind: 'mrn' });
    expect(keyedIdSpan('seen on 12 May by Dr Who', 'mrn')).toBeNull();
  });
});

describe('mrn detector properties', () => {
  // Strings assembled from the detector's own keywords and token pieces reach its edge cases far
  // more often than uniform random text.
  const fragments = fc.constantFrom(...['MRN', 'mrn', 'mRNA', 'patient', 'Patient id', 'chart #', 'med rec no.', 'medical record', ':', '#', ' ', '-', '_', '=', '"', '12', '345', '00123456', 'A', 'P-', '2024', '.', 'x', '\\uD800']);
  const text = fc.oneof(fc.array(fragments, { maxLength: 12 }).map((parts) => parts.join('')), fc.string());
  const key = fc.constantFrom(...['', 'mrn', 'patient_id', 'note']);

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
