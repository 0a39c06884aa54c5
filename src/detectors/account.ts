/**
 * Bank account and routing numbers (Safe Harbor J). A bare 6–20 digit number says nothing by
 * itself (order ids, counts, timestamps look the same), so evidence comes from context only:
 * - in text, a keyword right before it: "account number 12345678", "acct #: 0012345678",
 *   "Account No. 123-456-789", "routing 021000021", "sort code 12-34-56";
 * - under an account key (`account_number`, `acct`, `bank_account`, `routing_number`, …), the
 *   whole trimmed value when it is 6–20 digits with optional dashes or spaces.
 * Cards and IBANs have their own detectors; `account_id` (a tenant id in analytics) is not a key
 * here.
 */
import { hasDigits, memoizeByKey } from './util';
import type { DetectContext, DetectorFactory, Span } from './types';
import { lettersMask } from './features';

const MIN_DIGITS = 6;
const MAX_DIGITS = 20;

// Keyword, optional "number"/"no."/"#", optional ":" / "=" / "is", then digit groups separated by
// single dashes or spaces. Groups need a separator between them, so no two ways to split a run.
const KEYWORD_NUMBER = new RegExp(
  '(?<![a-z])(?:(?:bank|checking|savings|deposit|beneficiary)\\s{1,3})?' +
  '(?:account|acct|acc|a/c|routing|aba|sort\\s?code|bsb)' +
  '(?:\\s{0,3}(?:number|num|nbr|no|#))?\\.?\\s{0,3}(?:[:#=]|is\\b)?\\s{0,3}#?' +
  '(\\d+(?:[ -]\\d+){0,9})(?![\\w]|-\\d)',
  'gid',
);

/** First letters of KEYWORD_NUMBER's keywords (the optional "bank " etc. precede one of them). */
const KEYWORD_LETTERS = lettersMask(['account', 'acct', 'acc', 'a/c', 'routing', 'aba', 'sort code', 'bsb']);

const ACCOUNT_KEY = /(?:^|_)(?:acct|acct_(?:no|num|number|nbr)|account_(?:no|num|number|nbr)|bank_account(?:_(?:no|num|number|nbr))?|bank_acct|checking_account|savings_account|routing|routing_(?:no|num|number|nbr)|aba|aba_(?:no|number|routing)|sort_code|bsb|bsb_number)$/;
const KEYED_VALUE = /^#?\s?\d(?:[ -]?\d){5,19}$/;
const MAX_KEYED_VALUE_LENGTH = 48;

function digitCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/**
 * `acct 12345678 2 items`: a short trailing group after a space is the next word of the sentence,
 * not part of the number. Returns the length of the number without it.
 */
function withoutStrayTail(text: string): number {
  let end = text.length;
  for (;;) {
    const space = text.lastIndexOf(' ', end - 1);
    if (space < 0 || end - space - 1 >= 3) return end;
    end = space;
  }
}

const isAccountKey = memoizeByKey((key: string): boolean => key !== '' && ACCOUNT_KEY.test(key));

function findAccountNumbers(value: string, ctx: DetectContext): Span[] {
  if (isAccountKey(ctx.key)) {
    let start = 0;
    let end = value.length;
    while (start < end && value.charCodeAt(start) <= 32) start++;
    while (end > start && value.charCodeAt(end - 1) <= 32) end--;
    if (end - start <= MAX_KEYED_VALUE_LENGTH && KEYED_VALUE.test(value.slice(start, end))) {
      return [{ start, end, kind: 'account' }];
    }
  }
  const spans: Span[] = [];
  KEYWORD_NUMBER.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = KEYWORD_NUMBER.exec(value)) !== null) {
    const number = m[1];
    const at = m.indices?.[1];
    if (number === undefined || at === undefined) continue;
    const length = withoutStrayTail(number);
    const digits = digitCount(number.slice(0, length));
    if (digits < MIN_DIGITS || digits > MAX_DIGITS) continue;
    spans.push({ start: at[0], end: at[0] + length, kind: 'account' });
  }
  return spans;
}

export const accountDetector: DetectorFactory = () => ({
  id: 'account',
  letter: 'J',
  kind: 'account',
  marker: '[ACCOUNT]',
  prefilter: function accountPrefilter(value) {
    return hasDigits(value, MIN_DIGITS);
  },
  gate: function accountGate(_value, ctx, f) {
    // Digit groups one space or dash apart (keyed or after a keyword), after a keyword or under a key.
    return f.dashChain >= MIN_DIGITS && (isAccountKey(ctx.key) || (f.letterStarts & KEYWORD_LETTERS) !== 0);
  },
  find: function findAccount(value, ctx) {
    return findAccountNumbers(value, ctx);
  },
});
