/**
 * Any other unique identifying number or code (Safe Harbor R) that no specific detector knows:
 * prescription, claim, accession, encounter, wristband and account numbers, activation and
 * confirmation codes, user names. Without a format of their own, the evidence is context:
 *  - a property named for an identifier (`rx_number`, `claim_no`, `accession_id`,
 *    `activation_code`, `statement_account`, `portal_username`) holding an id-like value;
 *  - `key=value` / `key: value` pairs in log-like text (`user=jdoe subscriber=MA565…`);
 *  - a keyword with a number (`HAR 2898320842`, `Guarantor #40556705`, `claim CLM-9610-2FW67`).
 * Property names that count things or name shared codes (`step_number`, `status_code`,
 * `country_code`, `promo_code`, `diagnosis_code`) are not identifiers.
 */
import type { DetectContext, DetectorFactory, Span } from './types';
import { hasDigits, memoizeByKey, mergeSpans } from './util';
import { F_COLON, F_EQUALS, wordStartSet, type StringFeatures } from './features';

/** Property names that name a person-level identifier. */
const ID_KEY = new RegExp(
  '(?:^|_)(?:' +
    [
      'accession', 'wristband', 'claim', 'rx', 'prescription', 'har', 'csn', 'fin', 'encounter', 'guarantor', 'specimen',
      'case', 'admission', 'visit', 'referral', 'authorization', 'auth', 'confirmation', 'activation', 'verification',
      'invite', 'access', 'booking', 'reservation', 'badge', 'employee', 'student', 'tax', 'voter', 'passport',
    ].join('|') +
    ')(?:_(?:number|no|num|nbr|id|code))?$',
);
/** `*_number`, `*_no`, `*_code`, `*_account`: identifiers unless the name says otherwise. */
const GENERIC_ID_KEY = /(?:^|_)(?:number|no|num|nbr|code|account|acct)$/;
const NOT_ID_KEY = new RegExp(
  '(?:^|_)(?:' +
    [
      'step', 'page', 'version', 'build', 'line', 'floor', 'seat', 'item', 'items', 'quantity', 'count', 'total', 'sequence', 'seq',
      'attempt', 'retry', 'error', 'status', 'http', 'response', 'exit', 'reason', 'model', 'part', 'lot', 'batch', 'product',
      'sku', 'promo', 'coupon', 'discount', 'voucher', 'country', 'currency', 'language', 'lang', 'locale', 'region', 'area',
      'diagnosis', 'icd', 'cpt', 'procedure', 'drug', 'ndc', 'color', 'colour', 'type', 'event', 'plan', 'tier', 'room',
      'source', 'campaign', 'medium', 'content', 'term', 'ref', 'experiment', 'variant', 'flag', 'feature', 'test', 'slot',
      'dose', 'unit', 'week', 'day', 'month', 'year', 'hour', 'minute', 'second', 'min', 'max', 'index', 'position', 'rank',
      'score', 'level', 'star', 'rating', 'phone', 'fax', 'zip', 'postal', 'post',
    ].join('|') +
    ')(?:_|$)',
);
const USERNAME_KEY = /(?:^|_)(?:username|user_name|login|login_name|handle|user_login)$/;

/** At least 4 digits, or a code mixing letters and digits (`SS11-274845`, `4Y4LQ-LV9A5-5K79Q`). */
function idLike(token: string): boolean {
  if (token.length < 4 || token.length > 64) return false;
  if (/^\[[A-Z_]+\]$/.test(token)) return false; // already a marker
  if (hasDigits(token, 4)) return true;
  return token.length >= 5 && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(token) && /\d/.test(token) && /[A-Za-z]/.test(token);
}

function trimmedSpan(value: string): Span | undefined {
  const start = value.search(/\S/);
  if (start < 0) return undefined;
  let end = value.length;
  while (end > start && /\s/.test(value[end - 1]!)) end--;
  return { start, end, kind: 'other' };
}

/** `user=jdoe`, `subscriber: MA565…`, `"patient":"p-1"` inside log-like text. */
const LOG_PAIR = /\b(user(?:name)?|login|uid|subscriber|member(?:_?id)?|patient(?:_?id)?|pt|account|acct|guarantor|claim|rx|har|csn|fin|encounter|accession|mrn|dob|ssn)"?\s*[=:]\s*"?([^\s",;&)\]}]+(?: \d{2})?)/gi;
/**
 * A keyword and a number: `HAR 2898320842`, `Guarantor #40556705`, `claim no. CLM-9610-2FW67`.
 * Each `\s*` belongs to the item before it: written `\s*(?:#|no)?\s*[:#]?\s*`, three blank runs
 * could share one run of white space in O(n²) ways, and "claim" + 1,600 spaces + "!" took 1.5 s
 * (cubic: 262,144 spaces would take years). Same language, same first match (test/detectors/redos.test.ts).
 */
export const KEYWORD_NUMBER = /\b(HAR|CSN|FIN|guarantor|claim|accession|rx|prescription|encounter|confirmation|case)\b\s*(?:(?:#|no\.?|number|num\.?)\s*)?(?:[:#]\s*)?([A-Za-z0-9][A-Za-z0-9-]{3,40})\b/gi;

/** First two characters of the two patterns' keywords (both start at `\b`), for the engine's gate. */
const LOG_PAIR_STARTS = wordStartSet([
  'user', 'username', 'login', 'uid', 'subscriber', 'member', 'patient', 'pt', 'account', 'acct', 'guarantor', 'claim',
  'rx', 'har', 'csn', 'fin', 'encounter', 'accession', 'mrn', 'dob', 'ssn',
]);
const KEYWORD_NUMBER_STARTS = wordStartSet(['har', 'csn', 'fin', 'guarantor', 'claim', 'accession', 'rx', 'prescription', 'encounter', 'confirmation', 'case']);

function findInText(value: string, f: StringFeatures | undefined): Span[] {
  const spans: Span[] = [];
  for (const re of [LOG_PAIR, KEYWORD_NUMBER]) {
    // Each pattern only where its keywords can start (with features from the engine), as in the gate.
    const possible = f === undefined || (re === LOG_PAIR
      ? f.has(F_EQUALS | F_COLON) && f.hasWordStart(LOG_PAIR_STARTS)
      : f.digits > 0 && f.hasWordStart(KEYWORD_NUMBER_STARTS));
    re.lastIndex = possible ? 0 : value.length;
    let m: RegExpExecArray | null;
    while ((m = re.exec(value)) !== null) {
      const token = m[2]!;
      const isUserKey = /^(?:user(?:name)?|login|uid)$/i.test(m[1]!);
      if (!(isUserKey ? token.length >= 3 && !/^\[[A-Z_]+\]$/.test(token) : idLike(token.replace(/ /g, '')))) continue;
      const start = m.index + m[0].length - token.length;
      spans.push({ start, end: start + token.length, kind: 'other' });
    }
  }
  return mergeSpans(spans);
}

const keyNamesIdentifier = memoizeByKey(function keyNamesIdentifier(key: string): 'id' | 'username' | undefined {
  if (key === '') return undefined;
  if (USERNAME_KEY.test(key)) return 'username';
  if (ID_KEY.test(key) || (GENERIC_ID_KEY.test(key) && !NOT_ID_KEY.test(key))) return 'id';
  return undefined;
});

export const identifierDetector: DetectorFactory = () => ({
  id: 'identifier',
  letter: 'R',
  kind: 'other',
  marker: '[ID]',
  prefilter(value: string, ctx: DetectContext) {
    return keyNamesIdentifier(ctx.key) !== undefined || value.includes('=') || value.includes(':') || hasDigits(value, 4);
  },
  gate(_value: string, ctx: DetectContext, f: StringFeatures) {
    if (keyNamesIdentifier(ctx.key) !== undefined) return true;
    if (f.digits < 4 && !f.has(F_EQUALS | F_COLON)) return false;
    // LOG_PAIR needs its keyword and `=`/`:`; KEYWORD_NUMBER its keyword and a digit.
    return (f.has(F_EQUALS | F_COLON) && f.hasWordStart(LOG_PAIR_STARTS)) ||
      (f.digits > 0 && f.hasWordStart(KEYWORD_NUMBER_STARTS));
  },
  find(value: string, ctx: DetectContext, f?: StringFeatures) {
    const keyKind = keyNamesIdentifier(ctx.key);
    if (keyKind !== undefined) {
      const whole = trimmedSpan(value);
      const text = whole ? value.slice(whole.start, whole.end) : '';
      if (whole && (keyKind === 'username' ? text.length >= 2 && !/\s/.test(text) : idLike(text.replace(/[\s]/g, '')) && text.length <= 64)) {
        return [whole];
      }
    }
    return findInText(value, f);
  },
});
