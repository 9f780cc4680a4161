import { Logger, Provider } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { developmentKey } from '../config/encryption-key';
import { Keyring } from './keyring';

/**
 * ENCRYPTION_KEY, or else (embedded database, outside production) the development key in
 * DATA_DIR, generated once. main.ts checks that file before anything starts, so a bad one stops
 * the start with exit 78; here it still throws rather than encrypt with a wrong-sized key.
 */
function activeKey(config: AppConfig): Buffer {
  if (config.encryptionKey) return Buffer.from(config.encryptionKey, 'base64');
  const { key, file, generated } = developmentKey(config.dataDir);
  if (generated) {
    new Logger('Keyring').warn(`ENCRYPTION_KEY is not set; generated a development key in ${file}. Set ENCRYPTION_KEY in production.`);
  }
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
