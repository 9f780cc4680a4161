import { execFile } from 'node:child_process';
import { join } from 'node:path';

export interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs the built `oncelink` command as a user would, with `input` on stdin. */
export function oncelink(args: string[], env: Record<string, string>, input?: Buffer | string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [join(__dirname, '../../bin/oncelink.js'), ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'buffer', timeout: 20_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr.toString() }),
    );
    child.stdin!.end(input ?? '');
  });
}
