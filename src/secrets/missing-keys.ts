import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Keyring } from '../crypto/keyring';
import { WebhookSecretsService } from '../webhooks/webhook-secrets.service';
import { SecretRepository } from './secret.repository';

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

/**
 * A new ENCRYPTION_KEY without the old one in ENCRYPTION_KEYS_OLD starts and reports ready while
 * every existing secret answers 503 key_unavailable: at start, one warning names the keys live
 * data was sealed with and the keyring lacks. Not a readiness failure, as during a rollout another
 * instance may hold them. In the background, as it scans every active secret once.
 */
@Injectable()
export class MissingKeys implements OnApplicationBootstrap {
  private readonly logger = new Logger('Keyring');

  constructor(
    private readonly keyring: Keyring,
    private readonly secrets: SecretRepository,
    private readonly webhookSecrets: WebhookSecretsService,
  ) {}

  onApplicationBootstrap(): void {
    const held = this.keyring.keyIds;
    Promise.all([this.secrets.countSealedWithout(held), this.webhookSecrets.countSealedWithout(held)]).then(
      ([secrets, webhookSecrets]) => {
        const missing = [...new Set([...secrets.keys(), ...webhookSecrets.keys()])].sort();
        if (!missing.length) return;
        const keys = missing.map(
          (id) => `${id} (${plural(secrets.get(id) ?? 0, 'secret')}, ${plural(webhookSecrets.get(id) ?? 0, 'webhook secret')})`,
        );
        this.logger.warn(
          `Data is sealed with keys neither ENCRYPTION_KEY nor ENCRYPTION_KEYS_OLD holds: ${keys.join(', ')}; ` +
            'this instance answers 503 key_unavailable for them. List the old key in ENCRYPTION_KEYS_OLD.',
        );
      },
      (error: Error) => this.logger.warn(`Could not check which keys the data is sealed with: ${error.message}`),
    );
  }
}
