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
import { TeamWebhookSecret } from './team-webhook-secret.entity';

/** How long the replaced secret keeps signing after a rotation, so receivers can roll over. */
const ROLLOVER = `interval '24 hours'`;

/** Within its day of grace after a rotation, the replaced secret signs too (previousStillSigns, in SQL). */
const PREVIOUS_SIGNS = `previous_ciphertext IS NOT NULL AND previous_expires_at > now()`;

/**
 * The teams whose signing secrets an instance holding the master keys `$keys` (a text[]
 * parameter) cannot open: the current one, or the replaced one while it still signs. Such an
 * instance leaves their deliveries to one that can (mid-rollout of ENCRYPTION_KEY), rather than
 * spending their attempts on failing to sign.
 */
export const teamsUnsignableWith = (keys: string) => `SELECT team_id FROM team_webhook_secrets
  WHERE key_id <> ALL(${keys}) OR (${PREVIOUS_SIGNS} AND previous_key_id <> ALL(${keys}))`;

/**
 * The teams' signing secrets, kept sealed with the keyring (bound to the team, so a sealed secret
 * copied to another team's row does not open). A team gets its secret on first use.
 */
@Injectable()
export class WebhookSecretsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
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
      await manager.query(
        `UPDATE team_webhook_secrets
            SET previous_key_id = key_id, previous_iv = iv, previous_ciphertext = ciphertext,
                previous_expires_at = now() + ${ROLLOVER},
                key_id = $2, iv = $3, ciphertext = $4, rotated_at = now()
          WHERE team_id = $1`,
        [auth.teamId, sealed.keyId, sealed.iv, sealed.ciphertext],
      );
      const rotated = await manager.getRepository(TeamWebhookSecret).findOneBy({ teamId: auth.teamId });
      // Gone with its team, deleted while the update waited on the row: the token went with it too.
      if (!rotated) throw ApiError.unauthenticated(true);
      await this.audit.record(auth, client, 'webhook_secret.rotated', null, manager);
      return this.present(rotated);
    });
  }

  /** How many signing secrets, current or still signing, each key id outside `held` sealed (for MissingKeys). */
  async countSealedWithout(held: string[]): Promise<Map<string, number>> {
    const rows = await this.db.query<{ key_id: string; count: number }[]>(
      `SELECT key_id, count(*)::int AS count FROM (
         SELECT key_id FROM team_webhook_secrets WHERE key_id <> ALL($1)
         UNION ALL
         SELECT previous_key_id FROM team_webhook_secrets WHERE ${PREVIOUS_SIGNS} AND previous_key_id <> ALL($1)
       ) sealed GROUP BY key_id`,
      [held],
    );
    return new Map(rows.map((row) => [row.key_id, row.count]));
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
    const existing = await this.repository().findOneBy({ teamId });
    if (existing) return existing;
    const sealed = this.seal(teamId, generateWebhookSecret());
    // Two first uses at once: one insert wins and both read it.
    await this.db.query(
      `INSERT INTO team_webhook_secrets (team_id, key_id, iv, ciphertext) VALUES ($1, $2, $3, $4) ON CONFLICT (team_id) DO NOTHING`,
      [teamId, sealed.keyId, sealed.iv, sealed.ciphertext],
    );
    return this.repository().findOneByOrFail({ teamId });
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

  private repository() {
    return this.db.getRepository(TeamWebhookSecret);
  }
}

const boundTo = (teamId: string) => `team-webhook-secret:${teamId}`;

/** Within its day of grace after a rotation, the replaced secret signs too. */
const previousStillSigns = (row: TeamWebhookSecret) =>
  !!row.previousCiphertext && !!row.previousExpiresAt && row.previousExpiresAt > new Date();
