import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Client } from 'pg';
import { DISK_FLOOR_BYTES, WAL_SEGMENT_BYTES } from '../src/common/database/disk-space';
import { databaseMode } from './support/database';
import { eventually } from './support/eventually';
import { bearer, newTeam } from './support/factories';
import { generatedBytes, uploadFile } from './support/multipart';
import { ServerProcess, startServerProcess } from './support/server-process';
import { newTeamAt } from './support/teams';

const MIB = 1024 * 1024;

/** A small filesystem of its own for DATA_DIR, so the spec can fill it: a tmpfs, which needs root (CI runs as root). */
function mountSmallDisk(): string | undefined {
  if (databaseMode() !== 'embedded' || process.getuid?.() !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'oncelink-disk-'));
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', dir]).status === 0) return dir;
  rmSync(dir, { recursive: true, force: true });
  return undefined;
}

const disk = mountSmallDisk();
// PostgreSQL servers handle their own full disks; the guard is the embedded database's.
const onSmallDisk = disk ? describe : describe.skip;
if (!disk) {
  console.info('disk-full.e2e-spec skipped: it needs the embedded database and permission to mount a tmpfs (root)');
}

/** Short client timeouts: a wedged server must fail the spec, not hang it. */
const call = (url: string, init: RequestInit = {}) => fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });

/** Fills the filesystem with a plain file until `left` bytes of it are free; answers the file. */
function fillDisk(left: number): string {
  const filler = join(disk!, 'filler');
  const fd = openSync(filler, 'w');
  const { bavail, bsize } = statfsSync(disk!);
  const chunk = Buffer.alloc(MIB);
  for (let rest = bavail * bsize - left; rest > 0; rest -= chunk.length) writeSync(fd, chunk, 0, Math.min(rest, chunk.length));
  closeSync(fd);
  return filler;
}

onSmallDisk('an embedded database whose disk is nearly full', () => {
  let server: ServerProcess;
  let pat: string;
  let proPat: string;
  /** The server's own embedded database, on its socket in DATA_DIR. */
  let databaseUrl: string;

  beforeAll(async () => {
    server = await startServerProcess({ DATA_DIR: join(disk!, 'data') });
    databaseUrl = `postgres://postgres@${encodeURIComponent(join(disk!, 'data', 'pgsocket'))}:5432/postgres`;
    ({ pat } = await newTeam(server.baseUrl));
    proPat = await newTeamAt('pro', server.baseUrl, databaseUrl);
  }, 60_000);

  afterAll(async () => {
    if (server) {
      server.child.kill('SIGKILL');
      await server.stop();
    }
    spawnSync('umount', [disk!]);
    rmSync(disk!, { recursive: true, force: true });
  });

  const create = () =>
    call(`${server.baseUrl}/api/v1/secrets`, {
      method: 'POST',
      headers: { ...bearer(pat), 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'correct horse battery staple', expire_mode: 'views', expire_value: 1 }),
    });

  it('refuses writes with a 503 to retry, says so on /readyz, and takes writes again once space is back', async () => {
    const filler = fillDisk(DISK_FLOOR_BYTES / 2);

    expect(await eventually(async () => (await call(`${server.baseUrl}/readyz`)).status === 503, 10)).toBe(true);
    const refused = await create();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await call(`${server.baseUrl}/healthz`)).status).toBe(200);

    rmSync(filler);
    expect(await eventually(async () => (await create()).status === 201, 10, 500)).toBe(true);
    expect((await call(`${server.baseUrl}/readyz`)).status).toBe(200);
  }, 60_000);

  it('keeps a WAL segment of room above the floor, which PostgreSQL may take whole for the next write', async () => {
    const filler = fillDisk(DISK_FLOOR_BYTES + WAL_SEGMENT_BYTES / 2);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await call(`${server.baseUrl}/readyz`)).status).toBe(200);
    const refused = await create();
    expect([refused.status, ((await refused.json()) as { code?: string }).code]).toEqual([503, 'disk_full']);
    rmSync(filler);
    expect(await eventually(async () => (await create()).status === 201, 10, 500)).toBe(true);
  }, 60_000);

  /** What the database holds of secrets and of files' bytes, read on a connection of the spec's own. */
  async function stored(): Promise<{ secrets: number; parts: number }> {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query(
        'SELECT (SELECT count(*)::int FROM secrets) AS secrets, (SELECT count(*)::int FROM secret_file_parts) AS parts',
      );
      return rows[0];
    } finally {
      await client.end();
    }
  }

  const fields = { expire_mode: 'views', expire_value: '1' };

  it('stops an upload with a 503 once the disk nears the floor as its parts are written, keeping nothing', async () => {
    const before = await stored();
    let filler = '';
    // The upload begins with room to spare; then the disk fills to 1 MiB above the floor, far less than the rest of the file.
    async function* file(): AsyncGenerator<Buffer> {
      yield* generatedBytes(4 * MIB, 'head');
      await new Promise((resolve) => setTimeout(resolve, 500));
      filler = fillDisk(DISK_FLOOR_BYTES + MIB);
      yield* generatedBytes(80 * MIB, 'rest');
    }
    const res = await uploadFile(server.baseUrl, proPat, fields, { name: 'big.bin', type: 'application/octet-stream', data: file() });
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('disk_full');
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect((await call(`${server.baseUrl}/healthz`)).status).toBe(200);
    expect(await stored()).toEqual(before);

    rmSync(filler);
    expect(await eventually(async () => (await create()).status === 201, 10, 500)).toBe(true);
  }, 60_000);

  it('refuses an upload whose declared size the free space cannot take before reading its body', async () => {
    const before = await stored();
    // Above the floor and a WAL segment, so the request is let in, but with room for 16 MiB (twice that in WAL) at most.
    const filler = fillDisk(DISK_FLOOR_BYTES + WAL_SEGMENT_BYTES + 32 * MIB);
    expect(await eventually(async () => (await call(`${server.baseUrl}/readyz`)).status === 200, 10)).toBe(true);
    const res = await uploadFile(
      server.baseUrl,
      proPat,
      fields,
      { name: 'big.bin', type: 'application/octet-stream', data: generatedBytes(MIB), size: MIB },
      { declaredLength: 40 * MIB },
    );
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('disk_full');
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(await stored()).toEqual(before);
    rmSync(filler);
  }, 60_000);

  it('counts the writes let in between two readings, so a burst of large creates stops above the floor', async () => {
    // 8 MiB above the floor and a WAL segment: room for three creates of 1 MiB, each twice over with the WAL.
    const filler = fillDisk(DISK_FLOOR_BYTES + WAL_SEGMENT_BYTES + 8 * MIB);
    // A reading after the fill (they come every 2 s), so the server starts from what the disk has now.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const big = (n: number) =>
      // Random, so PostgreSQL cannot compress it; under the Pro plan's 1 MiB.
      fetch(`${server.baseUrl}/api/v1/secrets`, {
        method: 'POST',
        headers: { ...bearer(proPat), 'content-type': 'application/json' },
        body: JSON.stringify({ content: randomBytes(3 * (MIB / 4 - 256)).toString('base64') + n, expire_mode: 'views', expire_value: 1 }),
        // A server wedged by a full disk answers nothing: the spec must fail, not hang.
        signal: AbortSignal.timeout(20_000),
      }).then(async (res) => (res.status === 201 ? 'created' : `${res.status} ${((await res.json()) as { code?: string }).code}`));
    const answers = await Promise.allSettled(Array.from({ length: 40 }, (_, n) => big(n)));
    const { bavail, bsize } = statfsSync(disk!);
    const statuses = answers.map((answer) => (answer.status === 'fulfilled' ? answer.value : 'no answer'));

    const created = statuses.filter((status) => status === 'created').length;
    expect(created).toBeGreaterThanOrEqual(1);
    expect(created).toBeLessThanOrEqual(4);
    expect(statuses.filter((status) => status !== 'created')).toEqual(Array(40 - created).fill('503 disk_full'));
    // A small margin under the floor: the WAL's page images and the catalog's own writes.
    expect(bavail * bsize).toBeGreaterThanOrEqual(DISK_FLOOR_BYTES - 4 * MIB);
    expect((await call(`${server.baseUrl}/healthz`)).status).toBe(200);
    rmSync(filler);
  }, 90_000);

  it('gives back what a refused request was counted at, so refusals (here chunked bodies with a bad token) cannot hold writes off', async () => {
    // What the burst before left in PostgreSQL's buffers goes to disk before the fill measures it.
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    await db.query('CHECKPOINT').finally(() => db.end());
    // Room for two chunked bodies as counted (twice BODY_LIMIT_BYTES each), not three.
    const filler = fillDisk(DISK_FLOOR_BYTES + WAL_SEGMENT_BYTES + 10 * MIB);
    // Two readings (every 2 s) after the fill: the burst's creates stay counted until the second
    // one after them, and with one reading they took the room (every request here a 503, once in CI).
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    const refusedChunked = () =>
      new Promise<number>((resolve, reject) => {
        const request = httpRequest(`${server.baseUrl}/api/v1/secrets`, {
          method: 'POST',
          headers: { authorization: 'Bearer olk_live_not-a-token', 'content-type': 'application/json' },
          timeout: 10_000,
        });
        request.on('response', (res) => resolve(res.resume().statusCode!)).on('error', reject);
        // Written before the end, so Node states no Content-Length: sent chunked.
        request.write(JSON.stringify({ content: 'x', expire_mode: 'views', expire_value: 1 }));
        request.end();
      });
    const statuses: number[] = [];
    for (let n = 0; n < 10; n++) statuses.push(await refusedChunked());
    expect(statuses).toEqual(Array(10).fill(401));
    const res = await call(`${server.baseUrl}/api/v1/secrets`, {
      method: 'POST',
      headers: { ...bearer(pat), 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'still writes', expire_mode: 'views', expire_value: 1 }),
    });
    expect(res.status).toBe(201);
    rmSync(filler);
  }, 60_000);
});
