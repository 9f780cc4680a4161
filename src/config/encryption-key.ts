import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, isMasterKey } from './app-config';

const KEY_BYTES = 32;

function keyFile(dataDir: string): string {
  return join(dataDir, 'encryption.key');
}

/** The key in `file`, or a ConfigError naming the file when it cannot be read or is not exactly 32 bytes in base64. */
function readKeyFile(file: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    // A directory or an unreadable file: Node's EISDIR/EACCES line does not say which file.
    throw new ConfigError(
      `${file} cannot be read as the key file (${(error as NodeJS.ErrnoException).code}): fix or remove it, or set ENCRYPTION_KEY`,
    );
  }
  if (!isMasterKey(text)) {
    throw new ConfigError(
      `${file} must hold a key of exactly ${KEY_BYTES} bytes encoded in base64: fix or remove it, or set ENCRYPTION_KEY`,
    );
  }
  return Buffer.from(text, 'base64');
}

/** Stops the start (main.ts, before anything runs) on a development key file that is there but unusable. */
export function checkDevelopmentKeyFile(dataDir: string): void {
  const file = keyFile(dataDir);
  if (existsSync(file)) readKeyFile(file);
}

/**
 * The development key in `DATA_DIR/encryption.key`, used only without ENCRYPTION_KEY (which
 * loadConfig requires in production and with DATABASE_URL), generated when there is no file.
 * A file that is not 32 bytes throws: using it would encrypt with a wrong-sized key, and
 * replacing it would lose every secret encrypted so far.
 */
export function developmentKey(dataDir: string): { key: Buffer; file: string; generated: boolean } {
  const file = keyFile(dataDir);
  if (existsSync(file)) return { key: readKeyFile(file), file, generated: false };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  writeFileSync(file, key.toString('base64'), { mode: 0o600, flag: 'wx' });
  return { key, file, generated: true };
}
