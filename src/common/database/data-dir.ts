import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Another process holds the data directory: starting too would split the database in two. */
export class DataDirInUse extends Error {}

/** The data directory is unusable as one (not a directory, not ours); a configuration error. */
export class DataDirUnusable extends Error {}

/** PGlite could not open or create its database in DATA_DIR/pgdata (a full disk, a damaged or foreign pgdata). */
export class PgdataUnopenable extends Error {}

const LOCK_FILE = 'oncelink.pid';

/** Whether a process with this id is running (as any user: EPERM still means it exists). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates the lock file holding our pid; false when it exists already. Written under a name of
 * its own first and then linked into place, so the lock never exists without its pid in it.
 */
function createLock(file: string): boolean {
  const own = `${file}.${process.pid}`;
  writeFileSync(own, `${process.pid}\n`, { mode: 0o600 });
  try {
    linkSync(own, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(own);
  }
}

/** The pid a lock file names; NaN for a file that is gone or names none. */
function holderOf(file: string): number {
  try {
    return Number.parseInt(readFileSync(file, 'utf8'), 10);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Number.NaN;
    throw error;
  }
}

/**
 * Removes a lock whose holder is gone. It is moved aside first and removed only if it still
 * names that holder: another process may have taken the lock over in between, and its lock goes
 * back.
 */
function removeStaleLock(file: string, holder: number): void {
  const aside = `${file}.stale.${process.pid}`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (holderOf(aside) === holder) return unlinkSync(aside);
  try {
    linkSync(aside, file);
  } finally {
    unlinkSync(aside);
  }
}

/**
 * Makes DATA_DIR this process's alone, as PostgreSQL does its data directory: the directory is
 * 0700 and owned by the user running Oncelink (the embedded database's files are then out of
 * other users' reach, whatever their own modes), and `oncelink.pid` names the process that holds
 * it, like postmaster.pid. A second server, or `npm run plan:set` while one runs, is refused:
 * PGlite would open the same files as a second, separate database. A lock left by a process that
 * is gone (killed, crashed) is taken over, and so is one naming our parent: after a container
 * restart the dead server's pid may now be npm's (PostgreSQL's postmaster.pid check does the
 * same). Answers the release, which also happens as the process exits, however it exits.
 */
export function claimDataDir(dataDir: string): () => void {
  const dir = resolve(dataDir);
  try {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    // stat, not lstat: DATA_DIR may be a link to the directory (./data -> /srv/oncelink).
    const stat = statSync(dir);
    if (!stat.isDirectory()) throw new DataDirUnusable(`DATA_DIR ${dir} is not a directory`);
    if (process.getuid && stat.uid !== process.getuid()) {
      throw new DataDirUnusable(`DATA_DIR ${dir} must be owned by the user running Oncelink`);
    }
    chmodSync(dir, 0o700);
  } catch (error) {
    if (error instanceof DataDirUnusable) throw error;
    throw new DataDirUnusable(`DATA_DIR ${dir} cannot be used: ${(error as Error).message}`);
  }
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createLock(file)) return releasedOnExit(file);
    const holder = holderOf(file);
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && holder !== process.ppid && isRunning(holder)) {
      throw new DataDirInUse(`DATA_DIR ${dir} is in use by process ${holder}; stop it first (${file})`);
    }
    removeStaleLock(file, holder);
  }
  throw new DataDirInUse(`DATA_DIR ${dir} is being claimed by another process`);
}

/** The release; a process.exit() (a second Ctrl-C, the shutdown timeout) runs it too, synchronously. */
function releasedOnExit(file: string): () => void {
  const release = () => releaseDataDir(file);
  process.once('exit', release);
  return () => {
    process.off('exit', release);
    release();
  };
}

function releaseDataDir(file: string): void {
  try {
    if (holderOf(file) === process.pid) unlinkSync(file);
  } catch {
    // Already gone.
  }
}
