import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { DataSource, MigrationExecutor, QueryRunner } from 'typeorm';
import type { ListenedClient } from './listened-client';
import { advisoryLockHolder } from './lock-holder';
import { LOCK_RETRIES, LockRetries, migrateWithLockRetries } from './migration-lock-retries';

const LOCK = `hashtextextended('oncelink:migrations', 0)`;
/** How often an instance waiting for the lock says who holds it. */
const WAIT_REPORT_MS = 5000;

/**
 * Runs the pending migrations holding a session advisory lock, on the one connection that runs
 * them, so instances starting together on a fresh database migrate it once: the others wait,
 * then find nothing pending. Without it they raced (duplicate types, a migration recorded twice).
 * The others poll for the lock rather than wait in pg_advisory_lock: a statement waiting there
 * is a transaction that the holder's CREATE INDEX CONCURRENTLY waits out in turn, a deadlock
 * PostgreSQL ends by cancelling one side, which can be the index build (leaving it INVALID).
 * Its connection is exempt from the query timeout, the client's and the server's (statement_timeout,
 * restored before the connection goes back to the pool): an index build on a large table may
 * rightly run longer, and the poll waits between statements, not in one.
 * While it waits, it says every few seconds which session holds the lock: a long migration, or
 * a session left holding it, otherwise holds up every start in silence.
 * Each lock a migration waits for is bounded by `retries` (migration-lock-retries.ts).
 */
export async function migrateUnderLock(dataSource: DataSource, retries: LockRetries = LOCK_RETRIES): Promise<DataSource> {
  const runner = dataSource.createQueryRunner();
  let client: ListenedClient;
  try {
    client = (await runner.connect()) as ListenedClient;
    client.unbounded = true;
    await runner.query('SET statement_timeout = 0');
    let reported = Date.now();
    while (!(await tryLock(runner))) {
      if (Date.now() - reported >= WAIT_REPORT_MS) {
        await reportHolder(runner);
        reported = Date.now();
      }
      await sleep(200);
    }
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'each';
    const pending = await executor.getPendingMigrations();
    await migrateWithLockRetries(runner, executor, retries);
    // What an upgrade changed, at the level an operator reads; an instance that found nothing to do says nothing.
    if (pending.length > 0) new Logger('Migrations').log(`Ran ${plural(pending.length)}: ${pending.map(({ name }) => name).join(', ')}`);
    await runner.query(`SELECT pg_advisory_unlock(${LOCK})`);
    await runner.query(client.statementTimeout());
  } catch (error) {
    await runner.release();
    await dataSource.destroy();
    throw error;
  }
  client.unbounded = false;
  await runner.release();
  return dataSource;
}

const plural = (count: number) => (count === 1 ? '1 migration' : `${count} migrations`);

async function tryLock(runner: QueryRunner): Promise<boolean> {
  const rows = (await runner.query(`SELECT pg_try_advisory_lock(${LOCK}) AS locked`)) as { locked: boolean }[];
  return rows[0].locked;
}

async function reportHolder(runner: QueryRunner): Promise<void> {
  new Logger('Migrations').warn(`Waiting for the migration lock, held by ${await advisoryLockHolder(runner, LOCK)}`);
}
