import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';

export interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** The command, as `npm link` or `npx oncelink` run it. */
export const CLI = join(__dirname, '../../bin/oncelink.js');

/** Another user to run the command as (a spec running as root reads any file, whatever its mode). */
export interface RunAs {
  uid?: number;
  gid?: number;
}

/** Runs the built `oncelink` command as a user would, with `input` on stdin. */
export function oncelink(args: string[], env: Record<string, string>, input?: Buffer | string, user: RunAs = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'buffer', timeout: 20_000, ...user },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr.toString() }),
    );
    child.stdin!.end(input ?? '');
  });
}

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `oncelink` on a terminal (a pseudo-terminal made by util-linux `script`), typing `answer`
 * and Enter once `prompt` shows. `output` is everything the terminal showed: stdout, stderr and
 * any echo of what was typed.
 */
export function oncelinkOnTerminal(
  args: string[],
  env: Record<string, string>,
  prompt: string,
  answer: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const command = [process.execPath, CLI, ...args].map(quote).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', SHELL: '/bin/sh', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    let output = '';
    let typed = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!typed && output.includes(prompt)) {
        typed = true;
        child.stdin.write(`${answer}\r`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Runs `oncelink` with its stdout read by nobody (`oncelink list | head -0`): the pipe is closed before it writes. */
export function oncelinkIntoClosedPipe(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}
