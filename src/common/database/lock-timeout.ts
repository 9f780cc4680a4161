import type { EntityManager } from 'typeorm';
import { pgErrorOf } from './pg-error';

/**
 * Bounds each lock the transaction waits for to `ms` from now until it ends. Below PostgreSQL's
 * deadlock_timeout (1 s by default), so in a deadlock with a transaction that waits unbounded,
 * this one is told first (lock_not_available) and can give way, rather than the other one failing.
 */
export async function boundLockWaits(manager: EntityManager, ms: number): Promise<void> {
  await manager.query(`SELECT set_config('lock_timeout', $1, true)`, [`${ms}ms`]);
}

/** PostgreSQL's lock_not_available: a bounded lock wait ran out. */
export function isLockTimeout(error: unknown): boolean {
  return pgErrorOf(error)?.code === '55P03';
}
