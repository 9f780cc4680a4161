import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './bootstrap';
import { startEmbeddedDatabase } from './common/database/embedded-database';
import { startFailure } from './common/errors/start-failure';
import { AppConfig, ConfigError, loadConfig, serverOrigin } from './config/app-config';
import { checkDevelopmentKeyFile } from './config/encryption-key';
import { CountryLookup } from './geo/country-lookup';
import { ShutdownNotice } from './health/shutdown-notice';
import { FileSecretsService } from './secrets/files/file-secrets.service';

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

function failedToStart(error: unknown): never {
  const failure = startFailure(error);
  if (!failure) throw error;
  process.stderr.write(`${failure.line}\n`);
  process.exit(failure.status);
}

/** The signals that stop the server: an orchestrator's, Ctrl-C, and a closing terminal's. */
const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

async function main(): Promise<void> {
  const config = readConfig();

  // A signal during start-up (migrations may take a while) is kept and answered once the server is
  // up, by the same drain: its default, death, would leave the embedded database stopped mid-write.
  // A second Ctrl-C means now, as it does while draining.
  let early: NodeJS.Signals | undefined;
  const keep = (signal: NodeJS.Signals) => {
    if (early === 'SIGINT' && signal === 'SIGINT') process.exit(130);
    early ??= signal;
  };
  for (const signal of STOP_SIGNALS) process.on(signal, keep);

  const embedded = config.databaseUrl ? undefined : await startEmbeddedDatabase(config.dataDir);
  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  try {
    app = await createApp(
      embedded
        ? // pglite-socket's multiplexer can cross replies between connections that interleave
          // transactions, so the embedded database gets exactly one connection.
          { ...config, databaseUrl: embedded.url, embeddedDatabase: true, databasePoolSize: 1 }
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
  // What the drain says goes through the app's logger, as JSON lines like every other.
  const log = new Logger('Shutdown');
  let stopping = false;
  // What the drain is waiting on, for the line SHUTDOWN_TIMEOUT_MS ends with: the HTTP server
  // closes once its last request is answered, and the workers and the pool close after it.
  let waitingOn = 'requests still in flight';
  started.getHttpServer().once('close', () => (waitingOn = 'the workers or the database pool still closing'));
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping && signal === 'SIGINT') {
      log.warn(`${signal} again: exiting at once`);
      process.exit(130);
    }
    if (stopping) return log.log(`${signal}: already stopping, waiting for in-flight requests`);
    stopping = true;
    setTimeout(() => {
      // A file download slower than the timeout is cut off, its view spent: say whose.
      const downloads = started.get(FileSecretsService).downloadsUnderWay();
      const abandoned = downloads.length ? `, abandoning ${downloads.length} file download(s) (secrets ${downloads.join(', ')})` : '';
      log.warn(`${signal}: ${waitingOn} after SHUTDOWN_TIMEOUT_MS (${config.shutdownTimeoutMs} ms)${abandoned}; exiting`);
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    // SIGTERM is an orchestrator's (a rolling restart): first the load balancer is told, by
    // readiness and by every answer closing its connection, and stops sending here.
    if (signal === 'SIGTERM' && config.shutdownDelayMs > 0) {
      log.log(`${signal}: not ready, still serving for SHUTDOWN_DELAY_MS (${config.shutdownDelayMs} ms) before draining`);
      started.get(ShutdownNotice).given = true;
      await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
    }
    log.log(`${signal}: draining: no new connections, finishing the requests in flight`);
    await started.close();
    waitingOn = 'the embedded database still stopping';
    await embedded?.stop();
    log.log(`${signal}: drained; exiting`);
    process.exit(0);
  };
  for (const signal of STOP_SIGNALS) {
    process.off(signal, keep);
    process.on(signal, (received) => void stop(received));
  }
  if (early) void stop(early);
}

main().catch(failedToStart);
