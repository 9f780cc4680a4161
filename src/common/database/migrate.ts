import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, MigrationExecutor, QueryRunner } from 'typeorm';
import type { ListenedClient } from './listened-client';

const LOCK = `hashtextextended('oncelink:migrations', 0)`;

/**
 * Runs the pending migrations holding a session advisory lock, on the one connection that runs
 * them, so instances starting together on a fresh database migrate it once: the others wait,
 * then find nothing pending. Without it they raced (duplicate types, a migration recorded twice).
 * The others poll for the lock rather than wait in pg_advisory_lock: a statement waiting there
 * is a transaction that the holder's CREATE INDEX CONCURRENTLY waits out in turn, a deadlock
 * PostgreSQL ends by cancelling one side, which can be the index build (leaving it INVALID).
 * Its connection is exempt from the query timeout: an index build on a large table may rightly
 * run longer, and the poll waits between statements, not in one.
 */
export async function migrateUnderLock(dataSource: DataSource): Promise<DataSource> {
  const runner = dataSource.createQueryRunner();
  let client: ListenedClient;
  try {
    client = (await runner.connect()) as ListenedClient;
    client.unbounded = true;
    while (!(await tryLock(runner))) await sleep(200);
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'each';
    await executor.executePendingMigrations();
    await runner.query(`SELECT pg_advisory_unlock(${LOCK})`);
  } catch (error) {
    await runner.release();
    await dataSource.destroy();
    throw error;
  }
  client.unbounded = false;
  await runner.release();
  return dataSource;
}

async function tryLock(runner: QueryRunner): Promise<boolean> {
  const rows = (await runner.query(`SELECT pg_try_advisory_lock(${LOCK}) AS locked`)) as { locked: boolean }[];
  return rows[0].locked;
}
