import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checksum, generatePat, hashPat, isWellFormedPat, patDisplayPrefix } from '../src/auth/pat';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `token` with the character at `index` replaced by the next one in the base62 alphabet. */
function changeOneCharacter(token: string, index: number): string {
  const next = BASE62[(BASE62.indexOf(token[index]) + 1) % BASE62.length];
  return token.slice(0, index) + next + token.slice(index + 1);
}

describe('generatePat', () => {
  it('makes olk_<mode>_ followed by 32 base62 characters and a 6-character checksum', () => {
    expect(generatePat('live')).toMatch(/^olk_live_[0-9A-Za-z]{38}$/);
    expect(generatePat('test')).toMatch(/^olk_test_[0-9A-Za-z]{38}$/);
  });

  it('makes a different token every time', () => {
    const tokens = new Set(Array.from({ length: 200 }, () => generatePat('live')));
    expect(tokens.size).toBe(200);
  });
});

describe('isWellFormedPat', () => {
  it('accepts every token generatePat makes, live or test', () => {
    for (let i = 0; i < 50; i++) {
      expect(isWellFormedPat(generatePat('live'))).toBe(true);
      expect(isWellFormedPat(generatePat('test'))).toBe(true);
    }
  });

  it('refuses a token whose checksum does not match after any one character of it changed', () => {
    const token = generatePat('live');
    for (let index = 'olk_live_'.length; index < token.length; index++) {
      expect(isWellFormedPat(changeOneCharacter(token, index))).toBe(false);
    }
  });

  it('refuses a token moved to the other mode, because the checksum covers the prefix', () => {
    const live = generatePat('live');
    const test = generatePat('test');
    expect(isWellFormedPat(live.replace('olk_live_', 'olk_test_'))).toBe(false);
    expect(isWellFormedPat(test.replace('olk_test_', 'olk_live_'))).toBe(false);
  });

  it('refuses strings of the wrong shape', () => {
    const token = generatePat('live');
    for (const malformed of [
      '',
      'olk_live_',
      token.slice(0, -1),
      `${token}A`,
      `x${token}`,
      token.replace('olk_', 'ghp_'),
      token.toUpperCase(),
    ]) {
      expect(isWellFormedPat(malformed)).toBe(false);
    }
  });
});

describe('checksum', () => {
  // What README's Tokens paragraph tells secret scanners, read from it so the two cannot drift.
  const tokens = readFileSync(join(__dirname, '..', 'README.md'), 'utf8').replace(/\s+/g, ' ');
  const vector = /Test vector: the body `(\w+)` has CRC-32 `(\d+)` \(`0x([0-9a-f]+)`\), checksum `(\w+)`, token `(\w+)`/.exec(tokens);
  const pattern = /A token matches `([^`]+)`/.exec(tokens);

  it('is computed as README’s test vector says', () => {
    expect(vector).not.toBeNull();
    const [, body, crc, crcHex, sum, token] = vector!;
    expect(Number(crc)).toBe(parseInt(crcHex, 16));
    expect(checksum(`olk_live_${body}`)).toBe(sum);
    expect(token).toBe(`olk_live_${body}${sum}`);
    expect(isWellFormedPat(token)).toBe(true);
  });

  it('is the CRC-32 written as README says: base 62 in 0-9A-Za-z, most significant first, padded to 6 with 0', () => {
    const [, body, crc, , sum] = vector!;
    let value = Number(crc);
    let digits = '';
    for (let digit = 0; digit < sum.length; digit++) {
      digits = BASE62[value % 62] + digits;
      value = Math.floor(value / 62);
    }
    expect(value).toBe(0);
    expect(checksum(`olk_live_${body}`)).toBe(digits);
  });

  it('makes tokens that README’s regular expression matches, and only those', () => {
    expect(pattern).not.toBeNull();
    const regex = new RegExp(pattern![1]);
    for (let i = 0; i < 20; i++) {
      expect(generatePat('live')).toMatch(regex);
      expect(generatePat('test')).toMatch(regex);
    }
    expect(regex.test(`${generatePat('live')}x`)).toBe(false);
  });
});

describe('hashPat', () => {
  it('is the SHA-256 digest of the whole token', () => {
    // The FIPS 180-2 test vector for "abc".
    expect(hashPat('abc').toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const token = generatePat('live');
    expect(hashPat(token)).toEqual(createHash('sha256').update(token).digest());
  });
});

describe('patDisplayPrefix', () => {
  it('shows the mode prefix and the first four characters of the body, nothing more', () => {
    const live = generatePat('live');
    const test = generatePat('test');
    expect(patDisplayPrefix(live)).toBe(live.slice(0, 13));
    expect(patDisplayPrefix(live)).toMatch(/^olk_live_[0-9A-Za-z]{4}$/);
    expect(patDisplayPrefix(test)).toMatch(/^olk_test_[0-9A-Za-z]{4}$/);
  });
});
