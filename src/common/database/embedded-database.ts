import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { claimDataDir, PgdataUnopenable } from './data-dir';
import { watchFreeSpace } from './disk-space';

/**
 * PGlite's failures are Emscripten's ErrnoError (no message; ENOSPC is errno 51 in WASI's
 * numbering) or its own "failed to initialize properly".
 */
function pgliteMessage(error: unknown): string {
  const { message, errno } = (error ?? {}) as { message?: unknown; errno?: unknown };
  if (typeof message === 'string' && message) return message;
  if (errno === 51) return 'no space left on device';
  return typeof errno === 'number' ? `file system error ${errno}` : String(error);
}

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/** Linux takes socket paths of up to 107 bytes, macOS 103. */
const MAX_SOCKET_PATH = 100;

/**
 * A directory for the socket that only this user may enter, so no other local user can
 * connect (PGlite has no passwords). On disk it is DATA_DIR/pgsocket, checked and re-moded at
 * each start, so a restart on the same data directory and port keeps the URL; in memory, or
 * when that path would be too long for a socket, a fresh one under the temporary directory.
 */
function socketDirectory(dataDir: string | undefined, name: string): { dir: string; temporary: boolean } {
  if (dataDir) {
    const dir = resolve(join(dataDir, 'pgsocket'));
    if (join(dir, name).length <= MAX_SOCKET_PATH) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const stat = lstatSync(dir);
      if (!stat.isDirectory() || (process.getuid && stat.uid !== process.getuid())) {
        throw new Error(`${dir} must be a directory owned by the user running Oncelink`);
      }
      chmodSync(dir, 0o700);
      // Left behind by a process that did not stop: this one holds DATA_DIR now (claimDataDir).
      rmSync(join(dir, name), { force: true });
      return { dir, temporary: false };
    }
  }
  // mkdtemp makes the directory 0700 under a name no one could have prepared.
  return { dir: mkdtempSync(join(tmpdir(), 'oncelink-db-')), temporary: true };
}

/**
 * Made 0700 when it is not, if this user owns it: one another user owns (a restored backup, a
 * volume prepared ahead) is left as it is, as it opened before pgdata was kept to its owner.
 */
function keepToOwner(dir: string): void {
  const stat = statSync(dir);
  if ((stat.mode & 0o777) !== 0o700 && (!process.getuid || stat.uid === process.getuid())) chmodSync(dir, 0o700);
}

/**
 * PostgreSQL compiled to WASM (PGlite), served over the wire protocol on a Unix socket so the
 * app talks to it through the same `pg` driver, SQL and migrations as a real server. The socket
 * is `<dir>/.s.PGSQL.<port>`, PostgreSQL's naming, which `pg` finds from host=<dir> and the port.
 * `dataDir` undefined keeps it in memory (tests).
 */
export async function startEmbeddedDatabase(dataDir?: string, port = 0): Promise<EmbeddedDatabase> {
  const release = dataDir ? claimDataDir(dataDir) : () => undefined;
  try {
    return await serve(dataDir, port, release);
  } catch (error) {
    release();
    throw error;
  }
}

async function serve(dataDir: string | undefined, port: number, release: () => void): Promise<EmbeddedDatabase> {
  let location = 'memory://';
  if (dataDir) {
    location = resolve(join(dataDir, 'pgdata'));
    // PGlite makes its files 0666 whatever the umask; like PostgreSQL's own data
    // directory, pgdata is 0700, so a copy of it alone (a backup) is not readable by everyone.
    mkdirSync(location, { recursive: true, mode: 0o700 });
    keepToOwner(location);
  }
  const socketPort = port || 5432;
  const socketName = `.s.PGSQL.${socketPort}`;
  const { dir, temporary } = socketDirectory(dataDir, socketName);
  const removeDir = () => {
    if (temporary) rmSync(dir, { recursive: true, force: true });
  };
  let db: PGlite;
  try {
    db = await PGlite.create(location);
  } catch (error) {
    removeDir();
    throw new PgdataUnopenable(`DATA_DIR/pgdata cannot be opened: ${pgliteMessage(error)}`, { cause: error });
  }
  const server = new PGLiteSocketServer({ db, path: join(dir, socketName), maxConnections: 32 });
  try {
    await server.start();
    chmodSync(join(dir, socketName), 0o600);
  } catch (error) {
    await db.close();
    removeDir();
    throw error;
  }
  const unwatch = dataDir ? await watchFreeSpace(location) : () => undefined;
  return {
    // An encoded absolute path as the host is how `pg` (and so TypeORM) take a socket directory.
    url: `postgres://postgres@${encodeURIComponent(dir)}:${socketPort}/postgres`,
    async stop() {
      unwatch();
      await server.stop();
      await db.close();
      removeDir();
      release();
    },
  };
}
