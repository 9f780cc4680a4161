import { createHash, randomBytes } from 'node:crypto';

const PATTERN = /^[A-Za-z0-9_-]{24}$/;

/** 144 random bits, base64url: the link is the capability, so it is stored only as a hash. */
export function generateLinkToken(): string {
  return randomBytes(18).toString('base64url');
}

export function isWellFormedLinkToken(token: string): boolean {
  return PATTERN.test(token);
}

export function hashLinkToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function linkTokenPrefix(token: string): string {
  return token.slice(0, 4);
}
