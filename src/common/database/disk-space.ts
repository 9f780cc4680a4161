import { statfs } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../errors/api-error';

/**
 * Free space below which the embedded database takes no writes: four 16 MiB WAL segments. PGlite
 * that runs out of disk mid-write does not fail the query: it spins inside this process, which then
 * answers nothing and ignores SIGTERM. PostgreSQL servers handle a full disk themselves.
 */
export const DISK_FLOOR_BYTES = 64 * 1024 * 1024;

/**
 * What a write must leave free beyond the floor: it may start a new WAL segment, which PostgreSQL
 * creates whole (16 MiB) at once, beyond the bytes counted for the write (a burst of 60 KB creates
 * took a disk 11 MiB under the floor that way).
 */
export const WAL_SEGMENT_BYTES = 16 * 1024 * 1024;
const WRITE_FLOOR_BYTES = DISK_FLOOR_BYTES + WAL_SEGMENT_BYTES;

/** A timer, so no request pays for a system call. */
const POLL_MS = 2_000;

/**
 * What a write costs beyond twice its body: its row, an audit row and their index entries, each
 * written to a heap page and to the WAL, which a body of a few bytes would not otherwise account for.
 */
const WRITE_ALLOWANCE_BYTES = 16 * 1024;

const MULTIPART = /^multipart\//i;

let watched: string | null = null;
/** Free bytes at the last reading (none yet: no limit, as before the first reading). */
let lastFree = Number.POSITIVE_INFINITY;
/**
 * Bytes of the writes let in since the last timer reading, and in the window before it: a write
 * let in just before a reading may land after it, so a reading forgets only writes that had a
 * window to land. One that landed sooner counts twice meanwhile, which errs on the side of the floor.
 */
let admitted = 0;
let admittedBefore = 0;
/** Which window `admitted` counts, so a refusal gives its cost back where it was counted. */
let window = 0;

/** Whether the embedded database's disk is below DISK_FLOOR_BYTES (false when nothing watches). */
export function diskNearlyFull(): boolean {
  return lastFree < DISK_FLOOR_BYTES;
}

/** The 503 for a write the embedded database's disk has no room for. */
export function diskFull(): ApiError {
  return ApiError.unavailable("The server's disk is nearly full; nothing was changed.", { code: 'disk_full' });
}

/** Reads the free space of `dir`'s filesystem now, and with it the answer of `diskNearlyFull`; undefined when unreadable. */
async function readFreeSpace(dir: string): Promise<number | undefined> {
  try {
    const { bavail, bsize } = await statfs(dir);
    lastFree = bavail * bsize;
    return lastFree;
  } catch {
    // Unreadable now (the directory moved?): keep the last answer rather than guess.
    return undefined;
  }
}

/**
 * Throws `diskFull()` unless writing `bytes` more to the embedded database leaves DISK_FLOOR_BYTES
 * and a WAL segment free, read now, after the writes let in lately (see `admitted`): for writes the floor alone does
 * not cover (a file's). They count twice, as the WAL writes them too. Passes when nothing watches
 * (a PostgreSQL server).
 */
export async function assertDiskRoom(bytes: number): Promise<void> {
  if (watched === null) return;
  // Unreadable now, the last reading stands.
  await readFreeSpace(watched);
  if (lastFree - admitted - admittedBefore < WRITE_FLOOR_BYTES + 2 * bytes) throw diskFull();
}

/**
 * Lets in a request that may write (not GET or HEAD) only if the free space of the last reading,
 * less the writes let in lately (see `admitted`), still leaves DISK_FLOOR_BYTES and a WAL segment after it, else
 * throws `diskFull()`: a burst between two readings cannot take the disk under the floor. A write
 * costs twice its Content-Length (the WAL writes it too) plus WRITE_ALLOWANCE_BYTES; a body of no
 * stated length, `bodyLimit` (the most the body parser takes). A multipart body (a file's) costs
 * the allowance, for its rows: its bytes are counted as its parts are written, by `assertDiskRoom`,
 * on fresh readings. An answer of 400 or more gives the cost back: a refusal (a bad token, a rate
 * limit, invalid input) writes nothing, or a failed attempt's few bytes, so refused requests cannot
 * hold writes off. Costs a compare when nothing watches (a PostgreSQL server).
 */
export function admitWrite(request: IncomingMessage, response: ServerResponse, bodyLimit: number): void {
  if (watched === null || request.method === 'GET' || request.method === 'HEAD') return;
  const { headers } = request;
  const length = MULTIPART.test(headers['content-type'] ?? '')
    ? 0
    : headers['transfer-encoding'] === undefined
      ? Number(headers['content-length'] ?? 0)
      : Number.NaN;
  const cost = 2 * (Number.isSafeInteger(length) && length >= 0 ? length : bodyLimit) + WRITE_ALLOWANCE_BYTES;
  if (lastFree - admitted - admittedBefore - cost < WRITE_FLOOR_BYTES) throw diskFull();
  admitted += cost;
  const counted = window;
  response.once('close', () => {
    if (response.statusCode < 400) return;
    if (counted === window) admitted -= cost;
    else if (counted === window - 1) admittedBefore -= cost;
  });
}

/** Watches the free space of the filesystem holding `dir` until the returned function is called. */
export async function watchFreeSpace(dir: string): Promise<() => void> {
  watched = dir;
  await readFreeSpace(dir);
  // The count moves on only with a reading that succeeded: the writes it forgets had a window to land.
  const timer = setInterval(() => {
    void readFreeSpace(dir).then((free) => {
      if (free === undefined) return;
      admittedBefore = admitted;
      admitted = 0;
      window += 1;
    });
  }, POLL_MS).unref();
  return () => {
    clearInterval(timer);
    watched = null;
    lastFree = Number.POSITIVE_INFINITY;
    admitted = admittedBefore = 0;
  };
}
