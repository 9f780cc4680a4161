import { DataSourceOptions } from 'typeorm';
import { migrations } from '../../../migrations';
import { entities } from './entities';

/** One definition of the connection, used by the app, the CLI scripts and the test harness. */
export function typeormOptions(databaseUrl: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities,
    migrations,
    migrationsRun: true,
    migrationsTransactionMode: 'each',
    synchronize: false,
    installExtensions: false,
    logging: false,
    extra: {
      max: poolSize,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      application_name: 'oncelink',
    },
  };
}
