import 'reflect-metadata';
import { createApp } from './bootstrap';
import { startEmbeddedDatabase } from './common/database/embedded-database';
import { AppConfig, ConfigError, loadConfig } from './config/app-config';
import { checkDevelopmentKeyFile } from './config/encryption-key';

function readConfig(): AppConfig {
  try {
    const config = loadConfig(process.env);
    // Here, before anything starts, rather than only in the keyring, where Nest would end the
    // process with a stack trace instead of exit 78.
    if (!config.encryptionKey) checkDevelopmentKeyFile(config.dataDir);
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Invalid configuration: ${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
}

async function main(): Promise<void> {
  const config = readConfig();

  const embedded = config.databaseUrl ? undefined : await startEmbeddedDatabase(config.dataDir);
  const app = await createApp(
    embedded
      ? // pglite-socket's multiplexer can cross replies between connections that interleave
        // transactions, so the embedded database gets exactly one connection.
        { ...config, databaseUrl: embedded.url, databasePoolSize: 1 }
      : { ...config, databaseUrl: config.databaseUrl! },
  );
  await app.listen({ port: config.port, host: config.host });

  // app.close() stops accepting, lets in-flight requests finish and closes the pool; the
  // embedded database can only stop after that.
  const stop = async () => {
    await app.close();
    await embedded?.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

void main();
