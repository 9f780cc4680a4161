import { createHash, randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const TOKEN_MODES = ['live', 'test'] as const;
export type TokenMode = (typeof TOKEN_MODES)[number];

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 32; // 32 base62 characters: log2(62) * 32 ≈ 190 random bits
const CHECKSUM_LENGTH = 6;
const PATTERN = /^olk_(live|test)_([0-9A-Za-z]{32})([0-9A-Za-z]{6})$/;

function base62(value: number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/** The last 6 characters of a token made of `prefixAndBody` (README, Tokens, spells it out for secret scanners). */
export function checksum(prefixAndBody: string): string {
  return base62(crc32(prefixAndBody), CHECKSUM_LENGTH);
}

/**
 * `olk_<mode>_<32 random base62><6 base62 CRC32>`, as GitHub's tokens: the prefix lets secret
 * scanners spot a leak, the checksum lets us refuse a mistyped or forged token without a query.
 */
export function generatePat(mode: TokenMode): string {
  let body = '';
  for (let i = 0; i < BODY_LENGTH; i++) body += ALPHABET[randomInt(62)];
  const head = `olk_${mode}_${body}`;
  return head + checksum(head);
}

export function isWellFormedPat(token: string): boolean {
  const match = PATTERN.exec(token);
  return match !== null && checksum(`olk_${match[1]}_${match[2]}`) === match[3];
}

export function hashPat(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** What lists show: enough to recognise a token, far too little to use it. */
export function patDisplayPrefix(token: string): string {
  return token.slice(0, 'olk_live_'.length + 4);
}
