import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { TokenAuth } from '../auth/auth-context';
import { ApiError } from '../common/errors/api-error';
import { Keyring, SealedContent } from '../crypto/keyring';
import type { ClientInfo } from '../geo/client.decorator';
import { generateWebhookSecret } from './webhook-signature';
import type { WebhookSecretResponse } from './webhook-secret.response';
import type { TeamWebhookSecret } from './team-webhook-secret.entity';
import { SealedPart, TeamWebhookSecretRepository } from './team-webhook-secret.repository';

/** How many teams' signing secrets the start-up re-seal reads at a time. */
const RESEAL_BATCH = 100;

/**
 * The teams' signing secrets, kept sealed with the keyring (bound to the team, so a sealed secret
 * copied to another team's row does not open). A team gets its secret on first use.
 */
@Injectable()
export class WebhookSecretsService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Keyring');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly stored: TeamWebhookSecretRepository,
    private readonly keyring: Keyring,
    private readonly audit: AuditService,
  ) {}

  /** In the background, as MissingKeys' count is: meanwhile the instance opens them under the old keys. */
  onApplicationBootstrap(): void {
    this.resealUnderActiveKey().then(
      (resealed) => {
        if (resealed) this.logger.log(`Re-sealed ${resealed} webhook signing secret(s) under the active key`);
      },
      (error: Error) => this.logger.warn(`Could not re-seal the webhook signing secrets under the active key: ${error.message}`),
    );
  }

  /**
   * Re-seals under the active key every signing secret, current or still signing, sealed under an
   * old key this instance holds (ENCRYPTION_KEYS_OLD), so that key can be dropped; answers how
   * many. Nothing else sealed lasts: secrets (and what an Idempotency-Key kept of them) end
   * within 7 days.
   */
  async resealUnderActiveKey(): Promise<number> {
    const oldKeys = this.keyring.keyIds.filter((id) => id !== this.keyring.activeKeyId);
    if (!oldKeys.length) return 0;
    let resealed = 0;
    let rows: TeamWebhookSecret[] = [];
    do {
      rows = await this.stored.sealedUnder(oldKeys, RESEAL_BATCH, rows.at(-1)?.teamId);
      for (const row of rows) {
        for (const part of ['current', 'previous'] as const) {
          const sealed = sealedPart(row, part);
          if (!sealed || !oldKeys.includes(sealed.keyId)) continue;
          await this.open(row.teamId, part, sealed);
          resealed += 1;
        }
      }
    } while (rows.length === RESEAL_BATCH);
    return resealed;
  }

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
    const previous = sealedPart(row, 'previous');
    const secrets = [await this.open(teamId, 'current', sealedPart(row, 'current')!)];
    if (previous) secrets.push(await this.open(teamId, 'previous', previous));
    return secrets;
  }

  private async ensure(teamId: string): Promise<TeamWebhookSecret> {
    return (await this.stored.findByTeam(teamId)) ?? this.stored.findOrInsert(teamId, this.seal(teamId, generateWebhookSecret()));
  }

  private async present(row: TeamWebhookSecret): Promise<WebhookSecretResponse> {
    if (!this.keyring.keyIds.includes(row.keyId)) {
      // Sealed by an instance with another ENCRYPTION_KEY: one that holds it can show it.
      throw ApiError.unavailable('This server cannot open the signing secret now.', { code: 'key_unavailable' });
    }
    return {
      secret: await this.open(row.teamId, 'current', sealedPart(row, 'current')!),
      rotated_at: row.rotatedAt.toISOString(),
      previous_expires_at: previousStillSigns(row) ? row.previousExpiresAt!.toISOString() : null,
    };
  }

  private seal(teamId: string, secret: string) {
    return this.keyring.encrypt(boundTo(teamId), Buffer.from(secret));
  }

  /**
   * The secret sealed as the team's `part`; one sealed under an old key is re-sealed under the
   * active key as it is opened (as at start), so one sealed by an instance still on the old key
   * mid-rollout does not keep that key needed.
   */
  private async open(teamId: string, part: SealedPart, sealed: SealedContent): Promise<string> {
    const secret = this.keyring.decrypt(boundTo(teamId), sealed).toString();
    if (sealed.keyId !== this.keyring.activeKeyId) await this.stored.reseal(teamId, part, sealed.iv, this.seal(teamId, secret));
    return secret;
  }
}

const boundTo = (teamId: string) => `team-webhook-secret:${teamId}`;

/** Within its day of grace after a rotation, the replaced secret signs too. */
const previousStillSigns = (row: TeamWebhookSecret) =>
  !!row.previousCiphertext && !!row.previousExpiresAt && row.previousExpiresAt > new Date();

/** The row's current secret, or the replaced one while it still signs (else null), as sealed. */
function sealedPart(row: TeamWebhookSecret, part: SealedPart): SealedContent | null {
  if (part === 'current') return { keyId: row.keyId, iv: row.iv, ciphertext: row.ciphertext };
  return previousStillSigns(row) ? { keyId: row.previousKeyId!, iv: row.previousIv!, ciphertext: row.previousCiphertext! } : null;
}
