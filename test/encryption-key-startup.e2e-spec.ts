import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServerToExit as runServer } from './support/server-process';

describe('the encryption key at start-up', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'oncelink-keys-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('stops with 78 naming ENCRYPTION_KEY when DATABASE_URL is set without it, and writes no key file', async () => {
    // Never reached: the start stops before any connection.
    const result = await runServer({ DATA_DIR: dataDir, DATABASE_URL: 'postgres://oncelink@127.0.0.1:1/oncelink' });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('ENCRYPTION_KEY is required when DATABASE_URL is set');
    expect(existsSync(join(dataDir, 'encryption.key'))).toBe(false);
  });

  it.each([
    ['a short key', randomBytes(16).toString('base64')],
    ['a long key', randomBytes(33).toString('base64')],
    ['an empty file', ''],
    ['text that is not base64', 'this is not a key, it is a sentence of 44 ch'],
  ])('stops with 78 naming the key file when DATA_DIR/encryption.key holds %s', async (_what, content) => {
    const file = join(dataDir, 'encryption.key');
    writeFileSync(file, content, { mode: 0o600 });
    const result = await runServer({ DATA_DIR: dataDir });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toContain('32 bytes');
  });

  it('stops with 78 naming the key file when DATA_DIR/encryption.key is a directory', async () => {
    const file = join(dataDir, 'encryption.key');
    mkdirSync(file);
    const result = await runServer({ DATA_DIR: dataDir });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain(`Invalid configuration: ${file} cannot be read`);
  });
});
