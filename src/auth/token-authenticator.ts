import { Injectable, Logger } from '@nestjs/common';
import { AccessTokenRepository, TOUCH_INTERVAL_SECONDS } from './access-token.repository';
import type { TokenAuth } from './auth-context';
import { hashPat, isWellFormedPat } from './pat';

const TOUCH_INTERVAL_MS = TOUCH_INTERVAL_SECONDS * 1000;

/** Turns a bearer token into the caller's identity: one SHA-256 and one indexed query. */
@Injectable()
export class TokenAuthenticator {
  private readonly logger = new Logger(TokenAuthenticator.name);
  private readonly touching = new Set<string>();

  constructor(private readonly tokens: AccessTokenRepository) {}

  async authenticate(token: string): Promise<TokenAuth | null> {
    if (!isWellFormedPat(token)) return null;
    const row = await this.tokens.findForAuth(hashPat(token));
    if (!row) return null;
    const now = Date.now();
    if (row.expires_at && row.expires_at.getTime() <= now) return null;
    if (!row.last_used_at || now - row.last_used_at.getTime() >= TOUCH_INTERVAL_MS) this.touch(row.id);
    return {
      kind: 'token',
      tokenId: row.id,
      userId: row.user_id,
      userKind: row.user_kind,
      userName: row.user_name,
      teamId: row.team_id,
      teamPlan: row.plan,
      role: row.role,
      abilities: row.abilities,
      mode: row.mode,
      expiresAt: row.expires_at,
    };
  }

  /** Off the request path: the caller never waits for the bookkeeping write. */
  private touch(id: string): void {
    if (this.touching.has(id)) return;
    this.touching.add(id);
    this.tokens
      .touch(id)
      .catch((error: Error) => this.logger.warn(`Could not record token use: ${error.message}`))
      .finally(() => this.touching.delete(id));
  }
}
