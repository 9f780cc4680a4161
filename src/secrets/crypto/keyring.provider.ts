import { Logger, Provider } from '@nestjs/common';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { Keyring } from './keyring';

/** Outside production a missing key is generated once into DATA_DIR (production requires ENCRYPTION_KEY). */
function activeKey(config: AppConfig): Buffer {
  if (config.encryptionKey) return Buffer.from(config.encryptionKey, 'base64');
  const file = join(config.dataDir, 'encryption.key');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  mkdirSync(config.dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64'), { mode: 0o600, flag: 'wx' });
  new Logger('Keyring').warn(`ENCRYPTION_KEY is not set; generated a development key in ${file}. Set ENCRYPTION_KEY in production.`);
  return key;
}

export const keyringProvider: Provider = {
  provide: Keyring,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) =>
    new Keyring(
      activeKey(config),
      config.encryptionKeysOld.map((key) => Buffer.from(key, 'base64')),
    ),
};
