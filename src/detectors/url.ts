/**
 * Web URLs (Safe Harbor N): absolute http(s) URLs and `www.` hosts anywhere in a string. The
 * engine's `url` action then keeps scheme, host and templated path and drops the identifying
 * parts; bare domains (`$referring_domain`) are not URLs here and stay as they are.
 */
import isURL from 'validator/lib/isURL';
import type { DetectorFactory, Span } from './types';
import { F_SCHEME, F_WWW } from './features';

// A URL runs until whitespace, a quote or an angle bracket; trailing sentence punctuation is not part of it.
const CANDIDATE = /\b(?:https?:\/\/|www\.)[^\s"'<>`]+/gi;

/** `. , ; : ! ? ) ] }`: sentence punctuation that may trail a URL in text. */
function isTrailingPunctuation(c: number): boolean {
  return c === 46 || c === 44 || c === 59 || c === 58 || c === 33 || c === 63 || c === 41 || c === 93 || c === 125;
}

/**
 * Start of the run of trailing punctuation of `text` (`text.length` when there is none). A loop
 * from the end, not `/[.,;:!?)\]}]+$/`: unanchored, that regex retried at every character of a
 * long dot run and went quadratic ("http://a" + 32,000 dots took 1.5 s).
 */
export function trailingPunctuationStart(text: string): number {
  let end = text.length;
  while (end > 0 && isTrailingPunctuation(text.charCodeAt(end - 1))) end--;
  return end;
}

export const urlDetector: DetectorFactory = () => ({
  id: 'url',
  letter: 'N',
  kind: 'url',
  marker: '[URL]',
  prefilter(value) {
    return value.includes('://') || value.includes('www.') || value.includes('WWW.');
  },
  gate(_value, _ctx, f) {
    return f.has(F_SCHEME | F_WWW);
  },
  find(value) {
    const spans: Span[] = [];
    CANDIDATE.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = CANDIDATE.exec(value)) !== null) {
      let text = m[0];
      // Keep a closing bracket that belongs to the URL, e.g. a Wikipedia-style `(disambiguation)`.
      const cut = trailingPunctuationStart(text);
      if (cut < text.length && !(cut === text.length - 1 && text.charCodeAt(cut) === 41 && text.includes('('))) text = text.slice(0, cut);
      const candidate = text.toLowerCase().startsWith('www.') ? `http://${text}` : text;
      if (isURL(candidate, { require_protocol: true, require_tld: false, allow_underscores: true, allow_fragments: true, allow_query_components: true })) {
        spans.push({ start: m.index, end: m.index + text.length, kind: 'url' });
      }
    }
    return spans;
  },
});
