/**
 * Geocodes (Safe Harbor B: geographic units smaller than a state, and their geocodes).
 * - coordinate pairs in text: `42.3601, -71.0589`, `42.3601,-71.0589`, `(42.3601 -71.0589)`,
 *   `42.3601° N, 71.0589° W`, each part with 3+ decimals (~100 m) and in range;
 * - labelled values: `lat 42.3601 lng -71.0589`, `{"lat":42.36,"lon":-71.05}` (2+ decimals: the
 *   label already says what the number is);
 * - degrees-minutes-seconds pairs: `42°21'36.4"N 71°03'32.0"W`;
 * - under a latitude/longitude key (`lat`, `geoip_latitude`, `geo_lng`), a single decimal value;
 *   under a pair key (`coordinates`, `latlng`), a `lat,lng` value.
 * Prices (`19.99`), versions (`1.449.2`) and screen sizes (`1920x1080`) fail the decimals, range
 * or boundary rules.
 */
import type { DetectContext, DetectorFactory, Span } from './types';
import { F_DEGREE, F_DOT_DIGIT } from './features';

// A number that is not the tail of a longer dotted or signed token (`1.2.345.678`, `$42.360`).
const NOT_AFTER_TOKEN = '(?<![\\w.$€£¥+\\-])';
const NOT_BEFORE_TOKEN = '(?![\\w°]|\\.\\d)';
const PAIR = new RegExp(
  `${NOT_AFTER_TOKEN}([-+]?\\d{1,3}\\.\\d{3,15})(?:\\s?°)?(?:\\s?[NS](?![A-Za-z]))?` +
  '(?:\\s{0,3}[,;]\\s{0,3}|\\s{1,3})' +
  `([-+]?\\d{1,3}\\.\\d{3,15})(?:\\s?°)?(?:\\s?[EW](?![A-Za-z]))?${NOT_BEFORE_TOKEN}`,
  'g',
);
const LABELLED = new RegExp(
  '(?<![a-z])(latitude|lat|longitude|long|lng|lon)["\']?\\s{0,3}[:=]?\\s{0,3}["\']?' +
  `([-+]?\\d{1,3}\\.\\d{2,15})${NOT_BEFORE_TOKEN}`,
  'gid',
);
const DMS_PART = '(\\d{1,3})°\\s?(\\d{1,2})[\'′]\\s?(\\d{1,2}(?:\\.\\d{1,6})?)(?:["″]|\'\')?\\s?';
const DMS_PAIR = new RegExp(`(?<![\\w.])${DMS_PART}([NSns])[,;\\s]{1,3}${DMS_PART}([EWew])(?![a-z])`, 'g');

const POINT_KEY = /(?:^|_)(?:lat|latitude|lng|lon|long|longitude)$/;
const LATITUDE_KEY = /(?:^|_)(?:lat|latitude)$/;
const PAIR_KEY = /(?:^|_)(?:coordinates|coords|coord|latlng|lat_lng|latlon|lat_lon|lat_long|geo|geolocation|geo_location|location|position|ll|point)$/;
const KEYED_POINT = /^[-+]?\d{1,3}\.\d{1,15}$/;
const KEYED_PAIR = /^\(?\s?([-+]?\d{1,3}\.\d{1,15})\s{0,3}[,; ]\s{0,3}([-+]?\d{1,3}\.\d{1,15})\s?\)?$/;
const MAX_KEYED_VALUE_LENGTH = 48;

function inRange(text: string, limit: number): boolean {
  const n = Math.abs(Number(text));
  return Number.isFinite(n) && n <= limit;
}

/** Either order is accepted (`POINT(lng lat)` is common): one part must be a latitude. */
function isCoordinatePair(first: string, second: string): boolean {
  return (inRange(first, 90) && inRange(second, 180)) || (inRange(first, 180) && inRange(second, 90));
}

function trimmedBounds(value: string): [number, number] {
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) <= 32) start++;
  while (end > start && value.charCodeAt(end - 1) <= 32) end--;
  return [start, end];
}

function keyedSpan(value: string, key: string): Span | undefined {
  const point = POINT_KEY.test(key);
  if (!point && !PAIR_KEY.test(key)) return undefined;
  const [start, end] = trimmedBounds(value);
  if (end - start > MAX_KEYED_VALUE_LENGTH) return undefined;
  const text = value.slice(start, end);
  if (point && KEYED_POINT.test(text) && inRange(text, LATITUDE_KEY.test(key) ? 90 : 180)) {
    return { start, end, kind: 'geo' };
  }
  const pair = KEYED_PAIR.exec(text);
  if (pair !== null && isCoordinatePair(pair[1] ?? '', pair[2] ?? '')) return { start, end, kind: 'geo' };
  return undefined;
}

function findCoordinates(value: string, ctx: DetectContext): Span[] {
  if (ctx.key !== '') {
    const keyed = keyedSpan(value, ctx.key);
    if (keyed !== undefined) return [keyed];
  }
  const found: Span[] = [];
  let m: RegExpExecArray | null;
  PAIR.lastIndex = 0;
  while ((m = PAIR.exec(value)) !== null) {
    if (isCoordinatePair(m[1] ?? '', m[2] ?? '')) found.push({ start: m.index, end: m.index + m[0].length, kind: 'geo' });
  }
  LABELLED.lastIndex = 0;
  while ((m = LABELLED.exec(value)) !== null) {
    const label = (m[1] ?? '').toLowerCase();
    const at = m.indices?.[2];
    if (at === undefined || !inRange(m[2] ?? '', label.startsWith('lat') ? 90 : 180)) continue;
    found.push({ start: at[0], end: at[1], kind: 'geo' });
  }
  DMS_PAIR.lastIndex = 0;
  while ((m = DMS_PAIR.exec(value)) !== null) {
    if (Number(m[1]) <= 90 && Number(m[5]) <= 180) found.push({ start: m.index, end: m.index + m[0].length, kind: 'geo' });
  }
  return withoutOverlaps(found);
}

/** Sorted by start; of two overlapping spans the earlier (then longer) one wins. */
function withoutOverlaps(spans: Span[]): Span[] {
  if (spans.length < 2) return spans;
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Span[] = [];
  let lastEnd = -1;
  for (const span of spans) {
    if (span.start < lastEnd) continue;
    out.push(span);
    lastEnd = span.end;
  }
  return out;
}

/** True when `value` has a `.` followed by a digit, or a degree sign: every geocode here has one. */
function mayHoldCoordinate(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0xb0) return true;
    if (c === 46) {
      const next = value.charCodeAt(i + 1);
      if (next >= 48 && next <= 57) return true;
    }
  }
  return false;
}

export const geoDetector: DetectorFactory = () => ({
  id: 'geo',
  letter: 'B',
  kind: 'geo',
  marker: '[GEO]',
  prefilter: function geoPrefilter(value) {
    return mayHoldCoordinate(value);
  },
  gate: function geoGate(_value, _ctx, f) {
    return f.has(F_DOT_DIGIT | F_DEGREE);
  },
  find: function findGeo(value, ctx) {
    return findCoordinates(value, ctx);
  },
});
