import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './bootstrap';
import { DataDirInUse, DataDirUnusable } from './common/database/data-dir';
import { startEmbeddedDatabase } from './common/database/embedded-database';
import { AppConfig, ConfigError, loadConfig, serverOrigin } from './config/app-config';
import { checkDevelopmentKeyFile } from './config/encryption-key';
import { CountryLookup } from './geo/country-lookup';

/**
 * The configuration, checked before anything starts: files it names are opened here too, so a
 * bad one stops the start with one line naming its variable (exit 78) rather than a stack trace
 * from deep inside Nest.
 */
function readConfig(): AppConfig {
  const config = loadConfig(process.env);
  if (!config.encryptionKey) checkDevelopmentKeyFile(config.dataDir);
  try {
    CountryLookup.open(config.geo.database);
  } catch (error) {
    throw new ConfigError(`GEOIP_DATABASE ${config.geo.database} is not a readable country database (.mmdb): ${(error as Error).message}`);
  }
  return config;
}

/** Errors the operator can act on from one line: where it could not listen, what it could not open. */
const OPERATIONAL = new Set(['EADDRINUSE', 'EADDRNOTAVAIL', 'EACCES', 'ENOTFOUND', 'EAI_AGAIN', 'ENOENT', 'ENOTDIR', 'EISDIR', 'EPERM']);

function failedToStart(error: unknown): never {
  if (error instanceof ConfigError || error instanceof DataDirUnusable) {
    process.stderr.write(`Invalid configuration: ${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (error instanceof DataDirInUse || (code && OPERATIONAL.has(code))) {
    process.stderr.write(`Oncelink could not start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  throw error;
}

async function main(): Promise<void> {
  const config = readConfig();

  const embedded = config.databaseUrl ? undefined : await startEmbeddedDatabase(config.dataDir);
  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  try {
    app = await createApp(
      embedded
        ? // pglite-socket's multiplexer can cross replies between connections that interleave
          // transactions, so the embedded database gets exactly one connection.
          { ...config, databaseUrl: embedded.url, databasePoolSize: 1 }
        : { ...config, databaseUrl: config.databaseUrl! },
    );
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    // The database (and DATA_DIR's lock) go with the failed start, not with the process.
    await app?.close();
    await embedded?.stop();
    throw error;
  }
  const started = app;
  const origin = serverOrigin(config.host, config.port);
  new Logger('Oncelink').log(`listening on ${origin}${config.publicUrl === origin ? '' : `, links on ${config.publicUrl}`}`);

  // app.close() stops accepting, lets in-flight requests finish and closes the pool; the
  // embedded database can only stop after that. A second SIGTERM while draining changes nothing
  // (a supervisor's retry); a second Ctrl-C means now (exit 130, as a shell expects). A request
  // stuck on a hung database would hold the drain until the supervisor's SIGKILL: after
  // SHUTDOWN_TIMEOUT_MS (under Kubernetes' 30 s grace) the process says so and exits 1.
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping && signal === 'SIGINT') process.exit(130);
    if (stopping) return void process.stderr.write(`${signal}: already stopping, waiting for in-flight requests\n`);
    stopping = true;
    setTimeout(() => {
      process.stderr.write(`${signal}: requests still in flight after SHUTDOWN_TIMEOUT_MS (${config.shutdownTimeoutMs} ms); exiting\n`);
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    await started.close();
    await embedded?.stop();
    process.exit(0);
  };
  process.on('SIGTERM', (signal) => void stop(signal));
  process.on('SIGINT', (signal) => void stop(signal));
}

main().catch(failedToStart);
