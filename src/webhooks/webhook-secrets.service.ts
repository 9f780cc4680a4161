import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TeamsService } from '../teams/teams.service';
import { AuditService } from '../audit/audit.service';
import type { TokenAuth } from '../auth/auth-context';
import { ApiError } from '../common/errors/api-error';
import { DecryptionError, Keyring, SealedContent } from '../crypto/keyring';
import type { ClientInfo } from '../geo/client.decorator';
import { generateWebhookSecret } from './webhook-signature';
import type { WebhookSecretResponse } from './webhook-secret.response';
import type { TeamWebhookSecret } from './team-webhook-secret.entity';
import { SealedPart, TeamWebhookSecretRepository } from './team-webhook-secret.repository';

/** How many teams' signing secrets the start-up re-seal reads at a time. */
const RESEAL_BATCH = 100;

/** A team's signing secret failed authentication under a key this instance holds: damaged, or tampered with. */
export class SigningSecretDamaged extends Error {
  constructor(
    readonly teamId: string,
    /** The IV of the team's current secret: it names this state of the row until a rotation replaces it. */
    readonly iv: Buffer,
  ) {
    super(`The webhook signing secret of team ${teamId} failed authentication (damaged or tampered with)`);
  }
}

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
    private readonly teamsService: TeamsService,
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
          try {
            await this.open(row, part, sealed);
            resealed += 1;
          } catch (error) {
            if (!(error instanceof SigningSecretDamaged)) throw error;
            this.logger.warn(`${error.message}: not re-sealed; rotate it`);
          }
        }
      }
    } while (rows.length === RESEAL_BATCH);
    return resealed;
  }

  async show(teamId: string): Promise<WebhookSecretResponse> {
    try {
      return await this.present(await this.ensure(teamId));
    } catch (error) {
      if (!(error instanceof SigningSecretDamaged)) throw error;
      this.logger.error(`${error.message}: rotating it replaces it`);
      throw new ApiError(500, 'The signing secret could not be decrypted: rotate it.', { code: 'decryption_failed' });
    }
  }

  /**
   * A new secret signs from now on; the old one keeps signing alongside it for 24 hours, moved as
   * sealed (this instance need not hold its key: mid-rollout, one that does signs with both),
   * unless it fails authentication here (damaged): kept, it would only hold the team's
   * deliveries for that day. Audited in the same transaction.
   */
  async rotate(auth: TokenAuth, client: ClientInfo): Promise<WebhookSecretResponse> {
    const row = await this.ensure(auth.teamId);
    const dropping = (await this.damaged(row)) ? row.iv : null;
    const sealed = this.seal(auth.teamId, generateWebhookSecret());
    return this.db.transaction(async (manager) => {
      await this.teamsService.assertAdminNow(auth, manager);
      const rotated = await this.stored.rotate(auth.teamId, sealed, dropping, manager);
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
    const secrets = [await this.open(row, 'current', sealedPart(row, 'current')!)];
    if (previous) secrets.push(await this.open(row, 'previous', previous));
    return secrets;
  }

  /** Whether the row's current secret fails authentication under its key; under a key this instance lacks, it cannot tell. */
  private async damaged(row: TeamWebhookSecret): Promise<boolean> {
    if (!this.keyring.keyIds.includes(row.keyId)) return false;
    return this.open(row, 'current', sealedPart(row, 'current')!).then(
      () => false,
      (error: unknown) => {
        if (error instanceof SigningSecretDamaged) return true;
        throw error;
      },
    );
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
      secret: await this.open(row, 'current', sealedPart(row, 'current')!),
      rotated_at: row.rotatedAt.toISOString(),
      previous_expires_at: previousStillSigns(row) ? row.previousExpiresAt!.toISOString() : null,
    };
  }

  private seal(teamId: string, secret: string) {
    return this.keyring.encrypt(boundTo(teamId), Buffer.from(secret));
  }

  /**
   * The secret sealed as the row's `part`; one sealed under an old key is re-sealed under the
   * active key as it is opened (as at start), so one sealed by an instance still on the old key
   * mid-rollout does not keep that key needed. SigningSecretDamaged when it fails authentication.
   */
  private async open(row: TeamWebhookSecret, part: SealedPart, sealed: SealedContent): Promise<string> {
    let secret: string;
    try {
      secret = this.keyring.decrypt(boundTo(row.teamId), sealed).toString();
    } catch (error) {
      const keyHeld = this.keyring.keyIds.includes(sealed.keyId);
      throw error instanceof DecryptionError && keyHeld ? new SigningSecretDamaged(row.teamId, row.iv) : error;
    }
    if (sealed.keyId !== this.keyring.activeKeyId) await this.stored.reseal(row.teamId, part, sealed.iv, this.seal(row.teamId, secret));
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
