import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DISK_FLOOR_BYTES } from '../src/common/database/disk-space';
import { databaseMode } from './support/database';
import { eventually } from './support/eventually';
import { bearer, newTeam } from './support/factories';
import { ServerProcess, startServerProcess } from './support/server-process';

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

onSmallDisk('an embedded database whose disk is nearly full', () => {
  let server: ServerProcess;
  let pat: string;

  beforeAll(async () => {
    server = await startServerProcess({ DATA_DIR: join(disk!, 'data') });
    ({ pat } = await newTeam(server.baseUrl));
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
    // Fill the filesystem with a plain file until half the floor is left.
    const filler = join(disk!, 'filler');
    const { bavail, bsize } = statfsSync(disk!);
    const fd = openSync(filler, 'w');
    const chunk = Buffer.alloc(1024 * 1024);
    for (let left = bavail * bsize - DISK_FLOOR_BYTES / 2; left > 0; left -= chunk.length)
      writeSync(fd, chunk, 0, Math.min(left, chunk.length));
    closeSync(fd);

    expect(await eventually(async () => (await call(`${server.baseUrl}/readyz`)).status === 503, 10)).toBe(true);
    const refused = await create();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await call(`${server.baseUrl}/healthz`)).status).toBe(200);

    rmSync(filler);
    expect(await eventually(async () => (await create()).status === 201, 10, 500)).toBe(true);
    expect((await call(`${server.baseUrl}/readyz`)).status).toBe(200);
  }, 60_000);
});
