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

/**
 * `status = 'active'` for a statement that finds its secret by id or link token. In the "C"
 * collation (equality is the same in any deterministic one) PostgreSQL cannot prove from it the
 * partial indexes' own `status = 'active'`, so it never takes one of them for such a statement:
 * statistics gathered while those indexes held few active rows make a whole walk of one look
 * free, and the statement would then read every active secret to find its own (11 ms a reveal
 * at 50,000; test/point-statement-plans.e2e-spec.ts).
 */
export const activeRow = (column = 'status') => `${column} = 'active' COLLATE "C"`;
