// Where a pair's work on the machine goes, read around the pair loop's measured seconds: the CPU
// time of the server's process, of PostgreSQL's processes (when the database runs on this machine),
// of this process (the load generator), and the WAL the database wrote, each divided by the pairs
// made. The ratio says how far Oncelink is from the floor; these say on which side of the socket.
// Linux only (/proc); elsewhere the columns are empty.
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
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
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
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') cpu.set(pid, cpuMs(pid) ?? 0);
    } catch {
      // Gone between the listing and the read.
    }
  }
  return cpu;
}

const ownCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * A meter for one server: `start()` when the measured seconds begin, `split(pairs)` when they end.
 * `database` is a connected pg client on the server's database (for its WAL position), or null for
 * the embedded database, whose work is the server process's own.
 */
export function cpuMeter(serverPid, database) {
  const read = async () => ({
    server: cpuMs(serverPid),
    postgres: database ? postgresCpu() : null,
    client: ownCpuMs(),
    wal: database ? (await database.query(`SELECT pg_current_wal_lsn()::text AS lsn`)).rows[0].lsn : null,
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
