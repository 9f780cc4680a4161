import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { Ability } from './ability';
import { AccessToken } from './access-token.entity';
import { AccessTokenRepository } from './access-token.repository';
import { generatePat, hashPat, patDisplayPrefix, TokenMode } from './pat';

export interface MintTokenInput {
  teamId: string;
  userId: string;
  name: string;
  abilities: Ability[];
  mode: TokenMode;
  expiresInDays?: number;
}

export interface MintedToken {
  token: string;
  record: AccessToken;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Issues personal access tokens for people and service accounts alike. */
@Injectable()
export class TokenService {
  constructor(private readonly tokens: AccessTokenRepository) {}

  async mint(input: MintTokenInput, manager?: EntityManager): Promise<MintedToken> {
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
        expiresAt: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * DAY_MS) : null,
      },
      manager,
    );
    return { token, record };
  }
}
