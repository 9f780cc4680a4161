import { Global, Module } from '@nestjs/common';
import { Sql } from './sql.service';

/** The explicit-SQL helper every repository may use for its hot statements. */
@Global()
@Module({ providers: [Sql], exports: [Sql] })
export class DatabaseModule {}
