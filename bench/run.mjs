// Benchmarks Oncelink's hot path against a bare node:http + pg server doing the same essential
// work (bench/reference-server.mjs), in the same run on the same PostgreSQL, then its other
// routes and a 50 MiB file secret's throughput and memory, then the pair loop again on the
// embedded database. Measured, never asserted.
//
//   BENCH_SECONDS       measured seconds per scenario (default 10, after a 2 s warm-up)
//   BENCH_ROUNDS        reference-then-Oncelink pair rounds, interleaved so both meet the
//                       machine in the same state (default 3); the ratio is their median
//   BENCH_CONNECTIONS   concurrent clients (default 32)
//   BENCH_DATABASE_URL  a PostgreSQL server to create scratch databases on
//                       (default postgres://postgres@127.0.0.1:5432/test); unreachable: embedded only
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import pg from 'pg';
import { cpuMeter } from './cpu-split.mjs';
import { fileLoad } from './file-load.mjs';
import { pairLoad } from './pair-load.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1)
  throw new Error(`BENCH_ROUNDS must be a whole number of at least 1, not ${process.env.BENCH_ROUNDS}`);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROOT = new URL('..', import.meta.url).pathname;

/** A scratch database on the PostgreSQL server, or null when there is none to reach. */
async function createScratchDatabase() {
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    console.warn(`PostgreSQL unreachable at ${ADMIN_URL} (${error.message}); embedded PGlite only.`);
    return null;
  }
  const name = `oncelink_bench_${randomBytes(6).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const drop = async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  };
  return { url: url.toString(), drop };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitReady(base, child) {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with status ${child.exitCode}`);
    const res = await fetch(`${base}/readyz`).catch(() => null);
    if (res?.ok) return;
    await sleep(100);
  }
  throw new Error('server not ready after 60 s');
}

async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const forced = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(forced);
}

async function api(base, method, path, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}/api/v1${path}`, { method, headers, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json.data;
}

async function measure(name, options) {
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options });
  const row = {
    scenario: name,
    'req/s': Math.round(result.requests.average),
    'p50 ms': result.latency.p50,
    'p99 ms': result.latency.p99,
    'non-2xx': result.non2xx,
    errors: result.errors + result.timeouts,
  };
  if (row['non-2xx'] || row.errors) console.warn(`WARNING: ${name}: ${row['non-2xx']} non-2xx responses, ${row.errors} errors/timeouts`);
  return row;
}

/** The reference server on its own scratch database; resolves with its base URL, PAT and process. */
async function startReference(url) {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'bench/reference-server.mjs'), url, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pat = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`reference server exited with ${code}`)));
    child.stdout.on('data', (chunk) => {
      const match = /ready (\S+)/.exec(chunk.toString());
      if (match) resolve(match[1]);
    });
  });
  return { base: `http://127.0.0.1:${port}`, pat, child, databaseUrl: url };
}

/** The built Oncelink server, as production runs it (logs at info, to nowhere), with a user and a PAT. */
async function startOncelink(databaseUrl) {
  const dataDir = await mkdtemp(join(tmpdir(), 'oncelink-bench-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    RATE_LIMIT_ENABLED: 'false',
    LOG_LEVEL: 'info',
  };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  else delete env.DATABASE_URL;
  const child = spawn(process.execPath, ['dist/src/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  await waitReady(base, child);
  const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
  const password = randomBytes(12).toString('hex');
  await api(base, 'POST', '/auth/register', { email, password, name: 'Bench' });
  const abilities = ['secrets:read', 'secrets:write', 'team:read', 'team:write'];
  const { token: pat } = await api(base, 'POST', '/auth/token', { email, password, device_name: 'bench', abilities });
  return {
    base,
    pat,
    child,
    databaseUrl,
    close: async () => {
      await stop(child);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const value = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return Math.round(value * 100) / 100;
}

/** A pg client on `url` for as long as `use` runs. */
async function withClient(url, use) {
  const client = new pg.Client({ connectionString: url });
  // A dropped connection fails its query (the meter's WAL column is then empty) rather than ending the run.
  client.on('error', (error) => console.warn(`bench: the metering connection failed: ${error.message}`));
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** The pair loop against the reference, then against Oncelink, ROUNDS times: each round's ratio compares runs seconds apart. */
async function pairRounds(reference, app, load) {
  const rounds = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const floor = await withClient(reference.databaseUrl, (database) =>
      pairLoad({
        ...load,
        base: reference.base,
        pat: reference.pat,
        meter: cpuMeter(reference.child.pid, database),
      }),
    );
    const oncelink = await withClient(app.databaseUrl, (database) =>
      pairLoad({ ...load, base: app.base, pat: app.pat, meter: cpuMeter(app.child.pid, database) }),
    );
    const ratio = Math.round((oncelink['pairs/s'] / floor['pairs/s']) * 100) / 100;
    console.log(`\nCreate + reveal pairs on PostgreSQL (closed loop), round ${round} of ${ROUNDS}:`);
    console.table({ reference: floor, oncelink });
    rounds.push({ reference: floor, oncelink, ratio });
  }
  return rounds;
}

async function main() {
  const load = { connections: CONNECTIONS, seconds: SECONDS };
  const machine = `${availableParallelism()} CPUs (${cpus()[0]?.model.trim()}), Node ${process.version}`;
  console.log(`Oncelink bench: ${SECONDS} s per scenario after a 2 s warm-up, ${ROUNDS} pair rounds, ${CONNECTIONS} clients, ${machine}`);
  const results = { date: new Date().toISOString(), machine, seconds: SECONDS, rounds: ROUNDS, connections: CONNECTIONS };

  const refDb = await createScratchDatabase();
  const appDb = refDb && (await createScratchDatabase());
  try {
    if (refDb && appDb) {
      const reference = await startReference(refDb.url);
      const app = await startOncelink(appDb.url).catch(async (error) => {
        await stop(reference.child);
        throw error;
      });
      try {
        const rounds = await pairRounds(reference, app, load).finally(() => stop(reference.child));
        const ratios = rounds.map((round) => round.ratio);
        const ratio = median(ratios);
        console.log(`Ratio (Oncelink / reference): ${ratio} (median of ${ratios.join(', ')})`);
        Object.assign(results, { pairs: { rounds, ratio } });

        // The pair rounds rewrote every row they made; until (auto)vacuum marks those pages all-visible,
        // GET /secrets's count reads the heap instead of the index alone (23 ms against 2 ms for 24,000
        // rows). Vacuumed first, the figure no longer depends on whether autovacuum happened to run.
        await withClient(appDb.url, (db) => db.query('VACUUM ANALYZE secrets'));
        const auth = { authorization: `Bearer ${app.pat}` };
        const longLived = await api(app.base, 'POST', '/secrets', { content: 'x', expire_mode: 'minutes', expire_value: 60 }, app.pat);
        const rows = [
          await measure('GET /account', { url: `${app.base}/api/v1/account`, headers: auth }),
          await measure('GET /secrets', { url: `${app.base}/api/v1/secrets`, headers: auth }),
          await measure('GET /links/{token}', { url: `${app.base}/api/v1/links/${longLived.token}` }),
        ];
        console.log('\nOther routes on PostgreSQL:');
        console.table(rows);
        results.routes = rows;

        // File secrets are a Pro feature.
        await withClient(appDb.url, (db) => db.query(`UPDATE teams SET plan = 'pro'`));
        await fileLoad({ base: app.base, pat: app.pat, pid: app.child.pid, mib: 5 });
        const files = await fileLoad({ base: app.base, pat: app.pat, pid: app.child.pid, mib: 50 });
        console.log('\nA 50 MiB file secret (server mode) up and down on PostgreSQL:');
        console.table({ file: files });
        results.files = files;
      } finally {
        await app.close();
      }
    }

    const embedded = await startOncelink(undefined);
    try {
      const pairs = await pairLoad({ ...load, base: embedded.base, pat: embedded.pat, meter: cpuMeter(embedded.child.pid, null) });
      console.log('\nCreate + reveal pairs on the embedded database (PGlite, one connection):');
      console.table({ oncelink: pairs });
      results.embedded = pairs;
    } finally {
      await embedded.close();
    }
  } finally {
    await refDb?.drop();
    await appDb?.drop();
  }
  const resultsDir = join(ROOT, 'bench', 'results');
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log('Wrote bench/results/latest.json');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
