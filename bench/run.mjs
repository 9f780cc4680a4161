// Benchmarks Oncelink's hot paths against the built server (`npm run bench`). Measured, never asserted.
//
//   BENCH_SECONDS       seconds per scenario (default 5)
//   BENCH_CONNECTIONS   concurrent connections (default 10)
//   BENCH_DATABASE_URL  a PostgreSQL server to create a scratch database on
//                       (default postgres://postgres@127.0.0.1:5432/test); unreachable: embedded PGlite
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import pg from 'pg';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROOT = new URL('..', import.meta.url).pathname;
const CONTENT = 'x'.repeat(100);

/** A scratch database on the PostgreSQL server, or null when there is none to reach. */
async function createScratchDatabase() {
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    console.warn(`PostgreSQL unreachable at ${ADMIN_URL} (${error.message}); using embedded PGlite.`);
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

async function api(base, method, path, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}/api/v1${path}`, { method, headers, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json.data;
}

/** Creates `count` one-view secrets, `CONNECTIONS` at a time, and returns their link tokens. */
async function createSecrets(base, pat, count) {
  const tokens = [];
  let started = 0;
  const worker = async () => {
    while (started++ < count) {
      const secret = await api(base, 'POST', '/secrets', { content: CONTENT, expire_mode: 'views', expire_value: 1 }, pat);
      tokens.push(secret.token);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  return tokens;
}

async function measure(name, options) {
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options });
  const row = {
    scenario: name,
    'req/s': Math.round(result.requests.average),
    'p50 ms': result.latency.p50,
    'p97.5 ms': result.latency.p97_5,
    'p99 ms': result.latency.p99,
    requests: result.requests.total,
    'non-2xx': result.non2xx,
    errors: result.errors + result.timeouts,
  };
  if (row['non-2xx'] || row.errors) {
    console.warn(`WARNING: ${name}: ${row['non-2xx']} non-2xx responses, ${row.errors} errors/timeouts`);
  }
  return row;
}

async function main() {
  const database = await createScratchDatabase();
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
    LOG_LEVEL: 'silent',
  };
  if (database) env.DATABASE_URL = database.url;
  else delete env.DATABASE_URL;
  const server = spawn(process.execPath, ['dist/src/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });

  try {
    await waitReady(base, server);
    const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
    const password = randomBytes(12).toString('hex');
    await api(base, 'POST', '/auth/register', { email, password, name: 'Bench' });
    const abilities = ['secrets:read', 'secrets:write', 'team:read', 'team:write'];
    const { token: pat } = await api(base, 'POST', '/auth/token', { email, password, device_name: 'bench', abilities });
    const auth = { authorization: `Bearer ${pat}`, 'content-type': 'application/json' };
    const rows = [];
    console.log(
      `Oncelink bench: ${SECONDS} s per scenario, ${CONNECTIONS} connections, ` +
        `${availableParallelism()} CPUs, ${database ? 'PostgreSQL' : 'embedded PGlite'}`,
    );

    rows.push(await measure('GET /account', { url: `${base}/api/v1/account`, headers: auth }));

    const createBody = JSON.stringify({ content: CONTENT, expire_mode: 'views', expire_value: 1 });
    rows.push(await measure('POST /secrets', { url: `${base}/api/v1/secrets`, method: 'POST', headers: auth, body: createBody }));

    // One fresh secret per reveal: enough for the measured create rate with headroom; the run
    // stops early rather than reveal a burned secret if reveals outpace that estimate.
    const count = Math.max(500, Math.ceil(rows[1]['req/s'] * SECONDS * 2));
    process.stdout.write(`Creating ${count} secrets to reveal... `);
    const tokens = await createSecrets(base, pat, count);
    console.log('done');
    let next = 0;
    rows.push(
      await measure('POST /links/{token}/reveal', {
        url: base,
        maxOverallRequests: tokens.length,
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{}',
            setupRequest: (req) => ({ ...req, path: `/api/v1/links/${tokens[next++ % tokens.length]}/reveal` }),
          },
        ],
      }),
    );

    const longLived = await api(base, 'POST', '/secrets', { content: CONTENT, expire_mode: 'minutes', expire_value: 60 }, pat);
    rows.push(await measure('GET /links/{token}', { url: `${base}/api/v1/links/${longLived.token}` }));

    console.table(rows);
    const resultsDir = join(ROOT, 'bench', 'results');
    await mkdir(resultsDir, { recursive: true });
    const results = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: availableParallelism(),
      database: database ? 'postgresql' : 'pglite',
      seconds: SECONDS,
      connections: CONNECTIONS,
      scenarios: rows,
    };
    await writeFile(join(resultsDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log('Wrote bench/results/latest.json');
  } finally {
    const exited = new Promise((resolve) => (server.exitCode !== null ? resolve() : server.once('exit', resolve)));
    server.kill('SIGTERM');
    const forced = setTimeout(() => server.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(forced);
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
