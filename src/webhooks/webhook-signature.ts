import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';

/** 256 random bits in the Standard Webhooks format (`whsec_` + base64), so its libraries take it as is. */
export function generateWebhookSecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64')}`;
}

/**
 * The signature headers of one attempt, with one entry per signing secret (two for a day after
 * a rotation):
 * - `Oncelink-Signature: t=<unix>,v1=<hex>[,v1=<hex>]`: HMAC-SHA256 keyed with the secret string
 *   itself, over `<t>.<body>` (Stripe's scheme);
 * - `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>[ v1,<base64>]`: HMAC-SHA256
 *   keyed with the base64-decoded part after `whsec_`, over `<id>.<t>.<body>` (Standard Webhooks).
 */
export function signatureHeaders(secrets: string[], messageId: string, timestamp: number, body: string): Record<string, string> {
  const oncelink = secrets.map((secret) => `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`);
  const standard = secrets.map((secret) => {
    const key = Buffer.from(secret.slice(PREFIX.length), 'base64');
    return `v1,${createHmac('sha256', key).update(`${messageId}.${timestamp}.${body}`).digest('base64')}`;
  });
  return {
    'oncelink-signature': `t=${timestamp},${oncelink.join(',')}`,
    'webhook-id': messageId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': standard.join(' '),
  };
}
