import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { User } from '../auth/user.entity';
import type { Page } from '../common/http/pagination';

export interface ServiceAccountRow {
  id: string;
  name: string;
  abilities: string[];
  created_at: Date;
}

/** Service accounts are `users` rows of kind service_account with one membership. */
@Injectable()
export class ServiceAccountRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async insert(id: string, name: string, manager: EntityManager): Promise<void> {
    await manager.getRepository(User).insert({ id, kind: 'service_account', email: null, name, passwordHash: null });
  }

  async list(teamId: string, page: Page): Promise<[ServiceAccountRow[], number]> {
    const where = `FROM users u JOIN team_members m ON m.user_id = u.id
                   WHERE m.team_id = $1 AND u.kind = 'service_account'`;
    const rows: ServiceAccountRow[] = await this.db.query(
      `SELECT u.id, u.name, u.created_at,
              COALESCE((SELECT array_agg(DISTINCT a ORDER BY a) FROM access_tokens t, unnest(t.abilities) a
                         WHERE t.user_id = u.id AND t.team_id = m.team_id), '{}') AS abilities
         ${where} ORDER BY u.created_at DESC, u.id LIMIT $2 OFFSET $3`,
      [teamId, page.perPage, page.offset],
    );
    const [{ total }] = await this.db.query(`SELECT count(*)::int AS total ${where}`, [teamId]);
    return [rows, total];
  }

  /** Deletes the account of this team; its membership and tokens go with it (ON DELETE CASCADE). */
  async delete(teamId: string, id: string, manager: EntityManager): Promise<boolean> {
    const [rows] = await manager.query(
      `DELETE FROM users u USING team_members m
        WHERE u.id = $2 AND u.kind = 'service_account' AND m.user_id = u.id AND m.team_id = $1 RETURNING u.id`,
      [teamId, id],
    );
    return rows.length > 0;
  }
}
