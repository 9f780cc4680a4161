import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oncelink } from './support/cli';
import { newToken, newUser } from './support/factories';
import { useTestApp } from './support/test-app';

describe('the oncelink command', () => {
  const t = useTestApp();
  let env: Record<string, string>;

  beforeAll(() => {
    env = { ONCELINK_URL: t.baseUrl };
  });

  it('sends stdin encrypted with the key in the fragment, gets it back once, then exits 3', async () => {
    const sent = await oncelink(['send'], env, 'db-password: hunter2\n');
    expect(sent.code).toBe(0);
    const url = sent.stdout.toString().trim();
    expect(url).toMatch(new RegExp(`^${t.baseUrl}/s/[A-Za-z0-9_-]{24}#[A-Za-z0-9_-]{43}$`));
    const [row] = await t.dataSource.query(`SELECT kind, key_id FROM secrets ORDER BY created_at DESC LIMIT 1`);
    expect(row).toEqual({ kind: 'encrypted', key_id: null });

    const got = await oncelink(['get', url], env);
    expect(got.code).toBe(0);
    expect(got.stdout.toString()).toBe('db-password: hunter2\n');

    const again = await oncelink(['get', url], env);
    expect(again.code).toBe(3);
    expect(again.stderr).toBe('oncelink: This secret has been viewed and destroyed.\n');
  });

  it('round-trips a binary file and honours --views', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oncelink-cli-'));
    const bytes = randomBytes(4096);
    writeFileSync(join(dir, 'id_ed25519'), bytes);
    const sent = await oncelink(['send', '--file', join(dir, 'id_ed25519'), '--views', '2'], env);
    const url = sent.stdout.toString().trim();
    expect((await oncelink(['get', url], env)).stdout.equals(bytes)).toBe(true);
    expect((await oncelink(['get', url], env)).stdout.equals(bytes)).toBe(true);
    expect((await oncelink(['get', url], env)).code).toBe(3);
  });

  it('asks for the passcode: exit 5 without or with a wrong one, the content with the right one', async () => {
    const url = (await oncelink(['send', '--passcode', 'open sesame'], env, 'guarded')).stdout.toString().trim();
    const missing = await oncelink(['get', url], env);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain('requires a passcode');
    expect((await oncelink(['get', url, '--passcode', 'wrong'], env)).code).toBe(5);
    const ok = await oncelink(['get', url, '--passcode', 'open sesame'], env);
    expect(ok.stdout.toString()).toBe('guarded');
  });

  it('cannot decrypt without the key in the link', async () => {
    const url = (await oncelink(['send'], env, 'needs the key')).stdout.toString().trim();
    const keyless = await oncelink(['get', url.split('#')[0]], env);
    expect(keyless.code).toBe(1);
    expect(keyless.stderr).toContain('no key');
  });

  it('lists and deletes the team’s secrets with a token', async () => {
    const user = await newUser(t.baseUrl);
    const withToken = { ...env, ONCELINK_TOKEN: await newToken(t.baseUrl, user) };
    const url = (await oncelink(['send', '--label', 'deploy key', '--minutes', '30'], withToken, 'k')).stdout.toString().trim();
    const listed = (await oncelink(['list'], withToken)).stdout.toString();
    expect(listed).toMatch(/\tactive\tencrypted\t.*\tdeploy key\n$/);
    const id = listed.split('\t')[0];
    expect((await oncelink(['delete', id], withToken)).code).toBe(0);
    expect((await oncelink(['get', url], withToken)).code).toBe(3);
    expect((await oncelink(['list'], env)).code).toBe(5);
  });

  it('explains bad usage in one line with exit 2, and has --help', async () => {
    const help = await oncelink(['--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout.toString()).toContain('oncelink send');
    for (const args of [
      ['send', '--views', '0'],
      ['send', '--views', '1', '--minutes', '5'],
      ['get'],
      ['frobnicate'],
      ['send', '--colour'],
    ]) {
      const run = await oncelink(args, env, 'x');
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
