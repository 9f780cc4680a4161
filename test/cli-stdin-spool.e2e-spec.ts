import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, oncelink } from './support/cli';
import { eventually } from './support/eventually';
import { newTeamOn } from './support/teams';
import { useTestApp } from './support/test-app';

/** `oncelink send --file -`, its stdin a producer the spec drives, as `pg_dump | oncelink send --file -` is. */
function sending(env: Record<string, string>, limits = '') {
  // `limits`: ulimit options set in a shell that then runs the command.
  const child = limits
    ? spawn('sh', ['-c', `ulimit ${limits} && exec "$0" "$@"`, process.execPath, CLI, 'send', '--file', '-'], {
        env: { PATH: process.env.PATH ?? '', ...env },
      })
    : spawn(process.execPath, [CLI, 'send', '--file', '-'], { env: { PATH: process.env.PATH ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, exited };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('send --file - from a producer that pauses (BODY_IDLE_TIMEOUT_MS 2 s)', () => {
  const t = useTestApp({ env: { BODY_IDLE_TIMEOUT_MS: '2000' } });
  let env: Record<string, string>;
  let spoolDir: string;

  beforeEach(async () => {
    const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
    spoolDir = mkdtempSync(join(tmpdir(), 'oncelink-tmpdir-'));
    env = { ONCELINK_URL: t.baseUrl, ONCELINK_TOKEN: team.pat, TMPDIR: spoolDir };
  });

  afterEach(() => rmSync(spoolDir, { recursive: true, force: true }));

  it('waits on its stdin past the server’s patience, then sends all of it, leaving no temporary file', async () => {
    const { child, exited } = sending(env);
    child.stdin.write('a');
    await pause(5_000);
    child.stdin.end('b');
    const sent = await exited;
    expect([sent.code, sent.stderr]).toEqual([0, '']);
    const got = await oncelink(['get', sent.stdout.trim()], { ONCELINK_URL: t.baseUrl });
    expect([got.code, got.stdout.toString()]).toEqual([0, 'ab']);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('removes what it kept of stdin when interrupted, exiting as the signal would (143)', async () => {
    const { child, exited } = sending(env);
    child.stdin.write('kept encrypted meanwhile');
    // Its file, made once the command is ready to remove it.
    const spooling = () => readdirSync(spoolDir, { recursive: true }).length > 1;
    expect(await eventually(spooling, 15)).toBe(true);
    child.kill('SIGTERM');
    expect((await exited).code).toBe(143);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('says so when the disk takes no more of stdin (here a file size limit: EFBIG), leaving no temporary file', async () => {
    // 8 blocks of 512 bytes at most per file.
    const { child, exited } = sending(env, '-f 8');
    child.stdin.end(Buffer.alloc(64 * 1024));
    const sent = await exited;
    expect([sent.code, sent.stderr.trim()]).toEqual([
      1,
      `oncelink: Cannot keep stdin in ${spoolDir} until it ends: the file is too large (EFBIG).`,
    ]);
    expect(readdirSync(spoolDir)).toEqual([]);
  });
});
