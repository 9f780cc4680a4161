import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Another process holds the data directory: starting too would split the database in two. */
export class DataDirInUse extends Error {}

/** The data directory is unusable as one (not a directory, not ours); a configuration error. */
export class DataDirUnusable extends Error {}

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

/** Creates the lock file holding our pid; false when it exists already. */
function createLock(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  writeSync(fd, `${process.pid}\n`);
  closeSync(fd);
  return true;
}

/**
 * Makes DATA_DIR this process's alone, as PostgreSQL does its data directory: the directory is
 * 0700 and owned by the user running Oncelink (the embedded database's files are then out of
 * other users' reach, whatever their own modes), and `oncelink.pid` names the process that holds
 * it, like postmaster.pid. A second server, or `npm run plan:set` while one runs, is refused:
 * PGlite would open the same files as a second, separate database. A lock left by a process that
 * is gone (killed, crashed) is taken over. Answers the release.
 */
export function claimDataDir(dataDir: string): () => void {
  const dir = resolve(dataDir);
  try {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
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
  // Twice at most: a stale lock is removed once, and a second process racing for it finds ours.
  for (let attempt = 0; attempt < 2; attempt++) {
    if (createLock(file)) return () => releaseDataDir(file);
    const holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder)) {
      throw new DataDirInUse(`DATA_DIR ${dir} is in use by process ${holder}; stop it first (${file})`);
    }
    unlinkSync(file);
  }
  throw new DataDirInUse(`DATA_DIR ${dir} is being claimed by another process`);
}

function releaseDataDir(file: string): void {
  try {
    if (Number.parseInt(readFileSync(file, 'utf8'), 10) === process.pid) unlinkSync(file);
  } catch {
    // Already gone.
  }
}
