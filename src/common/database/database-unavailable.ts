const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH']);
// SQLSTATE classes 08 (connection exception), 28 (the login refused: a role without LOGIN, a wrong
// password), 3D000 (no such database), 57P (operator intervention: shutdown, terminated backend),
// 53300 (too many connections) and 53100 (disk full: a data file could not be extended); and the
// statements PostgreSQL itself ended, rolling their transaction back: 57014 (statement_timeout, a
// cancel), 55P03 (lock_timeout), 40P01 (deadlock) and 40001 (serialization failure).
const SQLSTATE = /^(08|28|3D000|57P0[1-4]|53300|53100|57014|55P03|40P01|40001)/;

/** True for errors that mean "the database is not reachable right now", as opposed to a bad query. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const { code, message, syscall } = current as { code?: unknown; message?: unknown; syscall?: unknown };
    if (typeof code === 'string' && SQLSTATE.test(code)) return true;
    // A system call on the database's socket failed (a request's only connection out is to the
    // database); Node's own ECONNRESET for a request whose client hung up comes from none.
    if (typeof code === 'string' && NETWORK_CODES.has(code) && typeof syscall === 'string') return true;
    // A Unix socket (the embedded database's) whose server is gone has no file to connect to.
    if (code === 'ENOENT' && syscall === 'connect') return true;
    if (
      typeof message === 'string' &&
      /Connection terminated|connection timeout|Query read timeout|timeout exceeded when trying to connect|Client has encountered a connection error|terminating connection|not currently accepting connections|the database system is (starting up|shutting down)/i.test(
        message,
      )
    ) {
      return true;
    }
    // TypeORM's wrapper, a cause, or the first of the addresses net tried (an AggregateError, whose own code has no syscall).
    const { driverError, cause, errors } = current as { driverError?: unknown; cause?: unknown; errors?: unknown };
    current = driverError ?? cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return false;
}
