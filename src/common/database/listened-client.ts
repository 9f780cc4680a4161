import { Client, type ClientConfig } from 'pg';

/** pg's options, and how long a query may go unanswered before the connection is given up (unset: for ever). */
export interface ListenedClientConfig extends ClientConfig {
  queryTimeoutMillis?: number;
  /** The statement_timeout the connection sets as it opens (serverStatementTimeoutMs; unset: the server's). */
  statementTimeoutMillis?: number;
}

/**
 * The statement_timeout that has PostgreSQL end a statement a margin (a tenth, at most 1 s) before
 * its client gives up on it after `queryTimeoutMs`: ended by the server, it is rolled back and
 * answered while the client still waits, where one the client gives up on first may yet run, and
 * commit, once the server gets to it. Set once as each connection opens (pg-pool's onConnect):
 * not in the startup packet, which PgBouncer refuses by default for any parameter it does not track.
 */
export function serverStatementTimeoutMs(queryTimeoutMs: number): number {
  return queryTimeoutMs - Math.min(1000, Math.floor(queryTimeoutMs / 10));
}

/**
 * A pg client that is never without an 'error' listener. pg-pool listens to a client only while
 * it is idle, and hands a new one out in the very tick it connects, before whoever asked for it
 * can listen: a connection the server ends just then (a restart, a terminated backend) would
 * otherwise throw an unhandled 'error' event and end the process. Heard, it leaves the client
 * unqueryable: its holder's next statement fails as the database being unavailable (a 503), and
 * the pool drops a client that comes back unqueryable.
 *
 * It also ends its own connection when a query goes `queryTimeoutMillis` without an answer (a
 * frozen server, a peer gone behind a silent network), failing what waits on it; a server that
 * answers ends a statement itself before that (serverStatementTimeoutMs). pg's own
 * query_timeout would reject the query but leave it active on the connection, and TypeORM gives
 * its clients back to the pool without an error, so the next holder would wait behind it. One
 * timer per connection, rearmed by each query (no allocation), rather than one per query.
 */
export class ListenedClient extends Client {
  private readonly silence?: NodeJS.Timeout;
  /** Set while a statement may rightly run long (a migration's index build): no timeout then. */
  unbounded = false;
  readonly statementTimeoutMillis?: number;

  constructor(config?: string | ListenedClientConfig) {
    super(config);
    this.on('error', () => {});
    this.statementTimeoutMillis = typeof config === 'object' ? config.statementTimeoutMillis : undefined;
    const ms = typeof config === 'object' ? config.queryTimeoutMillis : undefined;
    if (ms) {
      // Armed now, it fires once idle and does nothing; refresh() rearms a timer that has fired.
      this.silence = setTimeout(() => this.giveUpIfWaiting(ms), ms).unref();
      this.once('end', () => clearTimeout(this.silence));
    }
  }

  /** The statement giving this connection its statement_timeout: as it opens (the pool's onConnect), and back after a migration's exemption. */
  statementTimeout(): string {
    const ms = this.statementTimeoutMillis;
    return ms ? `SET statement_timeout = ${Math.floor(ms)}` : 'RESET statement_timeout';
  }

  // Three named parameters, not a rest one: no array per query. pg reads them by value, not by count.
  override query(config: unknown, values?: unknown, callback?: unknown): never {
    this.silence?.refresh();
    return (super.query as unknown as (c: unknown, v: unknown, cb: unknown) => never)(config, values, callback);
  }

  private giveUpIfWaiting(ms: number): void {
    const self = this as unknown as { _activeQuery: unknown; _queryQueue: unknown[]; connection: { stream: { destroy(e: Error): void } } };
    if (this.unbounded || (!self._activeQuery && self._queryQueue.length === 0)) return;
    // pg fails every query on the connection with this error; database-unavailable.ts reads it as a 503.
    self.connection.stream.destroy(new Error(`Query read timeout: no answer from the database in ${ms} ms`));
  }
}
