/**
 * Full-face photographs and comparable images (Safe Harbor Q): `data:image/…` URIs anywhere
 * (the span is the whole URI, payload included), and the whole value under a key that names a
 * person's picture (`photo`, `avatar_url`, `profile_picture`, `headshot`, `selfie`, …) when that
 * value is a URL, a path or a data URI.
 *
 * Image URLs in free text are left alone: a generic image (a product shot, a logo) is not a face.
 *
 * @example
 * photoDetector(DEFAULT_DETECTOR_OPTIONS).find('avatar=data:image/png;base64,iVBORw0KGgo=', { key: '' })
 * // → [{ start: 7, end: 41, kind: 'photo' }]
 */
import { trimmedBounds } from './context';
import type { Detector, DetectorFactory, Span } from './types';
import { F_COLON } from './features';
import { memoizeByKey } from './util';

/**
 * The head of an image data URI, up to its comma: `data:image/png;base64,`,
 * `data:image/svg+xml;charset=utf-8,`. Group 1 holds the parameters.
 */
const DATA_IMAGE_HEAD =
  /data:image\/[A-Za-z0-9.+-]{1,64}((?:;[A-Za-z0-9._+-]{1,64}(?:=[A-Za-z0-9._+"-]{0,64})?){0,8}),/gi;
const BASE64_PARAM = /;base64(?:;|$)/i;

/** Characters of a base64 payload (standard and URL-safe alphabets, padding). */
function isBase64Char(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) ||
    c === 43 || c === 47 || c === 61 || c === 95 || c === 45; // + / = _ -
}

/** Characters that end a non-base64 (percent-encoded) payload: white space, quotes, brackets. */
function endsPlainPayload(c: number): boolean {
  return c <= 32 || c === 34 || c === 39 || c === 40 || c === 41 || c === 60 || c === 62 ||
    c === 92 || c === 96; // " ' ( ) < > \ `
}

/** Spans of every `data:image/…` URI in `value`, payload included. */
export function findDataImageUris(re: RegExp, value: string): Span[] {
  const spans: Span[] = [];
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) {
    const base64 = BASE64_PARAM.test(m[1] ?? '');
    let end = m.index + m[0].length;
    while (end < value.length) {
      const c = value.charCodeAt(end);
      if (base64 ? !isBase64Char(c) : endsPlainPayload(c)) break;
      end++;
    }
    spans.push({ start: m.index, end, kind: 'photo' });
    re.lastIndex = end;
  }
  return spans;
}

/** Keys naming a picture of a person, matched as a suffix of the normalised key. */
const PHOTO_KEY = new RegExp(
  '(?:^|_)(?:photos?|avatars?|pictures?|pic|headshots?|selfies?|mugshots?|portraits?' +
    '|profile_(?:pic|picture|photo|image|img)|(?:face|facial)_(?:image|photo|picture|img))' +
    '(?:_(?:urls?|uris?|link|src|href|path|data|thumb|thumbnail|small|medium|large|original))?$',
);
/** `image_url` names a person's picture only alone or after a person (`user_image_url`). */
const PERSON_IMAGE_KEY = new RegExp(
  '^(?:(?:user|profile|person|patient|member|customer|contact|owner|account|author|employee|doctor' +
    '|provider|physician|staff)_)?image_(?:urls?|uris?|src)$',
);
/** Pictures of things, not people: `product_photo`, `cover_photo`, `team_avatar`. */
const NOT_A_PERSON = new RegExp(
  '(?:^|_)(?:product|item|cover|banner|background|hero|og|logo|brand|company|organization|org|team' +
    '|group|store|shop|catalog|listing|post|article|blog|preview|card|app|channel|workspace)_',
);

/** True when a normalised key names a picture of a person. */
export const isPhotoKey: (key: string) => boolean = memoizeByKey(function isPhotoKey(key: string): boolean {
  return key.length > 0 && (PHOTO_KEY.test(key) || PERSON_IMAGE_KEY.test(key)) && !NOT_A_PERSON.test(key);
});

/** A URL (`https://…`, `//cdn…`, `www.…`), a data/blob URI or an absolute path, with no spaces. */
const URL_LIKE = /^(?:[A-Za-z][A-Za-z0-9+.-]{0,30}:\/\/|\/\/|data:|blob:|www\.|\/[^/\s])\S*$/;

/**
 * Built once per process, not per plan: V8 keeps a regex's compiled code on the RegExp object,
 * and a new RegExp built for each compiled plan recompiles (milliseconds for the keyword
 * alternations) once a GC has aged its source out of V8's cache. Shared safely: every scan sets
 * `lastIndex` first and runs to completion.
 */
const DATA_IMAGE_SCAN_RE = new RegExp(DATA_IMAGE_HEAD.source, 'gi');

export const photoDetector: DetectorFactory = () => {
  const dataImageRe = DATA_IMAGE_SCAN_RE;
  return {
    id: 'photo',
    letter: 'Q',
    kind: 'photo',
    marker: '[PHOTO]',
    claimsBlobs: true,
    prefilter(value, ctx) {
      return value.includes(':') || (value.length >= 2 && isPhotoKey(ctx.key));
    },
    gate(value, ctx, f) {
      return f.has(F_COLON) || (value.length >= 2 && isPhotoKey(ctx.key));
    },
    find(value, ctx) {
      if (isPhotoKey(ctx.key)) {
        const [start, end] = trimmedBounds(value);
        if (end > start && URL_LIKE.test(value.slice(start, end))) return [{ start, end, kind: 'photo' }];
      }
      return findDataImageUris(dataImageRe, value);
    },
  } satisfies Detector;
};
