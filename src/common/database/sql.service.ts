import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { pgErrorOf } from './pg-error';

/**
 * Explicit SQL for the hot paths, straight on the pool TypeORM opened. Every statement has a
 * name, so each connection parses and plans it once and then only binds parameters. Values
 * always travel as parameters; no SQL is assembled from input.
 *
 * The embedded database serves every connection from one PGlite session, where prepared
 * statements outlive the connection that made them; so a name is made unique per connection
 * (and per app instance), and a reconnecting or restarted app never meets an old one.
 */
@Injectable()
export class Sql {
  private readonly pool: Pool;
  private readonly instance = randomBytes(3).toString('hex');
  private readonly connectionIds = new WeakMap<PoolClient, number>();
  private connections = 0;

  constructor(@InjectDataSource() db: DataSource) {
    this.pool = (db.driver as PostgresDriver).master as Pool;
  }

  async rows<T extends QueryResultRow>(name: string, text: string, values: unknown[]): Promise<T[]> {
    const client = await this.pool.connect();
    let failure: Error | undefined;
    try {
      return (await client.query<T>({ name: `${name}_${this.instance}_${this.idOf(client)}`, text, values })).rows;
    } catch (error) {
      // As pool.query does, a connection that failed is not handed out again; except after a
      // constraint's refusal (an idempotent retry meets its key that way): PostgreSQL refused one
      // statement, and the connection and its prepared statements are as good as before.
      if (!isConstraintRefusal(error)) failure = error as Error;
      throw error;
    } finally {
      client.release(failure);
    }
  }

  private idOf(client: PoolClient): number {
    let id = this.connectionIds.get(client);
    if (id === undefined) this.connectionIds.set(client, (id = ++this.connections));
    return id;
  }
}

/** SQLSTATE class 23, integrity constraint violation, as the server reported it. */
function isConstraintRefusal(error: unknown): boolean {
  return pgErrorOf(error)?.code?.startsWith('23') === true;
}
