/**
 * `generalize`: keep the coarse part of an identifier that Safe Harbor allows — ZIP3 (with the
 * restricted prefixes as 000), the year of a date, ages over 89 as one "90+" band, and an IP's
 * network prefix when the deployment asks for one. Returns undefined when the value cannot be
 * generalised; the caller then removes it (fail closed).
 */
import { ageOf } from '../detectors/age';
import { extractYear } from '../detectors/date';
import { truncateIp } from '../detectors/ip';
import { zip3 } from '../detectors/zip';
import type { IdentifierKind } from '../detectors/types';

export const AGE_BAND = '90+';

export interface GeneralizeOptions {
  readonly ipv4Prefix?: number;
  readonly ipv6Prefix?: number;
  /** The year used to decide whether a birth year reveals an age over 89. */
  readonly currentYear: number;
}

export type GeneralizeAs = 'zip' | 'date' | 'birth_year' | 'age' | 'ip';

/** Years at or before this cutoff reveal an age over 89 when they are a birth year. */
function oldestRevealingYear(options: GeneralizeOptions): number {
  return options.currentYear - 90;
}

export function generalizeText(as: GeneralizeAs | IdentifierKind, text: string, options: GeneralizeOptions): string | undefined {
  switch (as) {
    case 'zip':
      return zip3(text.trim());
    case 'date': {
      const year = extractYear(text);
      if (year === undefined) return undefined;
      return year <= oldestRevealingYear(options) ? AGE_BAND : String(year);
    }
    case 'birth_year': {
      const trimmed = text.trim();
      const year = /^\d{4}$/.test(trimmed) ? Number(trimmed) : extractYear(trimmed);
      if (year === undefined) return undefined;
      return year <= oldestRevealingYear(options) ? AGE_BAND : String(year);
    }
    case 'age': {
      const age = ageOf(text);
      if (age === undefined) return undefined;
      return age > 89 ? AGE_BAND : text;
    }
    case 'ip':
      if (options.ipv4Prefix === undefined && options.ipv6Prefix === undefined) return undefined;
      return truncateIp(text.trim(), options.ipv4Prefix ?? 0, options.ipv6Prefix ?? 0);
    default:
      return undefined;
  }
}

/**
 * Numbers under a generalising field: ages stay numbers below 90, ZIPs lost their leading zero
 * to JSON, dates may be epoch seconds or milliseconds.
 */
export function generalizeNumber(as: GeneralizeAs | undefined, value: number, options: GeneralizeOptions): number | string | undefined {
  if (!Number.isFinite(value)) return undefined;
  switch (as) {
    case 'age':
      return value > 89 ? AGE_BAND : value;
    case 'birth_year':
      return Number.isInteger(value) && value > 1000 && value < 3000
        ? (value <= oldestRevealingYear(options) ? AGE_BAND : value)
        : undefined;
    case 'zip':
      return Number.isInteger(value) && value >= 0 && value <= 99999 ? zip3(String(value).padStart(5, '0')) : undefined;
    case 'date': {
      const ms = Math.abs(value) < 1e11 ? value * 1000 : value;
      const year = new Date(ms).getUTCFullYear();
      if (!Number.isFinite(year)) return undefined;
      return year <= oldestRevealingYear(options) ? AGE_BAND : year;
    }
    default:
      return undefined;
  }
}
