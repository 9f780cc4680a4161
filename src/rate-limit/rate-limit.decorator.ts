import { SetMetadata } from '@nestjs/common';

/**
 * Which budget a public route spends: `links` (per address, generous: recipients may share an
 * office), `login` (per account and address, against brute force), `stripe` (per address, the
 * signed webhook's: generous, as Stripe sends from a few addresses), `none`. Routes that need a
 * token spend the token's budget; a request whose token fails spends `unauthenticated`.
 */
export type PublicBudget = 'links' | 'login' | 'stripe' | 'none';

export const RATE_LIMIT_BUDGET = 'oncelink:rate-limit-budget';

export const RateLimit = (budget: PublicBudget) => SetMetadata(RATE_LIMIT_BUDGET, budget);
