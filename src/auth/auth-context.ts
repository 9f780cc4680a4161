import type { PlanName } from '../billing/plans';
import type { Role } from './role';
import type { Ability } from './ability';
import type { TokenMode } from './pat';
import type { UserKind } from './user.entity';

/** Who is calling, resolved once per request by the global guard from the bearer token. */
export interface TokenAuth {
  kind: 'token';
  tokenId: string;
  userId: string;
  userKind: UserKind;
  userName: string;
  teamId: string;
  teamPlan: PlanName;
  role: Role;
  abilities: Ability[];
  mode: TokenMode;
  /** When the token stops working; null for one that does not expire. */
  expiresAt: Date | null;
}

/** A caller without an Authorization header, on the few routes that allow it. */
export interface AnonymousAuth {
  kind: 'anonymous';
}

export type AuthContext = TokenAuth | AnonymousAuth;

export const ANONYMOUS: AnonymousAuth = { kind: 'anonymous' };
