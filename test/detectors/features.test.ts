/**
 * The shared per-string features (src/detectors/features.ts) and every built-in detector's
 * `gate` and feature-driven `find` shortcuts. The engine skips a detector whose gate says no and
 * lets `find` skip scans the features rule out, so both must be sound: a gate that says no where
 * `find` would have found something, or a shortcut that changes what `find` returns, would let
 * PHI through. Checked on every string literal of the detector tests (positives and the false
 * positives they guard against), every value of the labelled and holdout event sets, and random
 * strings built from the detectors' own vocabulary.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import ts from 'typescript';
import { BUILTIN_DETECTORS } from '../../src/detectors/index';
import {
  F_ASCII_UPPER, F_AT, F_CAPITAL, F_COMMA, F_DIGIT_SEP_DIGIT, F_NUMBER_SPACE, F_SCHEME, F_THREE_LETTERS, F_WWW, F_ZIP4,
  featuresOf, letterBit, wordStartSet,
} from '../../src/detectors/features';
import { DEFAULT_DETECTOR_OPTIONS, type Detector } from '../../src/detectors/types';
import { normalizeKey } from '../../src/detectors/util';

const ROOT = path.resolve(__dirname, '..', '..');
const detectors: Detector[] = Object.values(BUILTIN_DETECTORS).map((factory) => factory(DEFAULT_DETECTOR_OPTIONS));

/** Keys that switch detectors to their keyed rules, and a few ordinary ones. */
const KEYS = [
  '', 'name', 'first_name', 'caregiver', 'title', 'notes', 'message', 'address', 'street', 'city', 'zip', 'postal_code',
  'dob', 'birth_date', 'visit_date', 'age', 'phone', 'fax_number', 'email', 'ssn', 'mrn', 'patient_id', 'member_id',
  'policy_number', 'account_number', 'routing', 'license_number', 'npi', 'license_plate', 'vin', 'serial_number', 'imei',
  'idfa', 'mac_address', 'url', 'ip', 'client_ip', 'fingerprint', 'voiceprint', 'photo_url', 'avatar', 'claim_number',
  'username', 'lat', 'coordinates', 'version', 'device_name',
].map(normalizeKey);

/** Every string literal in the detector tests. */
function testLiterals(): string[] {
  const dir = path.join(ROOT, 'test', 'detectors');
  const out = new Set<string>();
  for (const file of fs.readdirSync(dir)) {
    if (!file.endsWith('.test.ts') || file === 'features.test.ts') continue;
    const source = ts.createSourceFile(file, fs.readFileSync(path.join(dir, file), 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && node.text.length > 0 && node.text.length <= 2000) {
        out.add(node.text);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return [...out];
}

/** (key, value) pairs of the labelled and holdout events: values under their keys, property names under ''. */
function eventStrings(): [string, string][] {
  const pairs = new Map<string, [string, string]>();
  const add = (key: string, value: string): void => { pairs.set(`${key}\u0000${value}`, [key, value]); };
  const walk = (value: unknown, key: string): void => {
    if (typeof value === 'string') add(key, value);
    else if (Array.isArray(value)) value.forEach((v) => walk(v, key));
    else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        add('', k);
        walk(v, normalizeKey(k));
      }
    }
  };
  for (const file of ['test/fixtures/labelled-events.ndjson', 'test/holdout/holdout-events.ndjson']) {
    for (const line of fs.readFileSync(path.join(ROOT, file), 'utf8').trim().split('\n')) walk((JSON.parse(line) as { event: unknown }).event, '');
  }
  return [...pairs.values()];
}

/**
 * Soundness of one detector on one string: see the file comment. What the engine acted on before
 * gates existed is `prefilter && find`, so a gate may reject a match only where the prefilter did
 * too (the identifier prefilter, for one, predates this and rejects "HAR AAaa0-A", a keyword
 * number with a single digit, that its `find` would match).
 */
function check(detector: Detector, value: string, key: string): void {
  const ctx = { key };
  const features = featuresOf(value);
  const spans = detector.find(value, ctx);
  const gate = detector.gate === undefined ? true : detector.gate(value, ctx, features);
  const where = `${detector.id} on ${JSON.stringify(value)} under ${JSON.stringify(key)}`;
  if (spans.length > 0 && !gate && detector.prefilter(value, ctx)) throw new Error(`gate rejects a match: ${where}`);
  if (gate && !detector.prefilter(value, ctx)) throw new Error(`gate admits what the prefilter rejects: ${where}`);
  const shortcut = detector.find(value, ctx, features);
  if (JSON.stringify(shortcut) !== JSON.stringify(spans)) throw new Error(`find with features differs: ${where}`);
}

describe('string features', () => {
  it('counts digits and runs', () => {
    const f = featuresOf('call (617) 555-0123 or 4111 1111-1111 1111');
    expect(f.digits).toBe(26);
    expect(f.maxDigitRun).toBe(4);
    expect(f.phoneChain).toBe(16); // " or " breaks the chain
    expect(f.dashChain).toBe(16);
    expect(featuresOf('a1-2 3  4').dashChain).toBe(3);
    expect(featuresOf('1.2.3.4').phoneChain).toBe(4);
    expect(featuresOf('12 -  34').phoneChain).toBe(2);
  });

  it('counts colons, dashes and dots', () => {
    const f = featuresOf('00:1A:2B:3C:4D:5E at 10.0.0.1 on 2024-01-05');
    expect([f.colons, f.dashes, f.dots]).toEqual([5, 2, 3]);
    expect([featuresOf('').colons, featuresOf('a-b').dashes, featuresOf('…').dots]).toEqual([0, 1, 0]);
  });

  it('sets its flags', () => {
    expect(featuresOf('jane%40example.com').has(F_AT)).toBe(true);
    expect(featuresOf('https://x').has(F_SCHEME)).toBe(true);
    expect(featuresOf('go to www.x.org').has(F_WWW)).toBe(true);
    expect(featuresOf('WWW.X.ORG').has(F_WWW)).toBe(true);
    expect(featuresOf('wWw.x.org').has(F_WWW)).toBe(false);
    expect(featuresOf('café').has(F_CAPITAL)).toBe(true);
    expect(featuresOf('hello').has(F_CAPITAL | F_ASCII_UPPER)).toBe(false);
    expect(featuresOf('03/14/1985').has(F_DIGIT_SEP_DIGIT)).toBe(true);
    expect(featuresOf('3 / 14').has(F_DIGIT_SEP_DIGIT)).toBe(false);
    expect(featuresOf('ab1').has(F_THREE_LETTERS)).toBe(false);
    expect(featuresOf('abc').has(F_THREE_LETTERS)).toBe(true);
    expect(featuresOf('221B Baker St').has(F_NUMBER_SPACE)).toBe(true);
    expect(featuresOf('12\u00a0Main').has(F_NUMBER_SPACE)).toBe(true);
    expect(featuresOf('12ab Baker').has(F_NUMBER_SPACE)).toBe(false);
    expect(featuresOf('02139-4307').has(F_ZIP4)).toBe(true);
    expect(featuresOf('2139-4307').has(F_ZIP4)).toBe(false);
    expect(featuresOf('a, b').has(F_COMMA)).toBe(true);
  });

  it('counts words as the name tokenizer cuts them', () => {
    expect(featuresOf("O'Brien Anne-Marie x").asciiWords).toBe(3);
    expect(featuresOf('iPhone13,3').asciiWords).toBe(1);
    expect(featuresOf('America/Chicago').asciiWords).toBe(2);
    expect(featuresOf("a'-b").asciiWords).toBe(2);
    expect(featuresOf('x-').asciiWords).toBe(1);
  });

  it('records keyword starts', () => {
    const member = wordStartSet(['member']);
    expect(featuresOf('primaryMemberId 12').hasWordStart(member)).toBe(true);
    expect(featuresOf('Member #12').hasWordStart(member)).toBe(true);
    expect(featuresOf('remember 12').hasWordStart(member)).toBe(false);
    expect(featuresOf('9member').hasWordStart(member)).toBe(false);
    expect(featuresOf('S/N 123').hasWordStart(wordStartSet(['s/n']))).toBe(true);
    expect(featuresOf('sn 123').hasWordStart(wordStartSet(['s/n']))).toBe(false);
    expect(featuresOf('9account').letterStarts & letterBit('a')).toBe(letterBit('a'));
    expect(featuresOf('9account').wordStarts & letterBit('a')).toBe(0);
  });
});

describe('detector gates and feature shortcuts are sound', () => {
  it('on every string literal of the detector tests, under assorted keys', () => {
    const literals = testLiterals();
    expect(literals.length).toBeGreaterThan(1000);
    literals.forEach((value, i) => {
      const keys = ['', KEYS[i % KEYS.length]!, KEYS[(i * 7 + 3) % KEYS.length]!];
      for (const detector of detectors) for (const key of keys) check(detector, value, key);
    });
  });

  it('on every value of the labelled and holdout events, under its own key', () => {
    const pairs = eventStrings();
    expect(pairs.length).toBeGreaterThan(1000);
    for (const [key, value] of pairs) for (const detector of detectors) check(detector, value, key);
  });

  it('on random text made of the detectors’ vocabulary', () => {
    const words = [
      'MRN', 'mrn#', 'Med Rec No.', 'chart #', 'patient', 'Patient ID', 'pt', 'member id', 'Member #', 'policy no',
      'Medicare', 'MBI', 'group number', 'acct', 'account number', 'routing', 'sort code', 'bank', 'license', "driver's license",
      'DL#', 'NPI', 'DEA', 'passport', 'VIN', 'plate', 'license plate', 'tag number', 'IMEI', 'S/N', 'serial', 'idfa', 'MAC',
      'mac address', 'udid', 'fingerprint template', 'voiceprint', 'face template', 'zip', 'ZIP code', 'postal code', 'PO Box',
      'P.O. Box', 'Main St', 'Elm Street', 'Ave', 'Apt', 'Cambridge', 'MA', 'Boston', 'in', 'lives in', 'Phoenix, AZ', 'Texas',
      'age', 'aged', 'years old', 'yo', 'y/o', 'turned', 'at', 'birthday', 'ninety', 'one hundred', 'centenarian', 'Dr.',
      'Mrs.', 'Jane', 'Doe', 'Maria', 'Garcia', 'José', 'Núñez', 'Regards,', 'signed by', 'name is', 'call', 'tel:', 'phone',
      'SSN', 'ss#', 'claim', 'HAR', 'user=', 'login:', 'rx', 'March', 'Mar', 'Thursday', '14th', 'of', 'lat', 'lng', '°',
      'N', 'W', 'www.', 'https://', 'example.com', '@', '%40', 'data:image/png;base64,', 'iVBORw0KGgo', 'Rk1SACAyMAAA',
      'abcdef0123456789ABCDEFGHIJKLMNOP', 'x', '-', '–', '~', '/', '.', ',', ':', '=', '#', '(', ')', '+', ' ', '  ', '\n',
    ];
    const digits = fc.stringMatching(/^[0-9]{1,17}$/);
    const grouped = fc.array(fc.stringMatching(/^[0-9A-Fa-f]{1,6}$/), { minLength: 1, maxLength: 6 })
      .chain((groups) => fc.constantFrom('-', ' ', '.', ':', '/', '').map((sep) => groups.join(sep)));
    const token = fc.oneof(fc.constantFrom(...words), digits, grouped, fc.string({ maxLength: 4 }));
    const text = fc.array(token, { maxLength: 10 }).chain((parts) => fc.array(fc.constantFrom(' ', '', ', ', ': ', '-', '\t'), {
      minLength: parts.length, maxLength: parts.length,
    }).map((seps) => parts.map((p, i) => p + seps[i]).join('')));
    fc.assert(
      fc.property(text, fc.constantFrom(...KEYS), (value, key) => {
        for (const detector of detectors) check(detector, value, key);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? '') || 1500, interruptAfterTimeLimit: 8_000, markInterruptAsFailure: false },
    );
  });
});
