import type { Ability } from '../auth/ability';
import type { User } from '../auth/user.entity';
import type { ServiceAccountResponse } from './service-account.response';

export function presentServiceAccount(account: User, abilities: Ability[]): ServiceAccountResponse {
  return { id: account.id, name: account.name, abilities, created_at: account.createdAt.toISOString() };
}
