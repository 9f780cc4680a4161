import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { TokenAuth } from '../auth/auth-context';
import { ApiError } from '../common/errors/api-error';
import { Keyring } from '../crypto/keyring';
import type { ClientInfo } from '../geo/client.decorator';
import { generateWebhookSecret } from './webhook-signature';
import type { WebhookSecretResponse } from './webhook-secret.response';
import type { TeamWebhookSecret } from './team-webhook-secret.entity';
import { TeamWebhookSecretRepository } from './team-webhook-secret.repository';

/**
 * The teams' signing secrets, kept sealed with the keyring (bound to the team, so a sealed secret
 * copied to another team's row does not open). A team gets its secret on first use.
 */
@Injectable()
export class WebhookSecretsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly stored: TeamWebhookSecretRepository,
    private readonly keyring: Keyring,
    private readonly audit: AuditService,
  ) {}

  async show(teamId: string): Promise<WebhookSecretResponse> {
    return this.present(await this.ensure(teamId));
  }

  /** A new secret signs from now on; the old one keeps signing alongside it for 24 hours. Audited in the same transaction. */
  async rotate(auth: TokenAuth, client: ClientInfo): Promise<WebhookSecretResponse> {
    await this.ensure(auth.teamId);
    const sealed = this.seal(auth.teamId, generateWebhookSecret());
    return this.db.transaction(async (manager) => {
      const rotated = await this.stored.rotate(auth.teamId, sealed, manager);
      // Gone with its team, deleted while the update waited on the row: the token went with it too.
      if (!rotated) throw ApiError.unauthenticated(true);
      await this.audit.record(auth, client, 'webhook_secret.rotated', null, manager);
      return this.present(rotated);
    });
  }

  /** How many signing secrets, current or still signing, each key id outside `held` sealed (for MissingKeys). */
  countSealedWithout(held: string[]): Promise<Map<string, number>> {
    return this.stored.countSealedWithout(held);
  }

  /** The secrets that sign a delivery now: the current one, and the replaced one during its day of grace. */
  async signingSecrets(teamId: string): Promise<string[]> {
    const row = await this.ensure(teamId);
    const secrets = [this.open(teamId, row.keyId, row.iv, row.ciphertext)];
    if (previousStillSigns(row)) {
      secrets.push(this.open(teamId, row.previousKeyId!, row.previousIv!, row.previousCiphertext!));
    }
    return secrets;
  }

  private async ensure(teamId: string): Promise<TeamWebhookSecret> {
    return (await this.stored.findByTeam(teamId)) ?? this.stored.findOrInsert(teamId, this.seal(teamId, generateWebhookSecret()));
  }

  private present(row: TeamWebhookSecret): WebhookSecretResponse {
    if (!this.keyring.keyIds.includes(row.keyId)) {
      // Sealed by an instance with another ENCRYPTION_KEY: one that holds it can show it.
      throw ApiError.unavailable('This server cannot open the signing secret now.', { code: 'key_unavailable' });
    }
    return {
      secret: this.open(row.teamId, row.keyId, row.iv, row.ciphertext),
      rotated_at: row.rotatedAt.toISOString(),
      previous_expires_at: previousStillSigns(row) ? row.previousExpiresAt!.toISOString() : null,
    };
  }

  private seal(teamId: string, secret: string) {
    return this.keyring.encrypt(boundTo(teamId), Buffer.from(secret));
  }

  private open(teamId: string, keyId: string, iv: Buffer, ciphertext: Buffer): string {
    return this.keyring.decrypt(boundTo(teamId), { keyId, iv, ciphertext }).toString();
  }
}

const boundTo = (teamId: string) => `team-webhook-secret:${teamId}`;

/** Within its day of grace after a rotation, the replaced secret signs too. */
const previousStillSigns = (row: TeamWebhookSecret) =>
  !!row.previousCiphertext && !!row.previousExpiresAt && row.previousExpiresAt > new Date();
