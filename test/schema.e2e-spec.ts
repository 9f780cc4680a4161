import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { migrations } from '../migrations';
import { AddIdempotentCreates1795700000000 } from '../migrations/1795700000000-AddIdempotentCreates';
import { useTestApp } from './support/test-app';

describe('migrations', () => {
  const t = useTestApp();

  it('leave nothing for the entities to change: entities and migrations agree', async () => {
    const pending = await t.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('have all run', async () => {
    expect(await t.dataSource.showMigrations()).toBe(false);
  });

  // The newest, down to AddIdempotentCreates, whose down drops its index CONCURRENTLY: each revert is an npm run of its own.
  const reverts = migrations.length - migrations.indexOf(AddIdempotentCreates1795700000000);
  it(
    'revert one at a time with npm run migration:revert, an index dropped CONCURRENTLY included, and run again',
    async () => {
      const revert = () =>
        promisify(execFile)('npm', ['run', '--silent', 'migration:revert'], {
          cwd: join(__dirname, '..'),
          env: { PATH: process.env.PATH ?? '', DATABASE_URL: t.db.url },
        });
      for (let i = 0; i < reverts; i++) await revert();
      const index = `SELECT 1 FROM pg_indexes WHERE indexname = 'secrets_idempotency_key'`;
      expect(await t.dataSource.query(index)).toEqual([]);
      await t.dataSource.runMigrations({ transaction: 'each' });
      expect(await t.dataSource.query(index)).toHaveLength(1);
      expect(await t.dataSource.showMigrations()).toBe(false);
    },
    20_000 + reverts * 10_000,
  );
});
