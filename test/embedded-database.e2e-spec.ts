import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { EmbeddedDatabase, startEmbeddedDatabase } from '../src/common/database/embedded-database';
import { freePort } from './support/free-port';
import { runServerToExit } from './support/server-process';

/** Where the `pg` driver connects for `url`: a Unix socket path, or a TCP host and port. */
function endpoint(url: string): { path: string } | { host: string; port: number } {
  const parsed = new URL(url);
  const host = decodeURIComponent(parsed.hostname);
  const port = Number(parsed.port || 5432);
  return host.startsWith('/') ? { path: join(host, `.s.PGSQL.${port}`) } : { host, port };
}

/** Opens a plain socket to `target` as the given user; answers `connected` or the error code. */
function connectAs(uid: number, target: ReturnType<typeof endpoint>): string {
  const script = `
    const socket = require('node:net').connect(${JSON.stringify(target)});
    socket.on('connect', () => { process.stdout.write('connected'); socket.destroy(); });
    socket.on('error', (error) => process.stdout.write(error.code ?? error.message));`;
  const result = spawnSync(process.execPath, ['-e', script], { uid, gid: uid, encoding: 'utf8', timeout: 10_000 });
  return result.stdout;
}

const NOBODY = 65534;

describe('the embedded database', () => {
  let db: EmbeddedDatabase;
  beforeAll(async () => {
    db = await startEmbeddedDatabase();
  });
  afterAll(() => db.stop());

  it('serves the pg driver and TypeORM from its URL', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      expect((await client.query('SELECT 1 + 1 AS two')).rows).toEqual([{ two: 2 }]);
    } finally {
      await client.end();
    }
    const dataSource = new DataSource({ type: 'postgres', url: db.url, poolSize: 1 });
    await dataSource.initialize();
    try {
      expect(await dataSource.query('SELECT 3 AS three')).toEqual([{ three: 3 }]);
    } finally {
      await dataSource.destroy();
    }
  });

  it('listens on no TCP port, only on a socket in a directory only its owner may enter', () => {
    const target = endpoint(db.url);
    expect(target).toHaveProperty('path');
    const { path } = target as { path: string };
    expect(lstatSync(path).isSocket()).toBe(true);
    const dir = lstatSync(join(path, '..'));
    expect(dir.isDirectory()).toBe(true);
    expect(dir.mode & 0o777).toBe(0o700);
    expect(dir.uid).toBe(process.getuid!());
  });

  // Switching users needs root, as the CI container runs; elsewhere the mode check above stands.
  (process.getuid?.() === 0 ? it : it.skip)('refuses a connection from another local user', () => {
    const target = endpoint(db.url);
    expect(connectAs(process.getuid!(), target)).toBe('connected');
    expect(connectAs(NOBODY, target)).toBe('EACCES');
  });

  it('keeps its URL across a restart on the same data directory and port', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'oncelink-embedded-'));
    try {
      const port = await freePort();
      const first = await startEmbeddedDatabase(dataDir, port);
      await first.stop();
      const second = await startEmbeddedDatabase(dataDir, port);
      try {
        expect(second.url).toBe(first.url);
        const client = new Client({ connectionString: second.url });
        await client.connect();
        await client.end();
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps pgdata to its owner (0700), also one an earlier version made readable', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'oncelink-embedded-'));
    try {
      mkdirSync(join(dataDir, 'pgdata'), { mode: 0o755 });
      chmodSync(join(dataDir, 'pgdata'), 0o755);
      const db = await startEmbeddedDatabase(dataDir, await freePort());
      try {
        expect(lstatSync(join(dataDir, 'pgdata')).mode & 0o777).toBe(0o700);
      } finally {
        await db.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  // Giving a directory away needs root, as the CI container runs: a user other than its owner could not chmod it (EPERM).
  (process.getuid?.() === 0 ? it : it.skip)('leaves the mode of a pgdata another user owns (a restored backup), and opens it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'oncelink-embedded-'));
    try {
      mkdirSync(join(dataDir, 'pgdata'), { mode: 0o755 });
      chmodSync(join(dataDir, 'pgdata'), 0o755);
      chownSync(join(dataDir, 'pgdata'), NOBODY, NOBODY);
      const db = await startEmbeddedDatabase(dataDir, await freePort());
      try {
        expect(lstatSync(join(dataDir, 'pgdata')).mode & 0o777).toBe(0o755);
      } finally {
        await db.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('stops the start with one line and exit 1 when DATA_DIR/pgdata cannot be opened', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'oncelink-embedded-'));
    try {
      // A pgdata PGlite takes for a database (it has a PG_VERSION) but cannot open.
      mkdirSync(join(dataDir, 'pgdata'));
      writeFileSync(join(dataDir, 'pgdata', 'PG_VERSION'), '15\n');
      const { code, stderr } = await runServerToExit({ DATA_DIR: dataDir });
      expect(code).toBe(1);
      expect(stderr).toBe('Oncelink could not start: DATA_DIR/pgdata cannot be opened: PGlite failed to initialize properly\n');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});
