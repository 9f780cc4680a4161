import { DataSource, MigrationExecutor } from 'typeorm';

/**
 * Runs the pending migrations holding a session advisory lock, on the one connection that runs
 * them, so instances starting together on a fresh database migrate it once: the others wait,
 * then find nothing pending. Without it they raced (duplicate types, a migration recorded twice).
 */
export async function migrateUnderLock(dataSource: DataSource): Promise<DataSource> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query(`SELECT pg_advisory_lock(hashtextextended('oncelink:migrations', 0))`);
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'each';
    await executor.executePendingMigrations();
    await runner.query(`SELECT pg_advisory_unlock(hashtextextended('oncelink:migrations', 0))`);
  } catch (error) {
    await runner.release();
    await dataSource.destroy();
    throw error;
  }
  await runner.release();
  return dataSource;
}
