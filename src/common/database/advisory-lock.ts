import type { EntityManager } from 'typeorm';

/**
 * Holds a lock named `scope:id` until the transaction `manager` belongs to ends, so counts taken
 * under it (a cap checked before an insert) are not passed by parallel requests together.
 */
export async function lockUntilCommit(manager: EntityManager, scope: string, id: string): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || $2, 0))`, [scope, id]);
}
