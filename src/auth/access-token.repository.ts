import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Sql } from '../common/database/sql.service';
import { findPage, Page } from '../common/http/pagination';
import type { PlanName } from '../billing/plans';
import type { Role } from './role';
import type { Ability } from './ability';
import { AccessToken } from './access-token.entity';
import type { TokenMode } from './pat';
import type { UserKind } from './user.entity';

/** How often a token's `last_used_at` is written, at most: once a minute, however many requests it makes. */
export const TOUCH_INTERVAL_SECONDS = 60;

export interface TokenAuthRow {
  id: string;
  user_id: string;
  team_id: string;
  abilities: Ability[];
  mode: TokenMode;
  expires_at: Date | null;
  last_used_at: Date | null;
  role: Role;
  plan: PlanName;
  user_name: string;
  user_kind: UserKind;
}

/** A deleted token; `active` false when it had already expired, so deleting it ended nothing. */
export interface TokenDeletion {
  active: boolean;
}

@Injectable()
export class AccessTokenRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly sql: Sql,
  ) {}

  /**
   * The whole authentication in one indexed lookup. Joining the membership means a member
   * removed from the team (or a deleted service account) stops authenticating at once.
   */
  async findForAuth(tokenHash: Buffer): Promise<TokenAuthRow | null> {
    const rows = await this.sql.rows<TokenAuthRow>(
      'auth_token',
      `SELECT t.id, t.user_id, t.team_id, t.abilities, t.mode, t.expires_at, t.last_used_at,
              m.role, tm.plan, u.name AS user_name, u.kind AS user_kind
         FROM access_tokens t
         JOIN team_members m ON m.team_id = t.team_id AND m.user_id = t.user_id
         JOIN teams tm ON tm.id = t.team_id
         JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = $1`,
      [tokenHash],
    );
    return rows[0] ?? null;
  }

  /** Writes at most once per TOUCH_INTERVAL_SECONDS per token, however many requests it makes. */
  async touch(id: string): Promise<void> {
    await this.sql.rows(
      'auth_token_touch',
      `UPDATE access_tokens SET last_used_at = now()
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '${TOUCH_INTERVAL_SECONDS} seconds')`,
      [id],
    );
  }

  async insert(token: Omit<AccessToken, 'createdAt' | 'lastUsedAt' | 'team' | 'user'>, manager?: EntityManager): Promise<AccessToken> {
    const repository = (manager ?? this.db.manager).getRepository(AccessToken);
    await repository.insert(token);
    return repository.findOneByOrFail({ id: token.id });
  }

  listForUser(teamId: string, userId: string, page: Page): Promise<[AccessToken[], number]> {
    return findPage(this.db.getRepository(AccessToken), page, { where: { teamId, userId }, order: { createdAt: 'DESC', id: 'DESC' } });
  }

  /** Tokens of the user in the team that have not expired. */
  async countActive(teamId: string, userId: string, manager?: EntityManager): Promise<number> {
    const [row]: { active: number }[] = await (manager ?? this.db.manager).query(
      `SELECT count(*)::int AS active FROM access_tokens
        WHERE team_id = $1 AND user_id = $2 AND (expires_at IS NULL OR expires_at > now())`,
      [teamId, userId],
    );
    return row.active;
  }

  /**
   * Deletes every token a user holds for a team; answers the ids of the unexpired ones, which stop
   * authenticating on the next request (an expired one already had: revoking it is no event).
   */
  async deleteAllForUser(teamId: string, userId: string, manager?: EntityManager): Promise<string[]> {
    const result = await (manager ?? this.db.manager)
      .createQueryBuilder()
      .delete()
      .from(AccessToken)
      .where({ teamId, userId })
      .returning('id, (expires_at IS NULL OR expires_at > now()) AS active')
      .execute();
    return (result.raw as { id: string; active: boolean }[]).filter((row) => row.active).map((row) => row.id);
  }

  /** The distinct abilities each user's unexpired tokens for the team hold, sorted (revoked ones are deleted). */
  async abilitiesByUser(teamId: string, userIds: string[]): Promise<Map<string, Ability[]>> {
    const rows: { user_id: string; abilities: Ability[] }[] = await this.db.query(
      `SELECT t.user_id, array_agg(DISTINCT a ORDER BY a) AS abilities
         FROM access_tokens t, unnest(t.abilities) a
        WHERE t.team_id = $1 AND t.user_id = ANY($2::uuid[]) AND (t.expires_at IS NULL OR t.expires_at > now())
        GROUP BY t.user_id`,
      [teamId, userIds],
    );
    return new Map(rows.map((row) => [row.user_id, row.abilities]));
  }

  findForUser(teamId: string, userId: string, id: string, manager?: EntityManager): Promise<AccessToken | null> {
    return (manager ?? this.db.manager).getRepository(AccessToken).findOneBy({ teamId, userId, id });
  }

  /**
   * Deletes one token; answers whether it had not expired (on the database's clock, as
   * deleteAllForUser), or null when there was none: another user's or team's id is simply not found.
   */
  async deleteForUser(teamId: string, userId: string, id: string, manager?: EntityManager): Promise<TokenDeletion | null> {
    const result = await (manager ?? this.db.manager)
      .createQueryBuilder()
      .delete()
      .from(AccessToken)
      .where({ teamId, userId, id })
      .returning('(expires_at IS NULL OR expires_at > now()) AS active')
      .execute();
    const [row] = result.raw as TokenDeletion[];
    return row ?? null;
  }
}
