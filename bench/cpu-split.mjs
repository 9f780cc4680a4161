// Where a pair's work on the machine goes, read around the pair loop's measured seconds: the CPU
// time of the server's process, of PostgreSQL's processes (when the database runs on this machine),
// of this process (the load generator), and the WAL the database wrote, each divided by the pairs
// made. The ratio says how far Oncelink is from the floor; these say on which side of the socket.
// PostgreSQL's figures are the whole cluster's: its background work (autovacuum, checkpoints) and
// the other, idle, server's polling count in whichever run they fall. Linux only (/proc); elsewhere,
// or with a database elsewhere, those columns are empty.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100;
  } catch {
    return 100;
  }
})();

/** A process's CPU time (user and system) in ms; undefined once it is gone, or without /proc. */
function cpuMs(pid) {
  try {
    // utime and stime, the 14th and 15th fields: the 12th and 13th after the command's closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** The CPU time of every PostgreSQL process on this machine, by pid. */
function postgresCpu() {
  const cpu = new Map();
  let entries = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return cpu;
  }
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
    } catch {
      continue; // Gone between the listing and the read.
    }
    const ms = cpuMs(pid);
    if (ms !== undefined) cpu.set(pid, ms);
  }
  return cpu;
}

const ownCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Whether a pg client's server is this machine (loopback, or a Unix socket's directory). */
const onThisMachine = (database) => {
  const host = database.host ?? '';
  return host === '' || host.startsWith('/') || ['localhost', '127.0.0.1', '::1'].includes(host);
};

/** The database's WAL position, or null where it cannot say (a connection gone, a service that hides it). */
const walPosition = (database) =>
  database
    .query(`SELECT pg_current_wal_lsn()::text AS lsn`)
    .then(({ rows }) => rows[0].lsn)
    .catch(() => null);

/**
 * A meter for one server: `start()` when the measured seconds begin, `split(pairs)` when they end.
 * `database` is a connected pg client on the server's database (for its WAL position), or null for
 * the embedded database, whose work is the server process's own.
 */
export function cpuMeter(serverPid, database) {
  const local = database !== null && onThisMachine(database);
  const read = async () => ({
    server: cpuMs(serverPid),
    postgres: local ? postgresCpu() : null,
    client: ownCpuMs(),
    wal: database ? await walPosition(database) : null,
  });
  let first;
  return {
    start() {
      first = read();
    },
    async split(pairs) {
      if (!first) return {};
      const [before, after] = [await first, await read()];
      const perPair = (value) => (pairs > 0 && Number.isFinite(value) ? Math.round((value * 1000) / pairs) : null);
      let postgres = null;
      if (before.postgres && after.postgres.size) {
        // A process that started meanwhile (a new backend) counts from zero; one that ended is left out.
        postgres = 0;
        for (const [pid, ms] of after.postgres) postgres += ms - (before.postgres.get(pid) ?? 0);
      }
      const wal = before.wal && after.wal ? Number(lsnBytes(after.wal) - lsnBytes(before.wal)) : null;
      return {
        'server µs/pair': perPair(after.server - before.server),
        'database µs/pair': perPair(postgres),
        'client µs/pair': perPair(after.client - before.client),
        'WAL B/pair': pairs > 0 && wal !== null ? Math.round(wal / pairs) : null,
      };
    },
  };
}

/** A WAL position ("16/B374D848") as a byte offset. */
function lsnBytes(lsn) {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}
