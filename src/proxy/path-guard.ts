/**
 * Known paths with a free segment (asset names, project tokens, flag keys) would otherwise carry
 * whatever a client puts there into our logs and to the vendor: `/static/123-45-6789.js` matches
 * the static-asset pattern. Such a path is refused when a segment holds an identifier with a
 * strict shape (e-mail, SSN, phone, IP, date, card number, MRN). Names are not checked here:
 * asset and flag names are words, and a name detector would refuse real bundles.
 */
import { cardDetector } from '../detectors/card';
import { dateDetector } from '../detectors/date';
import { emailDetector } from '../detectors/email';
import { ipDetector } from '../detectors/ip';
import { mrnDetector } from '../detectors/mrn';
import { phoneDetector } from '../detectors/phone';
import { ssnDetector } from '../detectors/ssn';
import { DEFAULT_DETECTOR_OPTIONS, type Detector } from '../detectors/types';

const DETECTORS: readonly Detector[] = [emailDetector, ssnDetector, phoneDetector, ipDetector, dateDetector, cardDetector, mrnDetector].map((make) =>
  make(DEFAULT_DETECTOR_OPTIONS),
);
const CONTEXT = Object.freeze({ key: '' });
/** Paths made only of letters, dots, dashes and slashes (most of them) cannot hold those shapes. */
const NO_DIGIT_OR_AT = /^[^0-9@]*$/;

/** Verdicts for paths seen before: SDKs use a handful (`/i/v0/e/`), so most requests pay one lookup. */
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 1_000;

/** True when a path segment holds something one of the strict-shape detectors finds. */
export function pathHoldsIdentifier(path: string): boolean {
  if (NO_DIGIT_OR_AT.test(path)) return false;
  const known = verdicts.get(path);
  if (known !== undefined) return known;
  // Segments are scanned as words of one string, so a value split by `/` is not glued to its neighbours.
  const text = path.replace(/\//g, ' ');
  const holds = DETECTORS.some((detector) => detector.prefilter(text, CONTEXT) && detector.find(text, CONTEXT).length > 0);
  // Only clean paths are remembered: a path holding an identifier must not sit in memory.
  if (!holds) {
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
    verdicts.set(path, false);
  }
  return holds;
}
