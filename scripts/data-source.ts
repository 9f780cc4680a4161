import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { typeormOptions } from '../src/typeorm-options';

/** For the TypeORM CLI: `npm run migration:generate` (DATABASE_URL naming a scratch database) and `migration:revert`. */
export default new DataSource(typeormOptions(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/oncelink_dev'));
