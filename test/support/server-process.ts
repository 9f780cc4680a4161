import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import type { TestDatabase } from './database';
import { testEnv } from './test-app';

export interface ServerProcess {
  baseUrl: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** One of a server's JSON log lines (pino's level: 30 info, 40 warn). */
export interface LogEntry {
  level: number;
  msg: string;
  context?: string;
  [field: string]: unknown;
}

/** The JSON log lines in a server's output; a line that is not one fails the spec, as it would a log pipeline. */
export function logEntries(output: string): LogEntry[] {
  return output
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        return JSON.parse(line) as LogEntry;
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
    });
}

/** The level and message of each of the lines logged under `context`, in order. */
export function logged(output: string, context: string): [number, string][] {
  return logEntries(output)
    .filter((entry) => entry.context === context)
    .map((entry) => [entry.level, entry.msg]);
}

/** A server process's environment on `db`: its URL, a fresh master key and, on the embedded database, its one connection (see src/main.ts); `env` on top. */
export function serverEnvOn(db: TestDatabase, env: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...(db.embedded ? { DATABASE_POOL_SIZE: '1' } : {}),
    ...env,
  };
}

/**
 * Whether this process may give a child a private mount namespace (`unshare -m`, root: CI runs as
 * root), as `startServerProcess`'s `nameserver` does.
 */
export function canChooseNameserver(): boolean {
  const bindOverItself = ['-m', '--propagation', 'private', 'mount', '--bind', '/etc/resolv.conf', '/etc/resolv.conf'];
  return process.getuid?.() === 0 && spawnSync('unshare', bindOverItself).status === 0;
}

/**
 * Runs the built server (`dist/`, made by `pretest`) as its own process, as production does;
 * with `nameserver`, in a mount namespace of its own whose /etc/resolv.conf names that server
 * alone (getaddrinfo and c-ares both read it), waiting up to 30 s for an answer.
 */
export async function startServerProcess(env: Record<string, string>, options: { nameserver?: string } = {}): Promise<ServerProcess> {
  const port = await freePort();
  const main = [process.execPath, join(__dirname, '../../dist/src/main.js')];
  const [command, ...args] = options.nameserver ? ownResolvConf(options.nameserver, main) : main;
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '', ...testEnv({ PORT: String(port), ...env }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const baseUrl = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    const ready = await fetch(`${baseUrl}/readyz`).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not become ready:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    baseUrl,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** `command` run with /etc/resolv.conf naming only `nameserver`, for it alone (`unshare` execs it: the pid is the command's). */
function ownResolvConf(nameserver: string, command: string[]): string[] {
  const conf = join(mkdtempSync(join(tmpdir(), 'oncelink-resolv-')), 'resolv.conf');
  writeFileSync(conf, `nameserver ${nameserver}\noptions timeout:30 attempts:1\n`);
  const script = 'mount --bind "$0" /etc/resolv.conf && exec "$@"';
  return ['unshare', '-m', '--propagation', 'private', 'sh', '-c', script, conf, ...command];
}

/**
 * The OpenAPI document the built server serves: `nest build` applies the Swagger plugin (DTO
 * fields from their types and comments), which ts-jest, compiling each file alone, cannot.
 */
export async function servedOpenApi(db: TestDatabase): Promise<unknown> {
  const server = await startServerProcess(serverEnvOn(db));
  try {
    const res = await fetch(`${server.baseUrl}/api/openapi.json`);
    if (res.status !== 200) throw new Error(`/api/openapi.json answered ${res.status}`);
    return await res.json();
  } finally {
    await server.stop();
  }
}

export interface Exit {
  code: number | null;
  stderr: string;
  /** The log lines (at LOG_LEVEL). */
  stdout: string;
}

/**
 * Runs the built server as `npm start` does (NODE_ENV unset) and waits for it to stop by itself;
 * one still running after 20 s has started, which the cases that use this must never do.
 */
export async function runServerToExit(env: Record<string, string>): Promise<Exit> {
  const child = spawn(process.execPath, [join(__dirname, '../../dist/src/main.js')], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', PORT: String(await freePort()), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, stderr, stdout };
}
