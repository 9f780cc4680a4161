import type { BillingService } from '../billing/billing.service';
import type { PlanName } from '../billing/plans';

/** The plan features a secret uses: a webhook URL of its own, countries it may be opened from. */
export interface SecretFeatures {
  webhookUrl: boolean;
  countries: boolean;
}

/**
 * 403 `plan_limit` for a secret that uses a feature the plan lacks: asked of a create, and again of
 * a new budget, so a secret made before a downgrade lasts the budget it has.
 */
export function assertSecretFeatures(billing: BillingService, plan: PlanName, uses: SecretFeatures): void {
  if (uses.webhookUrl) billing.assertAllowed(plan, 'webhooks');
  if (uses.countries) billing.assertAllowed(plan, 'geo_blocking');
}
