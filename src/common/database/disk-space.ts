import { statfs } from 'node:fs/promises';

/**
 * Free space below which the embedded database takes no writes: four 16 MiB WAL segments. PGlite
 * that runs out of disk mid-write does not fail the query: it spins inside this process, which then
 * answers nothing and ignores SIGTERM. PostgreSQL servers handle a full disk themselves.
 */
export const DISK_FLOOR_BYTES = 64 * 1024 * 1024;

/** A timer, so no request pays for a system call. */
const POLL_MS = 2_000;

let nearlyFull = false;

/** Whether the embedded database's disk is below DISK_FLOOR_BYTES (false when nothing watches). */
export function diskNearlyFull(): boolean {
  return nearlyFull;
}

/** Watches the free space of the filesystem holding `dir` until the returned function is called. */
export async function watchFreeSpace(dir: string): Promise<() => void> {
  const check = () =>
    statfs(dir).then(
      ({ bavail, bsize }) => void (nearlyFull = bavail * bsize < DISK_FLOOR_BYTES),
      // Unreadable now (the directory moved?): keep the last answer rather than guess.
      () => undefined,
    );
  await check();
  const timer = setInterval(() => void check(), POLL_MS).unref();
  return () => {
    clearInterval(timer);
    nearlyFull = false;
  };
}
