import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { typeormOptions } from '../src/typeorm-options';

const databaseUrl = process.env.DATABASE_URL;
// No default: a guessed local database is not one to revert (or generate against) by accident.
if (!databaseUrl) throw new Error('DATABASE_URL is required (the database to revert, or a scratch one for migration:generate)');

/** For the TypeORM CLI: `npm run migration:generate` (DATABASE_URL naming a scratch database) and `migration:revert`. */
export default new DataSource(typeormOptions(databaseUrl));
