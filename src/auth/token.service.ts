import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { ApiError } from '../common/errors/api-error';
import type { Page } from '../common/http/pagination';
import type { Ability } from './ability';
import { AccessToken } from './access-token.entity';
import { AccessTokenRepository, TokenDeletion } from './access-token.repository';
import { generatePat, hashPat, patDisplayPrefix, TokenMode } from './pat';

export interface MintTokenInput {
  teamId: string;
  userId: string;
  name: string;
  abilities: Ability[];
  mode: TokenMode;
  expiresInDays?: number;
  /** The latest the token may expire: a token minting another never makes one that outlives it. */
  notAfter?: Date | null;
  /** The 422's field and message at MAX_ACTIVE_TOKENS: whose tokens they are reads differently per route. */
  overLimit: { field: string; message: string };
}

export interface MintedToken {
  token: string;
  record: AccessToken;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Active tokens one user may hold in one team; each has its own rate budget, the team's caps them all. */
export const MAX_ACTIVE_TOKENS = 50;

/** Issues, lists and revokes personal access tokens for people and service accounts alike. */
@Injectable()
export class TokenService {
  constructor(private readonly tokens: AccessTokenRepository) {}

  /**
   * Call inside a transaction that holds the user's membership row locked, so concurrent mints
   * count one after another.
   */
  async mint(input: MintTokenInput, manager?: EntityManager): Promise<MintedToken> {
    if ((await this.tokens.countActive(input.teamId, input.userId, manager)) >= MAX_ACTIVE_TOKENS) {
      throw ApiError.field(input.overLimit.field, input.overLimit.message);
    }
    const token = generatePat(input.mode);
    const record = await this.tokens.insert(
      {
        id: randomUUID(),
        teamId: input.teamId,
        userId: input.userId,
        name: input.name,
        tokenHash: hashPat(token),
        prefix: patDisplayPrefix(token),
        abilities: input.abilities,
        mode: input.mode,
        expiresAt: expiry(input.expiresInDays, input.notAfter),
      },
      manager,
    );
    return { token, record };
  }

  listForUser(teamId: string, userId: string, page: Page): Promise<[AccessToken[], number]> {
    return this.tokens.listForUser(teamId, userId, page);
  }

  /** The user's token of that id in the team, or null (another user's or team's is not found). */
  findForUser(teamId: string, userId: string, id: string, manager?: EntityManager): Promise<AccessToken | null> {
    return this.tokens.findForUser(teamId, userId, id, manager);
  }

  /**
   * Null when the user holds no such token in the team: another user's or team's id is simply not
   * found. An expired token is deleted too, answered with `active` false: it is no event.
   */
  revoke(teamId: string, userId: string, id: string, manager?: EntityManager): Promise<TokenDeletion | null> {
    return this.tokens.deleteForUser(teamId, userId, id, manager);
  }

  /** The ids of the unexpired tokens it revoked (the expired ones go too, as no event). */
  revokeAllForUser(teamId: string, userId: string, manager?: EntityManager): Promise<string[]> {
    return this.tokens.deleteAllForUser(teamId, userId, manager);
  }

  abilitiesByUser(teamId: string, userIds: string[]): Promise<Map<string, Ability[]>> {
    return userIds.length ? this.tokens.abilitiesByUser(teamId, userIds) : Promise.resolve(new Map<string, Ability[]>());
  }
}

function expiry(days: number | undefined, notAfter: Date | null | undefined): Date | null {
  const asked = days ? new Date(Date.now() + days * DAY_MS) : null;
  return notAfter && (!asked || asked > notAfter) ? notAfter : asked;
}
