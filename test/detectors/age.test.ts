import { ageDetector, ageOf } from '../../src/detectors/age';
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/detectors/types';

const detector = ageDetector(DEFAULT_DETECTOR_OPTIONS);

function found(value: string, key = ''): string[] {
  const ctx = { key };
  if (!detector.prefilter(value, ctx)) return [];
  return detector.find(value, ctx).map((s) => value.slice(s.start, s.end));
}

describe('age detector', () => {
  it('declares its identity', () => {
    expect(detector).toMatchObject({ id: 'age', kind: 'age', letter: 'C', marker: '[AGE]' });
  });

  it.each([
    ['Patient is 93 years old', '93'],
    ['a 93-year-old woman', '93'],
    ['a 93 year old man', '93'],
    ['93-yr-old', '93'],
    ['aged 93', '93'],
    ['Aged 101, lives alone', '101'],
    ['age: 93', '93'],
    ['AGE:93', '93'],
    ['age=97', '97'],
    ['at the age of 95', '95'],
    ['Age 90', '90'],
    ['93 y/o F', '93'],
    ['93yo male', '93'],
    ['93 y.o. male', '93'],
    ['93 yrs', '93'],
    ['she is 94 years of age', '94'],
    ['age is about 96', '96'],
    ['91.5 years old', '91.5'],
    ['a ninety-three-year-old', 'ninety-three'],
    ['aged ninety', 'ninety'],
    ['one hundred and two years old', 'one hundred and two'],
    ['(92yo)', '92'],
  ])('finds the age in %j', (text, expected) => {
    expect(found(text)).toEqual([expected]);
  });

  it('keeps one span when a label and a unit surround the same number', () => {
    expect(found('aged 93 years old')).toEqual(['93']);
  });

  it('finds several ages in order', () => {
    expect(found('mother 97 years old, father aged 99')).toEqual(['97', '99']);
  });

  it.each([
    ['an age under 90', '45 years old'],
    ['89, the last allowed age', 'aged 89'],
    ['a younger labelled age', 'age: 34'],
    ['a bare number', 'room 93'],
    ['a duration in years', 'in business for 95 years'],
    ['an implausible age', '150 years old'],
    ['an age in days', 'aged 95 days'],
    ['an already aggregated age', 'age 90+'],
    ['a percentile', 'age 95th percentile'],
    ['page numbers', 'page: 93'],
    ['a stage', 'Stage 93'],
    ['an HTTP status', 'status 503'],
    ['a price', '$93 yearly'],
    ['an epoch', '1795336574595'],
    ['a version', 'Chrome/120.0.0.0'],
    ['the word you', '93 you'],
  ])('ignores %s', (_label, text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    ['age', '93', '93'],
    ['patient_age', ' 104 ', '104'],
    ['age_years', '90', '90'],
    ['age', '93 years', '93'],
  ])('accepts a bare number under %s', (key, value, expected) => {
    expect(found(value, key)).toEqual([expected]);
  });

  it.each([
    ['age', '45'],
    ['age', '89'],
    ['age', '3600'],
    ['max_age', '3600'],
    ['cache_age', '120'],
    ['count', '93'],
  ])('ignores %j under %s', (key, value) => {
    expect(found(value, key)).toEqual([]);
  });

  it('never throws and stays linear on adversarial input', () => {
    const inputs = ['', '\ud800', 'aged '.repeat(10_000), '9'.repeat(50_000), '93 '.repeat(16_000), 'ninety '.repeat(7_000)];
    for (const input of inputs) expect(() => detector.find(input, { key: '' })).not.toThrow();
  });
});

describe('age detector, birthdays and age words', () => {
  it.each([
    ['grandma turned 103 last week', '103'],
    ['she turns 95 on Monday', '95'],
    ['he is turning ninety next month', 'ninety'],
    ['still going strong at 97 years young', '97'],
    ['92 yrs young', '92'],
    ['died at 93 years', '93'],
    ['my dad, aged 91', '91'],
    ['at the age of 100', '100'],
    ['a 96-yr-old patient', '96'],
    ['celebrated her 100th birthday', '100'],
    ['our nonagenarian patients', 'nonagenarian'],
    ['a Centenarian', 'Centenarian'],
  ])('finds the age in %j', (text, expected) => {
    expect(found(text)).toEqual([expected]);
  });

  it.each([
    ['a rotation', 'turned 90 degrees'],
    ['a percentage', 'turns 95%'],
    ['a count', 'turned 100 orders'],
    ['a time', 'turn 90 minutes'],
    ['a younger birthday', 'turned 45 today'],
    ['an ordinal', 'turn 90th street'],
    ['a plain number after at', 'O2 sat at 95'],
  ])('ignores %s', (_label, text) => {
    expect(found(text)).toEqual([]);
  });
});

describe('ageOf', () => {
  it.each([
    ['93', 93],
    ['93 years old', 93],
    ['91.5', 91.5],
    ['ninety', 90],
    ['ninety-three', 93],
    ['Ninety Nine', 99],
    ['one hundred and two', 102],
    ['hundred', 100],
  ])('reads %j as %d', (text, age) => {
    expect(ageOf(text)).toBe(age);
  });

  it('returns undefined without a number', () => {
    expect(ageOf('old')).toBeUndefined();
  });
});
