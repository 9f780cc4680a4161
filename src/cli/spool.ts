import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileProblem } from '../client/file-problem';
import { OncelinkError, Spool } from '../client/oncelink-client';
import { onInterruption } from './interruptions';

/**
 * Runs `send` with a spool for `--file -`: the sealed stream is written to a file until stdin
 * ends, then uploaded from it. Uploaded as it was read, a producer that pauses (pg_dump waiting
 * on a lock) stalled the upload past the server's BODY_IDLE_TIMEOUT_MS. Only ciphertext reaches
 * the disk, in a file of mode 0600 in a directory of its own (0700) under the temporary directory
 * (TMPDIR), removed however the command ends: done, failed or interrupted.
 */
export async function withSpool<T>(send: (spool: Spool) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'oncelink-')).catch((error: unknown) => {
    throw cannotKeep(error);
  });
  const settled = onInterruption(() => rmSync(dir, { recursive: true, force: true }));
  try {
    return await send((sealed) => spool(join(dir, 'sealed.olf1'), sealed));
  } finally {
    // Removed before the signals are let go: one arriving meanwhile still removes it.
    await rm(dir, { recursive: true, force: true }).finally(settled);
  }
}

async function spool(path: string, sealed: AsyncIterable<Buffer>): Promise<{ bytes: number; content: AsyncIterable<Buffer> }> {
  const file = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  let failed: unknown;
  file.once('error', (error) => (failed = error));
  // The disk's failure (full, over quota) said as the directory's is; stdin's own is left as it is.
  await pipeline(sealed, file).catch((error: unknown) => {
    throw error === failed ? cannotKeep(error) : error;
  });
  return { bytes: file.bytesWritten, content: createReadStream(path) };
}

function cannotKeep(error: unknown): OncelinkError {
  return new OncelinkError(0, `Cannot keep stdin in ${tmpdir()} until it ends: ${fileProblem(error)}.`);
}
