import fc from 'fast-check';
import { photoDetector, isPhotoKey } from '../../src/detectors/photo';
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/detectors/types';

const detector = photoDetector(DEFAULT_DETECTOR_OPTIONS);
const found = (value: string, key = ''): string[] =>
  detector.find(value, { key }).map((s) => value.slice(s.start, s.end));

const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const JPEG_URLSAFE = 'data:image/jpeg;base64,_9j_4AAQSkZJRgABAQAAAQABAAD-2wBD';

describe('photo detector', () => {
  it('describes itself', () => {
    expect([detector.id, detector.kind, detector.letter, detector.marker]).toEqual(['photo', 'photo', 'Q', '[PHOTO]']);
  });

  it.each([
    [PNG, PNG],
    [`avatar=${PNG}&next=1`, PNG],
    [`<img src="${PNG}" alt="me">`, PNG],
    [`background: url(${JPEG_URLSAFE}) no-repeat`, JPEG_URLSAFE],
    ['DATA:IMAGE/WEBP;BASE64,UklGRiIAAABXRUJQVlA4', 'DATA:IMAGE/WEBP;BASE64,UklGRiIAAABXRUJQVlA4'],
    ['data:image/svg+xml;charset=utf-8,%3Csvg%3E%3C/svg%3E tail', 'data:image/svg+xml;charset=utf-8,%3Csvg%3E%3C/svg%3E'],
    ['data:image/png;name=me.png;base64,AAAA', 'data:image/png;name=me.png;base64,AAAA'],
  ])('finds the data URI in %j', (text, uri) => {
    expect(found(text)).toEqual([uri]);
  });

  it('finds two data URIs in order', () => {
    expect(found(`${PNG} and ${JPEG_URLSAFE}`)).toEqual([PNG, JPEG_URLSAFE]);
  });

  it.each([
    'https://cdn.example.com/images/avatar-123.jpg',
    'data:text/plain;base64,SGVsbG8=',
    'data:application/json,{}',
    'image/png',
    'the data: image is ready',
    'Chrome/120.0.0.0 Safari/537.36',
    '550e8400-e29b-41d4-a716-446655440000',
    '00:03:25',
  ])('finds nothing in %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    ['photo', 'https://cdn.example.com/u/123/photo.jpg'],
    ['photo_url', 'https://cdn.example.com/u/123/photo.jpg'],
    ['avatar', '//www.gravatar.com/avatar/205e460b479e2e5b48aec07710c08d50'],
    ['avatar_url', 'https://avatars.githubusercontent.com/u/583231?v=4'],
    ['picture', 'https://lh3.googleusercontent.com/a/ACg8ocK'],
    ['profile_picture', '/uploads/users/42/me.png'],
    ['profile_image', ' https://example.com/p.jpg '],
    ['image_url', 'https://example.com/u/7.png'],
    ['user_image_url', 'https://example.com/u/7.png'],
    ['headshot', 'https://example.com/h.jpg'],
    ['selfie', PNG],
    ['face_image', 's3://bucket/faces/7.jpg'],
    ['user_avatar_url', 'www.example.com/a.png'],
    ['photos', 'blob:https://app.example.com/1f2e3d'],
  ])('takes the whole value under key %s', (key, value) => {
    expect(found(value, key)).toEqual([value.trim()]);
  });

  it.each([
    ['photo', 'none'],
    ['avatar', 'initials'],
    ['has_photo', 'true'],
    ['photo_count', '3'],
    ['product_image_url', 'https://shop.example.com/p/9.jpg'],
    ['product_photo', 'https://shop.example.com/p/9.jpg'],
    ['cover_photo_url', 'https://example.com/cover.jpg'],
    ['team_avatar', 'https://example.com/t.png'],
    ['og_image', 'https://example.com/og.png'],
    ['avatar', 'my photo: https://example.com/a.png'],
  ])('does not take %s=%j', (key, value) => {
    expect(found(value, key)).toEqual([]);
  });

  it.each([
    ['avatar_url', true], ['profile_pic', true], ['photo_thumbnail', true], ['image_url', true],
    ['image', false], ['product_image_url', false], ['photo_count', false], ['', false],
  ])('isPhotoKey(%j) is %s', (key, expected) => {
    expect(isPhotoKey(key)).toBe(expected);
  });

  it.each([
    [PNG, ''],
    ['/u/1.png', 'avatar'],
  ])('prefilter passes whatever find can match: %j under %j', (value, key) => {
    expect(detector.find(value, { key }).length).toBeGreaterThan(0);
    expect(detector.prefilter(value, { key })).toBe(true);
  });

  it('never throws on hostile input', () => {
    const inputs = [
      '', '\uD800', 'data:image/png;base64,' + 'A'.repeat(100_000), 'data:image/'.repeat(10_000),
      'data:image/png' + ';a=b'.repeat(20_000), 'data:image/png;base64,\uDC00', ':'.repeat(100_000),
    ];
    for (const input of inputs) {
      expect(() => detector.find(input, { key: '' })).not.toThrow();
      expect(() => detector.find(input, { key: 'avatar' })).not.toThrow();
    }
  });
});

describe('photo detector properties', () => {
  // Strings assembled from the detector's own keywords and token pieces reach its edge cases far
  // more often than uniform random text.
  const fragments = fc.constantFrom(...['data:', 'image/', 'png', 'svg+xml', ';base64', ';charset=utf-8', ',', 'iVBOR', '==', ' ', '"', 'https://', 'x.com/a.jpg', '/', '%3C', '\\uD800']);
  const text = fc.oneof(fc.array(fragments, { maxLength: 12 }).map((parts) => parts.join('')), fc.string());
  const key = fc.constantFrom(...['', 'avatar', 'photo_url', 'product_photo']);

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
