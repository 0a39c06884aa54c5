import fc from 'fast-check';
import { dateDetector, extractYear } from '../../src/detectors/date';
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/detectors/types';

const detector = dateDetector(DEFAULT_DETECTOR_OPTIONS);
const NO_KEY = { key: '' };

function found(value: string, key = ''): string[] {
  const ctx = { key };
  if (!detector.prefilter(value, ctx)) return [];
  return detector.find(value, ctx).map((s) => value.slice(s.start, s.end));
}

describe('date detector', () => {
  it('declares its identity', () => {
    expect(detector).toMatchObject({ id: 'date', kind: 'date', letter: 'C', marker: '[DATE]' });
  });

  it.each([
    ['DOB 1985-03-14', '1985-03-14'],
    ['1985-03-14T09:30:00Z', '1985-03-14T09:30:00Z'],
    ['admitted 2023-11-02T14:05:09.123+02:00 to ward', '2023-11-02T14:05:09.123+02:00'],
    ['at 2023-11-02 14:05:09', '2023-11-02 14:05:09'],
    ['2023-11-02T14:05:09.123456-0500', '2023-11-02T14:05:09.123456-0500'],
    ['born 03/14/1985.', '03/14/1985'],
    ['born 3/14/85', '3/14/85'],
    ['seen 03-14-1985', '03-14-1985'],
    ['Geburtsdatum: 14.03.1985', '14.03.1985'],
    ['né le 14/03/1985', '14/03/1985'],
    ['DOB:03/14/1985', '03/14/1985'],
    ['(1985/03/14)', '1985/03/14'],
    ['born March 14, 1985 in Ohio', 'March 14, 1985'],
    ['Mar 14 1985', 'Mar 14 1985'],
    ['Sept. 3rd, 2001', 'Sept. 3rd, 2001'],
    ['on 14 March 1985', '14 March 1985'],
    ['the 14th of March, 1985', '14th of March, 1985'],
    ['Thursday, March 14, 1985', 'Thursday, March 14, 1985'],
    ['Thu, 14 Mar 1985 09:30:00 GMT', 'Thu, 14 Mar 1985'],
    ['DOB 14-MAR-1985', '14-MAR-1985'],
    ['admit 02-Jan-24', '02-Jan-24'],
    ['diagnosed in March 1985', 'March 1985'],
    ['exp 03/1985', '03/1985'],
    ['appointment on March 14', 'March 14'],
    ['appointment on 14 March at noon', '14 March'],
    ['MARCH 14, 1985', 'MARCH 14, 1985'],
    ['march 14, 1985', 'march 14, 1985'],
    ['Dec 25 \'99', 'Dec 25 \'99'],
    ['report-2024-03-14', '2024-03-14'],
  ])('finds %j', (text, expected) => {
    expect(found(text)).toEqual([expected]);
  });

  it('finds several dates in one string, in order', () => {
    expect(found('from 01/02/2020 to March 3, 2021 (and 2022-04-05)')).toEqual([
      '01/02/2020',
      'March 3, 2021',
      '2022-04-05',
    ]);
  });

  it.each([
    ['a year alone', 'since 2024'],
    ['a year range', '2019-2020 season'],
    ['a software version', 'version 1.449.2'],
    ['a browser version', 'Chrome/120.0.0.0'],
    ['a calver-like version', 'v3.12.24'],
    ['a macOS version', 'Mac OS X 10.15.7'],
    ['an IP address', '192.168.10.12'],
    ['an epoch in ms', '1795336574595'],
    ['an epoch in s', '1710408600'],
    ['a phone number', '(617) 555-0123'],
    ['a dashed phone number', '617-555-0123'],
    ['a dotted phone number', '617.555.0123'],
    ['a price', '$1,234.56'],
    ['a price in a sentence', 'only 19.99 today'],
    ['a duration', '00:03:25'],
    ['a time alone', 'at 09:30'],
    ['a screen size', '1920x1080'],
    ['a ratio', 'ratio 3/4'],
    ['a fraction of pages', 'page 3/12'],
    ['an invalid day', '02/30/2020'],
    ['an invalid month', '13/13/2020'],
    ['an invalid ISO date', '2024-13-45'],
    ['a UUID', '550e8400-e29b-41d4-a716-446655440000'],
    ['a UUID v7', '01a20266-0f5e-7b5c-9b1e-3c2d1e0f9a8b'],
    ['a SKU', 'SKU-12345'],
    ['a dashed SKU', 'AB-12-10-22'],
    ['a lower-case month word', 'you may 5 times'],
    ['a month name without a number', 'Spring sale in March'],
    ['a count next to a month name', 'March 45 items'],
    ['a user agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'],
    ['a Firefox user agent', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/115.0'],
    ['a month-year with an implausible year', 'March 3000'],
    ['a compact date without a date key', '19850314'],
  ])('ignores %s', (_label, text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    ['dob', '19850314'],
    ['birth_date', '03141985'],
  ])('accepts the compact form under %s', (key, value) => {
    expect(found(value, key)).toEqual([value]);
  });

  it('rejects an invalid compact form under a date key', () => {
    expect(found('19851399', 'dob')).toEqual([]);
  });

  it('never throws and stays linear on adversarial input', () => {
    const inputs = [
      '',
      '\u0000\ud800\udfff\ud800',
      '1/'.repeat(25_000),
      '1985-'.repeat(10_000),
      'March '.repeat(8_000) + '1',
      '14 '.repeat(16_000) + 'March',
      '1'.repeat(50_000),
      '12.12.'.repeat(8_000),
    ];
    for (const input of inputs) expect(() => detector.find(input, NO_KEY)).not.toThrow();
  });
});

describe('extractYear', () => {
  const currentYY = new Date().getFullYear() % 100;

  it.each([
    ['1985-03-14', 1985],
    ['1985-03-14T09:30:00.123Z', 1985],
    ['14.03.1985', 1985],
    ['Thursday, March 14, 1985', 1985],
    ['March 1985', 1985],
    ['03/1985', 1985],
    ['19850314', 1985],
    ['03141985', 1985],
    ['14-Mar-85', 1985],
    ['Dec 25 \'99', 1999],
    ['3/14/01', 2001],
  ])('reads %j as %d', (text, year) => {
    expect(extractYear(text)).toBe(year);
  });

  it('reads two-digit years up to the current one as 20xx and later ones as 19xx', () => {
    const yy = String(currentYY).padStart(2, '0');
    const next = String((currentYY + 1) % 100).padStart(2, '0');
    expect(extractYear(`1/1/${yy}`)).toBe(2000 + currentYY);
    expect(extractYear(`1/1/${next}`)).toBe(currentYY === 99 ? 2000 : 1900 + currentYY + 1);
  });

  it('returns undefined without a year', () => {
    expect(extractYear('March 14')).toBeUndefined();
  });
});

describe('date detector properties', () => {
  const MONTHS = [
    'January', 'February', 'March', 'April', 'May', 'June',
    'July', 'August', 'September', 'October', 'November', 'December',
  ];
  const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const pad = (n: number): string => String(n).padStart(2, '0');
  const ordinal = (d: number): string => {
    if (d >= 11 && d <= 13) return `${d}th`;
    return `${d}${['th', 'st', 'nd', 'rd'][d % 10] ?? 'th'}`;
  };

  type Format = (y: number, m: number, d: number) => string;
  const FORMATS: Readonly<Record<string, Format>> = {
    iso: (y, m, d) => `${y}-${pad(m)}-${pad(d)}`,
    isoDateTime: (y, m, d) => `${y}-${pad(m)}-${pad(d)}T09:30:00Z`,
    isoOffset: (y, m, d) => `${y}-${pad(m)}-${pad(d)}T23:59:59+05:30`,
    isoFraction: (y, m, d) => `${y}-${pad(m)}-${pad(d)}T00:00:00.123Z`,
    usSlash: (y, m, d) => `${pad(m)}/${pad(d)}/${y}`,
    usShort: (y, m, d) => `${m}/${d}/${pad(y % 100)}`,
    usDash: (y, m, d) => `${pad(m)}-${pad(d)}-${y}`,
    euDot: (y, m, d) => `${pad(d)}.${pad(m)}.${y}`,
    euSlash: (y, m, d) => `${pad(d)}/${pad(m)}/${y}`,
    long: (y, m, d) => `${MONTHS[m - 1]} ${d}, ${y}`,
    short: (y, m, d) => `${(MONTHS[m - 1] ?? '').slice(0, 3)} ${d} ${y}`,
    dayFirst: (y, m, d) => `${d} ${MONTHS[m - 1]} ${y}`,
    ordinalOf: (y, m, d) => `${ordinal(d)} of ${MONTHS[m - 1]}, ${y}`,
    weekday: (y, m, d) =>
      `${WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()]}, ${MONTHS[m - 1]} ${d}, ${y}`,
    monthYear: (y, m) => `${MONTHS[m - 1]} ${y}`,
    monthYearNumeric: (y, m) => `${pad(m)}/${y}`,
  };

  const validDate = fc
    .record({ y: fc.integer({ min: 1900, max: 2099 }), m: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 31 }) })
    .filter(({ y, m, d }) => new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d);

  it.each(Object.keys(FORMATS))('finds random dates in the %s format and extracts their year', (name) => {
    const format = FORMATS[name] as Format;
    fc.assert(
      fc.property(validDate, fc.constantFrom('Visit on ', '', 'DOB: ', '('), ({ y, m, d }, prefix) => {
        const text = format(y, m, d);
        expect(found(`${prefix}${text}. Thanks`)).toEqual([text]);
        const yy = y % 100;
        const expectedYear = name === 'usShort' ? (yy <= new Date().getFullYear() % 100 ? 2000 + yy : 1900 + yy) : y;
        expect(extractYear(text)).toBe(expectedYear);
      }),
      { numRuns: 200 },
    );
  });
});
