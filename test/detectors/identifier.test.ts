import { identifierDetector } from '../../src/detectors/identifier';
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/detectors/types';

const detector = identifierDetector(DEFAULT_DETECTOR_OPTIONS);
const found = (value: string, key = ''): string[] =>
  detector.prefilter(value, { key }) ? detector.find(value, { key }).map((s) => value.slice(s.start, s.end)) : [];

describe('identifier detector (Safe Harbor R)', () => {
  it.each([
    ['rx_number', '61817930'], ['rx_number', 'RX-737-9612'], ['accession_number', 'SS11-274845'], ['accession_id', 'L58028259'],
    ['claim_number', 'CLM-9610-2FW67'], ['wristband_id', 'WB394244531'], ['activation_code', '4Y4LQ-LV9A5-5K79Q'],
    ['confirmation_code', 'QX7P2K9'], ['statement_account', 'ACCT-151356-09'], ['id_number', '707 975 568'], ['id_number', 'D1501427'],
    ['encounter_csn', '1029384756'], ['portal_username', 'dmitrivolk71'], ['login', 'jdoe'], ['employee_number', '004512'],
  ])('the whole value under %s: %s', (key, value) => {
    expect(found(value, key)).toEqual([value]);
  });

  it.each([
    ['WARN auth: too many attempts user=sunitad ip=[IP] (422)', ['sunitad']],
    ['[eligibility] lookup failed subscriber=MA5657972761 status=500', ['MA5657972761']],
    ['statement for HAR 2898320842 is ready', ['2898320842']],
    ['Guarantor #40556705 balance due', ['40556705']],
    ['see claim no. CLM-9610-2FW67', ['CLM-9610-2FW67']],
    ['{"patient_id": "p-48213", "ok": true}', ['p-48213']],
    ['patient=48213&step=2', ['48213']],
  ])('in text: %s', (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it.each([
    ['step_number', '3'], ['page_number', '12'], ['version_number', '1.449.2'], ['status_code', '404'], ['error_code', 'E1234'],
    ['country_code', 'US'], ['currency_code', 'USD'], ['promo_code', 'SAVE2024'], ['diagnosis_code', 'E11.9'], ['product_code', 'SKU-12345'],
    ['room_number', '12'], ['item_count', '1234'], ['rx_number', '12'], ['activation_code', 'pending'],
    ['notes', 'Order shipped in 3 days'], ['title', 'Case study: 2024 results'], ['message', 'Claim your reward today'],
  ])('leaves %s = %s alone', (key, value) => {
    expect(found(value, key)).toEqual([]);
  });
});
