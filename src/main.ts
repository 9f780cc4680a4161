import 'reflect-metadata';
import { createApp } from './bootstrap';
import { startEmbeddedDatabase } from './common/database/embedded-database';
import { ConfigError, loadConfig } from './config/app-config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Invalid configuration: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }

  const embedded = config.databaseUrl ? undefined : await startEmbeddedDatabase(config.dataDir);
  const app = await createApp(
    embedded
      ? // pglite-socket's multiplexer can cross replies between connections that interleave
        // transactions, so the embedded database gets exactly one connection.
        { ...config, databaseUrl: embedded.url, databasePoolSize: 1 }
      : { ...config, databaseUrl: config.databaseUrl! },
  );
  await app.listen({ port: config.port, host: config.host });

  // Nest's shutdown hooks close the HTTP server (finishing in-flight requests) and the pool;
  // the embedded database can only stop after that.
  const stop = async () => {
    await app.close();
    await embedded?.stop();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
