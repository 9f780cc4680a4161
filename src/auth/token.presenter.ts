import type { AccessToken } from './access-token.entity';
import type { TokenResponse } from './token.response';

export function presentToken(token: AccessToken): TokenResponse {
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
