import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { lstat, open, readlink, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, sep } from 'node:path';
import type { Writable } from 'node:stream';
import { fileProblem } from '../client/file-problem';
import { onInterruption } from './interruptions';
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
  if (!existing && path.endsWith(sep)) throw new UsageError(`--output ${path} ends with ${sep} but no such directory exists`);
  if (existing && !existing.isFile()) return direct(path);
  // A symlink stays one: what it points to is replaced, or made where it points to nothing yet.
  return replacing(existing ? await realpath(path) : ((await danglingTarget(path)) ?? path), path);
}

/** SYMLOOP_MAX on Linux: more links than that in a row is a loop. */
const MAX_LINKS = 40;

/**
 * Where the symlink `path` (with any links it names after it) ends, a path that does not exist
 * yet; undefined if `path` is no symlink. Each link's text is read from the directory it is in as
 * the kernel reads it, that directory's own links followed first: `..` after a linked directory
 * is the parent of where it leads, not of the link.
 */
async function danglingTarget(path: string): Promise<string | undefined> {
  let target = path;
  for (let links = 0; links < MAX_LINKS; links++) {
    if (!(await lstat(target).catch(() => undefined))?.isSymbolicLink()) return links ? target : undefined;
    const text = await readlink(target);
    // Writing through it would fail as writing to `dir/` does: a file cannot be made there.
    if (text.endsWith(sep)) throw new UsageError(`--output ${path} ends with ${sep} but no such directory exists`);
    const next = isAbsolute(text) ? text : `${dirname(target)}${sep}${text}`;
    target = join(await realpath(dirname(next)).catch(() => dirname(next)), basename(next));
  }
  throw new UsageError(`--output ${path} is a loop of symlinks`);
}

async function direct(path: string): Promise<Output> {
  const stream = (await opened(path, path, 'w')).createWriteStream();
  const discard = () => {
    stream.destroy();
    return Promise.resolve();
  };
  return { stream, keep: () => Promise.resolve(), discard };
}

/**
 * Written under a temporary name beside `path` and renamed over it once complete: a failed or cut
 * download leaves no partial file, and an earlier file as it was. Once the view is spent, a rename
 * that fails leaves the temporary file, and says where: it holds the only copy. `given` is `path`
 * as the user wrote it (a symlink, say).
 */
async function replacing(path: string, given: string): Promise<Output> {
  const partial = join(dirname(path), partialName(basename(path)));
  const stream = (await opened(partial, given, 'wx', 0o600)).createWriteStream();
  // Interrupted (Ctrl-C, a CI job cancelled): the partial file holds revealed bytes, so it goes first.
  const settled = onInterruption(() => rmSync(partial, { force: true }));
  return {
    stream,
    keep: async () => {
      settled();
      await rename(partial, path).catch((error: NodeJS.ErrnoException) => {
        throw new Error(`The secret is in ${partial}: it could not be moved to ${path} (${error.code}).`);
      });
    },
    discard: async () => {
      stream.destroy();
      await rm(partial, { force: true });
      settled();
    },
  };
}

/** `file` opened, or refused by the name the user gave (`given`), never a temporary one. */
function opened(file: string, given: string, flags: string, mode?: number) {
  return open(file, flags, mode).catch((error: unknown) => {
    throw new UsageError(`--output ${given} cannot be written: ${fileProblem(error)}`);
  });
}

/** The longest file name (in bytes) that Linux and macOS file systems take. */
const NAME_MAX = 255;

/** `.NAME.<random>.part`, NAME cut short where the whole would be longer than a file name may be. */
function partialName(name: string): string {
  const suffix = `.${randomBytes(6).toString('hex')}.part`;
  const characters = Array.from(`.${name}`);
  while (Buffer.byteLength(characters.join('') + suffix) > NAME_MAX) characters.pop();
  return characters.join('') + suffix;
}
