import type { EntityManager } from 'typeorm';

/**
 * Runs an UPDATE/DELETE … RETURNING and gives back its rows. (TypeORM's postgres driver answers
 * `[rows, rowCount]` for those commands and plain rows for the others.)
 */
export async function updateReturning<T>(manager: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const result: [T[], number] = await manager.query(sql, params);
  return result[0];
}
