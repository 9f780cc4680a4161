import type { Secret } from './secret.entity';

export const SECRET_STATUSES = ['active', 'burned', 'expired', 'deleted'] as const;
export type SecretStatus = (typeof SECRET_STATUSES)[number];

/** An active row past its expiry is expired even before the purge has rewritten it. */
export function statusOf(secret: Pick<Secret, 'status' | 'expiresAt'>, now = Date.now()): SecretStatus {
  return secret.status === 'active' && secret.expiresAt.getTime() <= now ? 'expired' : secret.status;
}

/** SQL for the same rule, over a table aliased `s`. */
export const STATUS_SQL: Record<SecretStatus, string> = {
  active: `s.status = 'active' AND s.expires_at > now()`,
  burned: `s.status = 'burned'`,
  expired: `(s.status = 'expired' OR (s.status = 'active' AND s.expires_at <= now()))`,
  deleted: `s.status = 'deleted'`,
};
