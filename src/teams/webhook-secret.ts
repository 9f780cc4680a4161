import { randomBytes } from 'node:crypto';

/** 256 random bits, prefixed like Stripe's signing secrets so it is recognisable in a leak. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
