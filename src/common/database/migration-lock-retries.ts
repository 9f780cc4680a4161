import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import type { MigrationExecutor, QueryRunner } from 'typeorm';
import { oldestTableLockHolder } from './lock-holder';
import { isLockTimeout } from './lock-timeout';

/** How long a migration's statement may wait for a lock, and how often it is tried. */
export interface LockRetries {
  lockTimeoutMs: number;
  tries: number;
  /** The pause after the first try that ran out of time; each later one is twice the one before. */
  firstPauseMs: number;
}

/** Six tries of 3 s over about 50 s: what strong_migrations and GitLab's with_lock_retries do, in short. */
export const LOCK_RETRIES: LockRetries = { lockTimeoutMs: 3000, tries: 6, firstPauseMs: 1000 };

/** The migrations could not take a lock they need within their tries; the start fails on it. */
export class MigrationLockUnavailable extends Error {}

/**
 * Runs the pending migrations with every lock wait bounded by `lock_timeout`. A statement queued
 * for a strong lock (ALTER TABLE) holds up every later one on its table, reads included, for as
 * long as it waits: behind a long holder, unbounded, that stalls live traffic. Bounded, it gives
 * way; its migration's transaction rolls back (one without a transaction starts again from the
 * top, as after a crash) and the pending migrations run again after a pause, up to `tries` times.
 * Concurrent index builds lift the bound (migrations/concurrent-index.ts).
 */
export async function migrateWithLockRetries(runner: QueryRunner, executor: MigrationExecutor, retries: LockRetries): Promise<void> {
  await runner.query(`SELECT set_config('lock_timeout', $1, false)`, [`${retries.lockTimeoutMs}ms`]);
  for (let tried = 1; ; tried++) {
    try {
      await executor.executePendingMigrations();
      break;
    } catch (error) {
      if (!isLockTimeout(error)) throw error;
      const waited = `${statementOf(error)} waited ${retries.lockTimeoutMs} ms for a lock (try ${tried} of ${retries.tries})`;
      const holder = `the oldest transaction holding a table lock is ${await oldestTableLockHolder(runner)}`;
      if (tried === retries.tries) throw new MigrationLockUnavailable(`Migrations gave up: ${waited}; ${holder}`);
      const pauseMs = retries.firstPauseMs * 2 ** (tried - 1);
      new Logger('Migrations').warn(`${waited}, trying again in ${pauseMs} ms; ${holder}`);
      await sleep(pauseMs);
    }
  }
  await runner.query('RESET lock_timeout');
}

/** The start of the statement that gave up (QueryFailedError keeps it), on one line. */
function statementOf(error: unknown): string {
  const query = (error as { query?: string }).query?.replace(/\s+/g, ' ');
  if (!query) return 'A statement';
  return query.length > 100 ? `${query.slice(0, 100)}…` : query;
}
