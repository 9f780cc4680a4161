import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { updateReturning } from '../common/database/sql';
import type { Page } from '../common/http/pagination';
import { Secret, SecretKind } from './secret.entity';
import { STATUS_SQL, SecretStatus } from './secret-status';

export interface SpentView {
  id: string;
  team_id: string | null;
  kind: SecretKind;
  label: string | null;
  ciphertext: Buffer;
  iv: Buffer;
  key_id: string | null;
  views_remaining: number | null;
}

/** Wipes the material: what a tombstone keeps is metadata only. */
const DESTROY = `ciphertext = NULL, iv = NULL, passcode_hash = NULL, destroyed_at = now(), updated_at = now()`;

@Injectable()
export class SecretRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private manager(manager?: EntityManager): EntityManager {
    return manager ?? this.db.manager;
  }

  async insert(secret: Omit<Secret, 'createdAt' | 'updatedAt' | 'team'>, manager?: EntityManager): Promise<Secret> {
    const repository = this.manager(manager).getRepository(Secret);
    const result = await repository.insert(secret);
    const generated = result.generatedMaps[0] as Pick<Secret, 'createdAt' | 'updatedAt'>;
    return Object.assign(new Secret(), secret, generated);
  }

  findById(teamId: string, id: string): Promise<Secret | null> {
    return this.db.getRepository(Secret).findOneBy({ teamId, id });
  }

  findByTokenHash(tokenHash: Buffer): Promise<Secret | null> {
    return this.db.getRepository(Secret).findOneBy({ tokenHash });
  }

  async list(teamId: string, status: SecretStatus | undefined, page: Page): Promise<[Secret[], number]> {
    const query = this.db
      .getRepository(Secret)
      .createQueryBuilder('s')
      .where('s.team_id = :teamId', { teamId })
      .orderBy('s.created_at', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .skip(page.offset)
      .take(page.perPage);
    if (status) query.andWhere(STATUS_SQL[status]);
    return query.getManyAndCount();
  }

  /**
   * Spends one view in a single conditional statement: concurrent reveals serialise on the row
   * lock and re-check the condition, so a secret with V views left is revealed exactly V times.
   */
  async spendView(id: string, manager?: EntityManager): Promise<SpentView | null> {
    const rows = await updateReturning<SpentView>(
      this.manager(manager),
      `UPDATE secrets SET
          views_count = views_count + 1,
          views_remaining = CASE WHEN expire_mode = 'views' THEN views_remaining - 1 END,
          last_viewed_at = now()
        WHERE id = $1 AND status = 'active' AND expires_at > now()
          AND (expire_mode = 'minutes' OR views_remaining > 0)
        RETURNING id, team_id, kind, label, ciphertext, iv, key_id, views_remaining`,
      [id],
    );
    return rows[0] ?? null;
  }

  async burn(id: string, manager?: EntityManager): Promise<void> {
    await this.manager(manager).query(`UPDATE secrets SET status = 'burned', ${DESTROY} WHERE id = $1`, [id]);
  }

  async suspend(id: string): Promise<void> {
    await this.db.query(`UPDATE secrets SET status = 'deleted', suspended_at = now(), ${DESTROY} WHERE id = $1 AND status = 'active'`, [
      id,
    ]);
  }

  /** Counts a wrong passcode; the fifth burns the secret in the same statement. */
  async recordFailedPasscode(id: string, maxAttempts: number): Promise<number | null> {
    const rows = await updateReturning<{ failed_attempts: number }>(
      this.manager(),
      `UPDATE secrets SET
          failed_attempts = failed_attempts + 1,
          status = CASE WHEN failed_attempts + 1 >= $2 THEN 'burned' ELSE status END,
          ciphertext = CASE WHEN failed_attempts + 1 >= $2 THEN NULL ELSE ciphertext END,
          iv = CASE WHEN failed_attempts + 1 >= $2 THEN NULL ELSE iv END,
          passcode_hash = CASE WHEN failed_attempts + 1 >= $2 THEN NULL ELSE passcode_hash END,
          destroyed_at = CASE WHEN failed_attempts + 1 >= $2 THEN now() ELSE destroyed_at END
        WHERE id = $1 AND status = 'active' AND expires_at > now()
        RETURNING failed_attempts`,
      [id, maxAttempts],
    );
    return rows[0]?.failed_attempts ?? null;
  }

  /** Applies `changes` only while the secret is still active; null when it no longer is. */
  async updateActive(
    teamId: string,
    id: string,
    changes: Partial<
      Pick<Secret, 'label' | 'ciphertext' | 'iv' | 'keyId' | 'contentBytes' | 'expireMode' | 'expireValue' | 'viewsRemaining' | 'expiresAt'>
    >,
    manager?: EntityManager,
  ): Promise<Secret | null> {
    const result = await this.manager(manager)
      .createQueryBuilder()
      .update(Secret)
      .set(changes)
      .where(`team_id = :teamId AND id = :id AND status = 'active' AND expires_at > now()`, { teamId, id })
      .execute();
    if (!result.affected) return null;
    return this.manager(manager).getRepository(Secret).findOneByOrFail({ teamId, id });
  }

  async deleteActive(teamId: string, id: string, manager?: EntityManager): Promise<boolean> {
    const rows = await updateReturning<{ id: string }>(
      this.manager(manager),
      `UPDATE secrets SET status = 'deleted', ${DESTROY}
        WHERE team_id = $1 AND id = $2 AND status = 'active' AND expires_at > now() RETURNING id`,
      [teamId, id],
    );
    return rows.length > 0;
  }

  /**
   * Turns expired secrets into tombstones, a batch at a time. SKIP LOCKED lets several
   * instances purge at once without waiting on (or double-counting) each other's rows.
   */
  async purgeExpired(batchSize: number): Promise<number> {
    const rows = await updateReturning<{ id: string }>(
      this.manager(),
      `UPDATE secrets SET status = 'expired', ${DESTROY}
        WHERE id IN (
          SELECT id FROM secrets WHERE status = 'active' AND expires_at <= now()
          ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [batchSize],
    );
    return rows.length;
  }

  async countCreatedSince(teamId: string, since: Date): Promise<{ created: number; active: number }> {
    const [row]: { created: number; active: number }[] = await this.db.query(
      `SELECT count(*) FILTER (WHERE created_at >= $2)::int AS created,
              count(*) FILTER (WHERE status = 'active' AND expires_at > now())::int AS active
         FROM secrets WHERE team_id = $1`,
      [teamId, since],
    );
    return row;
  }
}
