/**
 * Surrogates in the shape of what they replace, so the vendor's own logic keeps working:
 * PostHog expects UUIDs for device, session and anonymous ids, and reads the session start from
 * a UUIDv7's timestamp. A UUIDv7 surrogate therefore keeps the original's 48-bit millisecond
 * timestamp (when the id was minted: operational time, like an event timestamp) and gets 74
 * random (or keyed) bits; any other UUID becomes a UUIDv4. A 16-hex-digit visitor id (Matomo
 * `_id`/`cid`, which Matomo refuses in any other shape) becomes 16 random hex digits.
 * Everything else becomes `tok_…`.
 */
const HEX16 = /^[0-9a-fA-F]{16}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-([0-9a-fA-F])[0-9a-fA-F]{3}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const TOKEN_PREFIX = 'tok_';

/** Builds the surrogate for `value` from 16 random (vault) or keyed (HMAC) bytes. */
export function shapedSurrogate(value: string, bytes: Buffer, prefix = TOKEN_PREFIX): string {
  if (HEX16.test(value)) return bytes.subarray(0, 8).toString('hex');
  const uuid = UUID.exec(value);
  if (uuid === null) return prefix + bytes.subarray(0, 15).toString('base64url');
  const out = Buffer.from(bytes.subarray(0, 16));
  const v7 = uuid[1] === '7';
  if (v7) Buffer.from(value.replace(/-/g, '').slice(0, 12), 'hex').copy(out, 0);
  out[6] = (out[6]! & 0x0f) | (v7 ? 0x70 : 0x40);
  out[8] = (out[8]! & 0x3f) | 0x80;
  const hex = out.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
