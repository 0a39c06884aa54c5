import fc from 'fast-check';
import { biometricDetector, isBiometricKey, isLongEncodedBlob } from '../../src/detectors/biometric';
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/detectors/types';

const detector = biometricDetector(DEFAULT_DETECTOR_OPTIONS);
const found = (value: string, key = ''): string[] =>
  detector.find(value, { key }).map((s) => value.slice(s.start, s.end));

/** A minutiae-template-like blob: 96 base64 characters. */
const TEMPLATE = 'Rk1SACAyMAAAAADkAAABPAFiAMUAxQEAAAAoJ0CGAEnPXUB/AF1yXUC5AGhaXUBnAGu6XUDRAIFrXUBUAIO/XUCfAIOEXQ==';
const SHA256_HEX = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

describe('biometric detector', () => {
  it('describes itself', () => {
    expect([detector.id, detector.kind, detector.letter, detector.marker]).toEqual(['biometric', 'biometric', 'P', '[BIOMETRIC]']);
  });

  it.each([
    ['fingerprint_template', TEMPLATE],
    ['voiceprint', 'vp_01HZX3'],
    ['voice_print', 'anything at all'],
    ['face_template', '[0.12, -0.53, 0.91]'],
    ['faceprint', 'abc'],
    ['iris_template', 'AAAA'],
    ['retina_scan', 'scan-7781'],
    ['biometric', 'x9'],
    ['biometric_template', TEMPLATE],
    ['palm_print', 'pp:001'],
    ['face_embedding', '0.1,0.2,0.3'],
    ['user_face_embedding', '0.1,0.2,0.3'],
    ['fingerprint', TEMPLATE],
    ['patient_fingerprint', TEMPLATE],
  ])('takes the whole value under key %s', (key, value) => {
    expect(found(value, key)).toEqual([value]);
  });

  it.each([
    ['fingerprint', SHA256_HEX], // a digest: a browser/certificate fingerprint
    ['fingerprint', 'a1b2c3d4e5f6'], // FingerprintJS-style visitor id
    ['device_fingerprint', TEMPLATE],
    ['browser_fingerprint', TEMPLATE],
    ['tls_fingerprint', TEMPLATE],
    ['biometric_enabled', 'true'],
    ['biometric_type', 'face_id'],
    ['biometric', 'true'],
    ['voiceprint', '   '],
    ['fp', TEMPLATE],
  ])('does not take %s=%j', (key, value) => {
    expect(found(value, key)).toEqual([]);
  });

  it.each([
    [`fingerprint template: ${TEMPLATE}`, TEMPLATE],
    ['voiceprint UklGRiQAAABXQVZFZm10IBAAAAABAAEA', 'UklGRiQAAABXQVZFZm10IBAAAAABAAEA'],
    ['Face template="q83v7kZc9bN2xQ/1mB+0aA==" enrolled', 'q83v7kZc9bN2xQ/1mB+0aA=='],
    ['faceEmbedding=AbCdEfGhIjKlMnOpQrStUv', 'AbCdEfGhIjKlMnOpQrStUv'],
    ['iris code 0f3a9b2c7d1e5f4a8b6c', '0f3a9b2c7d1e5f4a8b6c'],
  ])('finds the blob in %j', (text, blob) => {
    expect(found(text)).toEqual([blob]);
  });

  it.each([
    `browser fingerprint ${TEMPLATE}`,
    `fingerprint ${SHA256_HEX}`,
    'voiceprint enrollmentcompletedtoday',
    'face template saved',
    'voiceprint: abc123',
    TEMPLATE,
    'Chrome/120.0.0.0 Safari/537.36',
    '550e8400-e29b-41d4-a716-446655440000',
    'Price $1,234.56',
  ])('finds nothing in %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    [`biometric enroll failed, template=${TEMPLATE}`, TEMPLATE],
    [`enroll failed: ${TEMPLATE}`, TEMPLATE], // ISO 19794-2 magic "FMR\0"
    ['face record RkFDADAxMAAAAAH4AAEAAAHmAAAAAAAAAAAAAAAAAAABAQEB stored', 'RkFDADAxMAAAAAH4AAEAAAHmAAAAAAAAAAAAAAAAAAABAQEB'],
    ['iris upload: SUlSADAyMAAAAAKmAAEBAAAAAAAAAAAAAAAAAAEAAQABAgMEBQ== ok', 'SUlSADAyMAAAAAKmAAEBAAAAAAAAAAAAAAAAAAEAAQABAgMEBQ=='],
    ['palm scan uploaded; data: q83v7kZc9bN2xQ/1mB+0aAbCdEfGhIjK3LmNoPqRsTuVw==', 'q83v7kZc9bN2xQ/1mB+0aAbCdEfGhIjK3LmNoPqRsTuVw=='],
    ['{"fingerprintTemplate":"q83v7kZc9bN2xQ/1mB+0aAbCdEfGhIjK3LmNoPqRsTuVw=="}', 'q83v7kZc9bN2xQ/1mB+0aAbCdEfGhIjK3LmNoPqRsTuVw=='],
  ])('finds the free-text blob in %j', (text, blob) => {
    expect(found(text)).toEqual([blob]);
  });

  it.each([
    `session token q83v7kZc9bN2xQ/1mB+0aAbCdEfGhIjK3LmNoPqRsTuVw==`, // no biometric word, no magic
    `template ${SHA256_HEX}`, // a digest
    'email template /templates/Welcome2024/EmailLayoutVersion3/Header.html', // a path
    `canvas fingerprint q83v7kZc9bN2xQ/1mB+0aAbCdEfGhIjK3LmNoPqRsTuVw==`,
  ])('finds no free-text blob in %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    [TEMPLATE, true],
    [SHA256_HEX, false],
    [SHA256_HEX + SHA256_HEX + 'ab', true], // hex longer than a SHA-512 digest
    ['short', false],
    [TEMPLATE.slice(0, 60) + ' ' + TEMPLATE.slice(60), false],
  ])('isLongEncodedBlob(%#) is %s', (value, expected) => {
    expect(isLongEncodedBlob(value)).toBe(expected);
  });

  it.each([
    ['fingerprint', true], ['voiceprint', true], ['biometric_data', true], ['device_fingerprint', false],
    ['biometric_enabled', false], ['fingerprint_hash', false], ['', false],
  ])('isBiometricKey(%j) is %s', (key, expected) => {
    expect(isBiometricKey(key)).toBe(expected);
  });

  it.each([
    [`voiceprint ${TEMPLATE}`, ''],
    ['x9', 'biometric'],
  ])('prefilter passes whatever find can match: %j under %j', (value, key) => {
    expect(detector.find(value, { key }).length).toBeGreaterThan(0);
    expect(detector.prefilter(value, { key })).toBe(true);
  });

  it('never throws on hostile input', () => {
    const inputs = [
      '', '\uD800', 'voiceprint ' + 'A'.repeat(100_000) + '='.repeat(10), 'voiceprint '.repeat(9_000),
      'face template' + ' '.repeat(50_000), 'A/'.repeat(50_000),
    ];
    for (const input of inputs) {
      expect(() => detector.find(input, { key: '' })).not.toThrow();
      expect(() => detector.find(input, { key: 'fingerprint' })).not.toThrow();
      expect(() => detector.find(input, { key: 'voiceprint' })).not.toThrow();
    }
  });
});

describe('biometric detector properties', () => {
  // Strings assembled from the detector's own keywords and token pieces reach its edge cases far
  // more often than uniform random text.
  const fragments = fc.constantFrom(...['voiceprint', 'face template', 'fingerprint', 'iris code', ':', ' ', '=', 'Rk1SACAyMAAAAADk', 'AAABPAFiAMUAxQEA', '+/', '==', 'abc', '\\uD800']);
  const text = fc.oneof(fc.array(fragments, { maxLength: 12 }).map((parts) => parts.join('')), fc.string());
  const key = fc.constantFrom(...['', 'fingerprint', 'voiceprint', 'device_fingerprint', 'biometric']);

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
