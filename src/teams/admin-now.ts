import type { EntityManager } from 'typeorm';
import type { TokenAuth } from '../auth/auth-context';
import { isAdmin, Role } from '../auth/role';
import { ApiError } from '../common/errors/api-error';

/**
 * The guard read the caller's role when the request came in; a demotion may have committed while
 * the request waited on its locks. Call after the transaction's other locks are taken: re-reads the
 * caller's role and holds the row (FOR SHARE) until the transaction ends, so a demotion or removal
 * of the caller either waits for what this writes or has already been seen. 401 as the guard
 * answers a removed member's token; 403 for a member no longer an admin or owner.
 */
export async function assertAdminNow(auth: TokenAuth, manager: EntityManager): Promise<void> {
  const rows: { role: Role }[] = await manager.query(`SELECT role FROM team_members WHERE team_id = $1 AND user_id = $2 FOR SHARE`, [
    auth.teamId,
    auth.userId,
  ]);
  if (rows.length === 0) throw ApiError.unauthenticated(true);
  if (!isAdmin(rows[0].role)) throw ApiError.forbidden('Only owners and admins of the team may do this.');
}
