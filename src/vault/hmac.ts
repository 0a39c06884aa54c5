/**
 * Keyed-hash pseudonyms for expert-determination deployments: stateless and identical across
 * replicas that share the key. Not allowed under Safe Harbor (a value derived from an identifier).
 * The key id is written into every pseudonym so a rotated key produces visibly different ids.
 */
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import { KeyError } from '../errors';
import { shapedSurrogate } from './shape';
import type { Pseudonymizer } from './types';

export const MIN_KEY_LENGTH = 32;

export class HmacPseudonymizer implements Pseudonymizer {
  readonly size = -1;
  private readonly key: Buffer;
  private readonly keyId: string;

  constructor(key: Buffer, keyId: string) {
    if (key.length < MIN_KEY_LENGTH) throw new KeyError(`HMAC key must be at least ${MIN_KEY_LENGTH} bytes`);
    this.key = key;
    this.keyId = keyId;
  }

  /** Stateless: a pseudonym of this key's shape (`k1_` + 20 base64url chars) counts as issued. */
  isIssued(value: string): boolean {
    return value.length === this.keyId.length + 21 && value.startsWith(`${this.keyId}_`) && /^[A-Za-z0-9_-]{20}$/.test(value.slice(this.keyId.length + 1));
  }

  pseudonym(namespace: string, value: string): string {
    const digest = createHmac('sha256', this.key).update(namespace).update('\u0000').update(value).digest();
    return shapedSurrogate(value, digest, `${this.keyId}_`);
  }
}

/** Reads the key from an environment variable or a file; the YAML only names where it is. */
export function readHmacKey(source: { keyEnv?: string; keyFile?: string }, env = process.env): Buffer {
  if (source.keyFile !== undefined) {
    try {
      return Buffer.from(fs.readFileSync(source.keyFile, 'utf8').trim(), 'utf8');
    } catch (err) {
      throw new KeyError(`cannot read HMAC key file ${source.keyFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const name = source.keyEnv ?? 'PHI_PROXY_HMAC_KEY';
  const value = env[name];
  if (value === undefined || value === '') throw new KeyError(`HMAC key environment variable ${name} is not set`);
  return Buffer.from(value, 'utf8');
}
