import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { open, realpath, rename, rm, stat } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { UsageError } from './usage-error';

/** Where `get --output PATH` writes. */
export interface Output {
  stream: Writable;
  /** All of it arrived and checked out: puts it in place. */
  keep(): Promise<void>;
  /** It failed or was cut short: leaves no partial file. */
  discard(): Promise<void>;
}

/**
 * `--output PATH`, opened before anything is spent, so a path that cannot be written fails first.
 * As curl and cp do, a path that exists and is no regular file once symlinks are followed (a FIFO,
 * a device, `>(gpg -e)`'s /dev/fd/N) is written as it is; anything else is replaced whole.
 */
export async function openOutput(path: string): Promise<Output> {
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw new UsageError(`--output ${path} is a directory`);
  if (existing && !existing.isFile()) return direct(path);
  // A symlink stays one: what it points to is replaced.
  return replacing(existing ? await realpath(path) : path);
}

async function direct(path: string): Promise<Output> {
  const stream = (await open(path, 'w')).createWriteStream();
  const discard = () => {
    stream.destroy();
    return Promise.resolve();
  };
  return { stream, keep: () => Promise.resolve(), discard };
}

/**
 * Written under a temporary name beside `path` and renamed over it once complete: a failed or cut
 * download leaves no partial file, and an earlier file as it was.
 */
async function replacing(path: string): Promise<Output> {
  const partial = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.part`);
  const stream = (await open(partial, 'wx', 0o600)).createWriteStream();
  // Interrupted (Ctrl-C, a CI job cancelled): the partial file holds revealed bytes, so it goes first.
  const interrupted = (signal: NodeJS.Signals) => {
    rmSync(partial, { force: true });
    process.exit(128 + osConstants.signals[signal]);
  };
  for (const signal of INTERRUPTIONS) process.once(signal, interrupted);
  const settled = () => {
    for (const signal of INTERRUPTIONS) process.off(signal, interrupted);
  };
  return {
    stream,
    keep: async () => {
      await rename(partial, path);
      settled();
    },
    discard: async () => {
      stream.destroy();
      await rm(partial, { force: true });
      settled();
    },
  };
}

const INTERRUPTIONS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
