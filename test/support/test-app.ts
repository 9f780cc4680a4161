import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import supertest from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/bootstrap';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { createTestDatabase, TestDatabase } from './database';
import { freePort } from './free-port';

export interface TestApp {
  app: NestFastifyApplication;
  baseUrl: string;
  config: AppConfig;
  db: TestDatabase;
  http: () => supertest.Agent;
  dataSource: DataSource;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** A database the spec owns (and drops); without it the app gets a fresh one, dropped on close. */
  db?: TestDatabase;
}

/** Environment every test app starts from; a spec passes overrides as it would set variables. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    RATE_LIMIT_ENABLED: 'false',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'oncelink-test-')),
    LOG_LEVEL: 'silent',
    // The suite stops its servers with SIGTERM: no load balancer to tell first.
    SHUTDOWN_DELAY_MS: '0',
    ...overrides,
  };
}

/**
 * Starts the real app, listening on a free port, against `db` (a fresh database if none given).
 * Passport keeps its strategies in a process-wide registry, so only one app may be live per
 * spec file at a time (Jest gives each file its own registry); several instances at once run
 * as separate processes (see test/support/server-process.ts).
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  // A known port, so PUBLIC_URL (and the share links the app makes) point at this app.
  const port = await freePort();
  const config = loadConfig(testEnv({ PORT: String(port), ...(db.embedded ? { DATABASE_POOL_SIZE: '1' } : {}), ...options.env }));
  const app = await createApp({ ...config, databaseUrl: db.url, embeddedDatabase: db.embedded });
  await app.listen({ port, host: '127.0.0.1' });
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    app,
    baseUrl,
    config,
    db,
    http: () => supertest.agent(baseUrl),
    dataSource: app.get(DataSource),
    async close() {
      await app.close();
      if (!options.db) await db.drop();
      if (!options.env?.DATA_DIR) rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}

/** The app `useTestApp` runs; `close` is left out because its `afterAll` closes it. */
export type TestAppHandle = Omit<TestApp, 'close'>;

/**
 * Starts the app in `beforeAll` and closes it in `afterAll` of the enclosing describe block.
 * The handle reads through to the running app, so use it inside tests and hooks; `options`
 * may be a function when it needs something a `beforeAll` registered earlier made (a database).
 */
export function useTestApp(options: TestAppOptions | (() => TestAppOptions) = {}): TestAppHandle {
  let running: TestApp | undefined;
  const current = (): TestApp => {
    if (!running) throw new Error('The test app runs only between its beforeAll and afterAll: read it inside a test or hook.');
    return running;
  };
  beforeAll(async () => {
    running = await startTestApp(typeof options === 'function' ? options() : options);
  });
  afterAll(async () => {
    await running?.close();
    running = undefined;
  });
  return {
    get app() {
      return current().app;
    },
    get baseUrl() {
      return current().baseUrl;
    },
    get config() {
      return current().config;
    },
    get db() {
      return current().db;
    },
    get dataSource() {
      return current().dataSource;
    },
    // A plain function, so a spec may keep `const api = t.http` at the top of its describe block.
    http: () => current().http(),
  };
}
