import type { QueryRunner } from 'typeorm';

const SESSION = `a.pid, a.application_name, a.state, regexp_replace(left(a.query, 100), '\\s+', ' ', 'g') AS query`;

interface Session {
  pid: number;
  application_name: string;
  state: string | null;
  query: string;
}

/** The session holding the advisory lock `key`, on one line, as describe() puts it. */
export async function advisoryLockHolder(runner: QueryRunner, key: string): Promise<string> {
  const rows = (await runner.query(
    `SELECT ${SESSION}
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((l.classid::bigint << 32) | l.objid::bigint) = ${key}`,
  )) as Session[];
  return describe(rows[0]);
}

/**
 * The other session of this database whose open transaction, holding a table lock, began first:
 * once a lock wait has run out PostgreSQL no longer says who blocked it, and a lock held all
 * through the wait belongs to a transaction older than it (a pg_dump, a long report, a session
 * left idle in transaction).
 */
export async function oldestTableLockHolder(runner: QueryRunner): Promise<string> {
  const rows = (await runner.query(
    `SELECT ${SESSION}
       FROM pg_stat_activity a
      WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.xact_start IS NOT NULL
        AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'relation' AND l.granted)
      ORDER BY a.xact_start
      LIMIT 1`,
  )) as Session[];
  return describe(rows[0]);
}

/** Its pid, application_name, state and the start of its statement's text (never its parameters). */
function describe(session: Session | undefined): string {
  return session
    ? `pid ${session.pid} (${session.application_name || 'no application_name'}, ${session.state}): ${session.query}`
    : 'a session that has just let it go';
}
