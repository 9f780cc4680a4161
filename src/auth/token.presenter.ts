import type { AccessToken } from './access-token.entity';

/** A token as lists show it: never its value, only the prefix to recognise it by. */
export function presentToken(token: AccessToken) {
  return {
    id: token.id,
    name: token.name,
    prefix: token.prefix,
    abilities: token.abilities,
    team_id: token.teamId,
    mode: token.mode,
    expires_at: token.expiresAt?.toISOString() ?? null,
    last_used_at: token.lastUsedAt?.toISOString() ?? null,
    created_at: token.createdAt.toISOString(),
  };
}
