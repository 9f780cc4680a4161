import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { SealedContent } from '../crypto/keyring';
import { TeamWebhookSecret } from './team-webhook-secret.entity';

/** How long the replaced secret keeps signing after a rotation, so receivers can roll over. */
const ROLLOVER = `interval '24 hours'`;

/** Within its day of grace after a rotation, the replaced secret signs too (previousStillSigns, in SQL). */
const PREVIOUS_SIGNS = `previous_ciphertext IS NOT NULL AND previous_expires_at > now()`;

/**
 * The teams whose signing secrets an instance holding the master keys `keys` (a text[]
 * parameter) cannot open: the current one, or the replaced one while it still signs; and those
 * whose current secret has one of the IVs `damaged` (a bytea[] parameter: secrets this instance
 * found failing authentication, held until a rotation replaces them). Such an instance leaves
 * their deliveries to one that can (mid-rollout of ENCRYPTION_KEY), or to the rotation, rather
 * than spending their attempts on failing to sign.
 */
export const teamsUnsignableWith = (keys: string, damaged: string) => `SELECT team_id FROM team_webhook_secrets
  WHERE key_id <> ALL(${keys}) OR (${PREVIOUS_SIGNS} AND previous_key_id <> ALL(${keys})) OR iv = ANY(${damaged})`;

/** A team's current signing secret, or the one it replaced. */
export type SealedPart = 'current' | 'previous';

/** The columns a part is sealed in. */
const PART_COLUMNS: Record<SealedPart, { keyId: string; iv: string; ciphertext: string }> = {
  current: { keyId: 'key_id', iv: 'iv', ciphertext: 'ciphertext' },
  previous: { keyId: 'previous_key_id', iv: 'previous_iv', ciphertext: 'previous_ciphertext' },
};

/** The teams' signing secrets as stored: sealed, one row a team. */
@Injectable()
export class TeamWebhookSecretRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  findByTeam(teamId: string): Promise<TeamWebhookSecret | null> {
    return this.db.getRepository(TeamWebhookSecret).findOneBy({ teamId });
  }

  /** The team's secret: `sealed` when it had none; of two first uses at once, one insert wins and both read it. */
  async findOrInsert(teamId: string, sealed: SealedContent): Promise<TeamWebhookSecret> {
    await this.db.query(
      `INSERT INTO team_webhook_secrets (team_id, key_id, iv, ciphertext) VALUES ($1, $2, $3, $4) ON CONFLICT (team_id) DO NOTHING`,
      [teamId, sealed.keyId, sealed.iv, sealed.ciphertext],
    );
    return this.db.getRepository(TeamWebhookSecret).findOneByOrFail({ teamId });
  }

  /**
   * `sealed` signs from now on, the one it replaces (moved as sealed) for ROLLOVER more, unless
   * that one is still the secret with the IV `dropping` (one the caller found damaged): then none
   * does. Null when the team's row is gone.
   */
  async rotate(teamId: string, sealed: SealedContent, dropping: Buffer | null, manager: EntityManager): Promise<TeamWebhookSecret | null> {
    const kept = `iv IS DISTINCT FROM $5`;
    await manager.query(
      `UPDATE team_webhook_secrets
          SET previous_key_id = CASE WHEN ${kept} THEN key_id END, previous_iv = CASE WHEN ${kept} THEN iv END,
              previous_ciphertext = CASE WHEN ${kept} THEN ciphertext END,
              previous_expires_at = CASE WHEN ${kept} THEN now() + ${ROLLOVER} END,
              key_id = $2, iv = $3, ciphertext = $4, rotated_at = now()
        WHERE team_id = $1`,
      [teamId, sealed.keyId, sealed.iv, sealed.ciphertext, dropping],
    );
    return manager.getRepository(TeamWebhookSecret).findOneBy({ teamId });
  }

  /** Up to `limit` rows, in team order after the team `after`, with a signing secret (current or still signing) sealed under one of `keyIds`. */
  sealedUnder(keyIds: string[], limit: number, after = '00000000-0000-0000-0000-000000000000'): Promise<TeamWebhookSecret[]> {
    return this.db
      .getRepository(TeamWebhookSecret)
      .createQueryBuilder()
      .where(`(key_id = ANY(:keyIds) OR (${PREVIOUS_SIGNS} AND previous_key_id = ANY(:keyIds))) AND team_id > :after`, { keyIds, after })
      .orderBy('team_id')
      .limit(limit)
      .getMany();
  }

  /**
   * Replaces the team's `part`, sealed with the IV `was`, by `sealed`: only if it is still that
   * sealed value, so instances re-sealing at once, or a rotation meanwhile, lose nothing.
   */
  async reseal(teamId: string, part: SealedPart, was: Buffer, sealed: SealedContent): Promise<void> {
    const column = PART_COLUMNS[part];
    await this.db.query(
      `UPDATE team_webhook_secrets SET ${column.keyId} = $3, ${column.iv} = $4, ${column.ciphertext} = $5
        WHERE team_id = $1 AND ${column.iv} = $2`,
      [teamId, was, sealed.keyId, sealed.iv, sealed.ciphertext],
    );
  }

  /** How many signing secrets, current or still signing, each key id outside `held` sealed. */
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
}
