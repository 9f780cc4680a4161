import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { KnownShapeQuery, type Shape } from './known-shape-query';
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
  private readonly connectionsSeen = new WeakMap<PoolClient, { id: number; shapes: Map<string, Shape> }>();
  private connections = 0;

  constructor(@InjectDataSource() db: DataSource) {
    this.pool = (db.driver as PostgresDriver).master as Pool;
  }

  async rows<T extends QueryResultRow>(name: string, text: string, values: unknown[]): Promise<T[]> {
    const client = await this.pool.connect();
    let failure: Error | undefined;
    try {
      const { id, shapes } = this.seen(client);
      return await new Promise<T[]>((resolve, reject) => {
        const named = `${name}_${this.instance}_${id}`;
        client.query(
          new KnownShapeQuery<T>(named, text, values, shapes, (error, result) => (error ? reject(error) : resolve(result.rows))),
        );
      });
    } catch (error) {
      // As pg does for the queries it makes promises of: a stack leading back here, not to the socket's read.
      if (error instanceof Error) Error.captureStackTrace(error);
      // As pool.query does, a connection that failed is not handed out again; except after a
      // constraint's refusal (an idempotent retry meets its key that way): PostgreSQL refused one
      // statement, and the connection and its prepared statements are as good as before.
      if (!isConstraintRefusal(error)) failure = error as Error;
      throw error;
    } finally {
      client.release(failure);
    }
  }

  private seen(client: PoolClient): { id: number; shapes: Map<string, Shape> } {
    let seen = this.connectionsSeen.get(client);
    if (seen === undefined) this.connectionsSeen.set(client, (seen = { id: ++this.connections, shapes: new Map() }));
    return seen;
  }
}

/** SQLSTATE class 23, integrity constraint violation, as the server reported it. */
function isConstraintRefusal(error: unknown): boolean {
  return pgErrorOf(error)?.code?.startsWith('23') === true;
}
