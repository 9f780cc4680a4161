import { Client, type ClientConfig } from 'pg';

/**
 * A pg client that is never without an 'error' listener. pg-pool listens to a client only while
 * it is idle, and hands a new one out in the very tick it connects, before whoever asked for it
 * can listen: a connection the server ends just then (a restart, a terminated backend) would
 * otherwise throw an unhandled 'error' event and end the process. Heard, it leaves the client
 * unqueryable: its holder's next statement fails as the database being unavailable (a 503), and
 * the pool drops a client that comes back unqueryable.
 */
export class ListenedClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    this.on('error', () => {});
  }
}
