import 'reflect-metadata';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { typeormOptions } from '../../src/typeorm-options';
import { adminQuery, databaseMode, TEMPLATE_DATABASE, TEST_DATABASE_PREFIX, withDatabase } from './database';

/** Says which database the suite runs on and, on PostgreSQL, migrates the template each spec clones. */
export default async function globalSetup(): Promise<void> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (databaseMode() === 'embedded' || !serverUrl) {
    process.stdout.write('\nTests run on embedded PostgreSQL (PGlite); set TEST_DATABASE_URL to use a server.\n');
    return;
  }
  process.stdout.write(`\nTests run on PostgreSQL at ${new URL(serverUrl).host} (TEST_DATABASE_URL).\n`);

  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  // Left by an earlier run of this checkout that was killed: its template may predate a migration.
  const stale = await client.query(`SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, [TEST_DATABASE_PREFIX]);
  await client.end();
  for (const { datname } of stale.rows) {
    await adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  }
  await adminQuery(serverUrl, `CREATE DATABASE "${TEMPLATE_DATABASE}"`);
  const dataSource = new DataSource(typeormOptions(withDatabase(serverUrl, TEMPLATE_DATABASE)));
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  await dataSource.destroy();
}
