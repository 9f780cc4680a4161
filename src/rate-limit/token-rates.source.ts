import type { PlanName, TokenRates } from '../billing/plans';

/**
 * Where a token's request budget comes from: the plan, which billing owns. Billing provides it
 * (globally), so rate-limit, which the auth guard uses, need not import billing.
 */
export abstract class TokenRatesSource {
  abstract tokenRates(plan: PlanName): TokenRates;
}
