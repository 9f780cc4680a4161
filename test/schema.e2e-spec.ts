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
});
