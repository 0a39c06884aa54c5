import fc from 'fast-check';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { TokenVault } from '../../src/vault/token-vault';
import { tempDir } from '../helpers';

const run = promisify(execFile);
const DIST_VAULT = path.resolve(__dirname, '../../dist/vault/token-vault.js');

describe('TokenVault', () => {
  it('issues random tokens: same input same token, and not derived from the input', () => {
    const a = new TokenVault();
    const b = new TokenVault();
    const t = a.pseudonym('id', 'patient-1');
    expect(t).toMatch(/^tok_[A-Za-z0-9_-]{20}$/);
    expect(a.pseudonym('id', 'patient-1')).toBe(t);
    expect(a.pseudonym('other', 'patient-1')).not.toBe(t);
    // Two vaults never agree by construction: the token carries no information about the value.
    expect(b.pseudonym('id', 'patient-1')).not.toBe(t);
  });

  it('persists across restarts in an owner-only file', () => {
    const file = path.join(tempDir(), 'data', 'vault.jsonl');
    const first = new TokenVault(file);
    const token = first.pseudonym('id', 'patient-1');
    first.close();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const second = new TokenVault(file);
    expect(second.pseudonym('id', 'patient-1')).toBe(token);
    expect(second.size).toBe(1);
    second.close();
  });

  it('tightens the permissions of an existing vault file', () => {
    const file = path.join(tempDir(), 'vault.jsonl');
    fs.writeFileSync(file, '', { mode: 0o644 });
    new TokenVault(file).close();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('ignores a torn last line left by a crash', () => {
    const file = path.join(tempDir(), 'vault.jsonl');
    fs.writeFileSync(file, '["id","a","tok_AAAAAAAAAAAAAAAAAAAA"]\n["id","b","tok_BB', { mode: 0o600 });
    const vault = new TokenVault(file);
    expect(vault.pseudonym('id', 'a')).toBe('tok_AAAAAAAAAAAAAAAAAAAA');
    expect(vault.size).toBe(1);
    vault.close();
  });

  it('reads a vault file larger than its read chunk, with a character cut at the chunk boundary', () => {
    const file = path.join(tempDir(), 'vault.jsonl');
    // `["id","` is 7 bytes, so this line's '€' (3 bytes in UTF-8) starts at byte 65,535 and
    // straddles the first 64 KB chunk; the line itself spans two chunks.
    const long = 'x'.repeat(65_535 - 7) + '€ Zoë';
    const lines = [JSON.stringify(['id', long, 'tok_long'])];
    for (let i = 0; i < 3000; i++) lines.push(JSON.stringify(['id', `Zoë-${i}-€`, `tok_${i}`]));
    fs.writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
    const vault = new TokenVault(file);
    expect(vault.size).toBe(3001);
    expect(vault.pseudonym('id', long)).toBe('tok_long');
    expect(vault.pseudonym('id', 'Zoë-2999-€')).toBe('tok_2999');
    // A line appended by another process after opening is found before issuing a new token.
    fs.appendFileSync(file, JSON.stringify(['id', 'from-elsewhere', 'tok_theirs']) + '\n');
    expect(vault.pseudonym('id', 'from-elsewhere')).toBe('tok_theirs');
    vault.close();
  });

  it('agrees on one token per identifier when several processes race on one file', async () => {
    const file = path.join(tempDir(), 'vault.jsonl');
    const script = `
      const { TokenVault } = require(${JSON.stringify(DIST_VAULT)});
      const v = new TokenVault(${JSON.stringify(file)});
      const out = {};
      for (let i = 0; i < 200; i++) out['p' + i] = v.pseudonym('id', 'patient-' + i);
      process.stdout.write(JSON.stringify(out));`;
    const results = await Promise.all([1, 2, 3, 4].map(() => run(process.execPath, ['-e', script])));
    const maps = results.map((r) => JSON.parse(r.stdout) as Record<string, string>);
    for (const m of maps.slice(1)) expect(m).toEqual(maps[0]);
    const reread = new TokenVault(file);
    expect(reread.size).toBe(200);
    expect(reread.pseudonym('id', 'patient-7')).toBe(maps[0]!.p7);
    reread.close();
  }, 60_000);
});

describe('surrogate shapes', () => {
  const { shapedSurrogate } = require('../../src/vault/shape');
  it('replaces a UUIDv7 by a UUIDv7 with the same timestamp and new random bits', () => {
    const v7 = '019a839e-5931-7b26-a3ea-b3f008cfb8df';
    const vault = new TokenVault();
    const s = vault.pseudonym('id', v7);
    expect(s).toMatch(/^019a839e-5931-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(s.slice(14)).not.toBe(v7.slice(14));
    expect(vault.pseudonym('id', v7)).toBe(s);
  });
  it('replaces any other UUID by a random UUIDv4, and other values by tok_ tokens', () => {
    expect(shapedSurrogate('550e8400-e29b-41d4-a716-446655440000', Buffer.alloc(16, 0xff))).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
    expect(shapedSurrogate('patient-1', Buffer.alloc(16, 0))).toBe('tok_AAAAAAAAAAAAAAAAAAAA');
    expect(shapedSurrogate('3a8ff93019bdfae2', Buffer.alloc(16, 0xab))).toBe('abababababababab');
  });

  /** The first implementation (regexes and Buffer slices), kept as the oracle for the fast one. */
  function referenceSurrogate(value: string, bytes: Buffer, prefix = 'tok_'): string {
    if (/^[0-9a-fA-F]{16}$/.test(value)) return bytes.subarray(0, 8).toString('hex');
    const uuid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-([0-9a-fA-F])[0-9a-fA-F]{3}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.exec(value);
    if (uuid === null) return prefix + bytes.subarray(0, 15).toString('base64url');
    const out = Buffer.from(bytes.subarray(0, 16));
    const v7 = uuid[1] === '7';
    if (v7) Buffer.from(value.replace(/-/g, '').slice(0, 12), 'hex').copy(out, 0);
    out[6] = (out[6]! & 0x0f) | (v7 ? 0x70 : 0x40);
    out[8] = (out[8]! & 0x3f) | 0x80;
    const hex = out.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  it('builds exactly what the reference implementation builds, for UUIDs, near-UUIDs, hex ids and anything else', () => {
    const hexChar = fc.constantFrom(...'0123456789abcdefABCDEF');
    const hex = (n: number) => fc.string({ unit: hexChar, minLength: n, maxLength: n });
    const uuid = fc.tuple(hex(8), hex(4), fc.constantFrom('1', '4', '7', '8', 'f', 'F'), hex(3), hex(4), hex(12)).map(([a, b, v, c, d, e]) => `${a}-${b}-${v}${c}-${d}-${e}`);
    // One character changed: a wrong separator, a non-hex digit, a non-ASCII character.
    const nearUuid = fc.tuple(uuid, fc.nat(35), fc.constantFrom('-', 'g', 'G', ' ', '\u0660', '\u00e9', '\u00b1', '0')).map(([u, i, c]) => u.slice(0, i) + c + u.slice(i + 1));
    const value = fc.oneof(uuid, nearUuid, uuid.map((u) => u + '0'), uuid.map((u) => u.slice(1)), hex(16), hex(15), hex(17), fc.string({ maxLength: 40 }));
    const bytes = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b));
    fc.assert(
      fc.property(value, bytes, fc.constantFrom(undefined, 'k1_'), (v, b, prefix) => {
        expect(shapedSurrogate(v, b, prefix)).toBe(referenceSurrogate(v, b, prefix));
      }),
      { numRuns: 5000 },
    );
  });
});
