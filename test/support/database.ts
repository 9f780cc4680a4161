import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource, MigrationInterface } from 'typeorm';
import { startEmbeddedDatabase } from '../../src/common/database/embedded-database';
import { eventually } from './eventually';

/**
 * Every test database of this checkout starts so: a run in another checkout (CI's clone, a
 * second worktree) on the same server neither clones this one's template nor drops its databases.
 */
export const TEST_DATABASE_PREFIX = `oncelink_t_${createHash('sha256').update(__dirname).digest('hex').slice(0, 8)}_`;
export const TEMPLATE_DATABASE = `${TEST_DATABASE_PREFIX}template`;

export interface TestDatabase {
  url: string;
  /** Superuser access to the same server, to stop or inspect the database under a running app. */
  adminUrl?: string;
  name: string;
  /** PGlite takes one connection per app (see src/main.ts). */
  embedded: boolean;
  drop(): Promise<void>;
}

export function databaseMode(): 'postgresql' | 'embedded' {
  return process.env.TEST_DATABASE_URL ? 'postgresql' : 'embedded';
}

export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

export async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database for one spec file: a clone of the migrated template on PostgreSQL
 * (as immich does), or a new in-memory PGlite served on its own port. `empty`: no migration run
 * on PostgreSQL either (a spec that migrates it as an older build would).
 */
export async function createTestDatabase({ empty = false } = {}): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const embedded = await startEmbeddedDatabase();
    return { url: embedded.url, name: 'postgres', embedded: true, drop: () => embedded.stop() };
  }
  const name = `${TEST_DATABASE_PREFIX}${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE "${name}"${empty ? '' : ` TEMPLATE "${TEMPLATE_DATABASE}"`}`);
  return {
    url: withDatabase(serverUrl, name),
    adminUrl: serverUrl,
    name,
    embedded: false,
    drop: () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** The whole database as text: pg_dump on a server, every row of every table on PGlite. */
export async function dumpDatabase(db: TestDatabase): Promise<string> {
  if (db.adminUrl) return execFileSync('pg_dump', ['--no-owner', db.url], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    const tables = await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
    let dump = '';
    for (const { tablename } of tables.rows) {
      const rows = await client.query(`SELECT t::text AS line FROM "${tablename}" t`);
      dump += rows.rows.map((row) => row.line).join('\n');
    }
    return dump;
  } finally {
    await client.end();
  }
}

/**
 * Whether, within 10 s, at least `count` sessions of the watcher's database wait on a lock: a
 * spec holding a row with a transaction of its own knows its request has reached it.
 */
export function waitingOnLocks(watcher: Client, count = 1): Promise<boolean> {
  return eventually(async () => {
    const { rows } = await watcher.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    return rows[0].n >= count;
  }, 10);
}

/** Runs each migration's `up`, in order, on one connection: a migration's spec replays it over rows as an earlier build left them. */
export async function runUp(dataSource: DataSource, ...migrations: MigrationInterface[]): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    for (const migration of migrations) await migration.up(runner);
  } finally {
    await runner.release();
  }
}
