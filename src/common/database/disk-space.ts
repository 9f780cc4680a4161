import { statfs } from 'node:fs/promises';
import { ApiError } from '../errors/api-error';

/**
 * Free space below which the embedded database takes no writes: four 16 MiB WAL segments. PGlite
 * that runs out of disk mid-write does not fail the query: it spins inside this process, which then
 * answers nothing and ignores SIGTERM. PostgreSQL servers handle a full disk themselves.
 */
export const DISK_FLOOR_BYTES = 64 * 1024 * 1024;

/** A timer, so no request pays for a system call. */
const POLL_MS = 2_000;

let watched: string | null = null;
let nearlyFull = false;

/** Whether the embedded database's disk is below DISK_FLOOR_BYTES (false when nothing watches). */
export function diskNearlyFull(): boolean {
  return nearlyFull;
}

/** The 503 for a write the embedded database's disk has no room for. */
export function diskFull(): ApiError {
  return ApiError.unavailable("The server's disk is nearly full; nothing was changed.", { code: 'disk_full' });
}

/** Reads the free space of `dir`'s filesystem now, and with it the answer of `diskNearlyFull`; undefined when unreadable. */
async function readFreeSpace(dir: string): Promise<number | undefined> {
  try {
    const { bavail, bsize } = await statfs(dir);
    nearlyFull = bavail * bsize < DISK_FLOOR_BYTES;
    return bavail * bsize;
  } catch {
    // Unreadable now (the directory moved?): keep the last answer rather than guess.
    return undefined;
  }
}

/**
 * Throws `diskFull()` unless writing `bytes` more to the embedded database leaves DISK_FLOOR_BYTES
 * free, read now: for writes the floor alone does not cover (a file's). They count twice, as the
 * WAL writes them too. Passes when nothing watches (a PostgreSQL server).
 */
export async function assertDiskRoom(bytes: number): Promise<void> {
  if (watched === null) return;
  const free = await readFreeSpace(watched);
  if (free === undefined ? nearlyFull : free < DISK_FLOOR_BYTES + 2 * bytes) throw diskFull();
}

/** Watches the free space of the filesystem holding `dir` until the returned function is called. */
export async function watchFreeSpace(dir: string): Promise<() => void> {
  watched = dir;
  await readFreeSpace(dir);
  const timer = setInterval(() => void readFreeSpace(dir), POLL_MS).unref();
  return () => {
    clearInterval(timer);
    watched = null;
    nearlyFull = false;
  };
}
