import { ApiError } from '../common/errors/api-error';
import { Plan, PLAN_NAMES, PlanFeature, PLANS, plansWith, TokenRates } from './plans';

/** Each feature as the subject of "… available on the pro plan", with its verb. */
const FEATURE_NAMES: Record<PlanFeature, string> = { webhooks: 'Webhooks are', geo_blocking: 'Geo-blocking is', files: 'File secrets are' };

/** The cheapest plan that has a feature, for the message that says where to find it. */
function cheapestPlanWith(feature: PlanFeature): string {
  return plansWith(feature)[0] ?? 'enterprise';
}

/** 403 `plan_limit` for a feature the plan lacks. */
export function assertFeature(plan: Plan, feature: PlanFeature): void {
  if (!plan.features[feature]) {
    throw ApiError.forbidden(`${FEATURE_NAMES[feature]} available on the ${cheapestPlanWith(feature)} plan.`, 'plan_limit');
  }
}

/** 413 `plan_limit` for a secret (plaintext or client ciphertext) larger than the plan allows. */
export function assertContentSize(plan: Plan, bytes: number): void {
  if (bytes > plan.contentBytes) {
    throw new ApiError(413, `The secret is larger than the ${plan.name} plan allows (${plan.contentBytes} bytes).`, { code: 'plan_limit' });
  }
}

/** 413 `plan_limit` for a secret that would take the team's month past its plan's content, as a full file store is. */
export function monthlyContentSpent(plan: Plan): ApiError {
  return new ApiError(
    413,
    `The team's secrets this month would hold more than the ${plan.name} plan's ${plan.contentBytesPerMonth} bytes; the count starts again on the first of next month (UTC).`,
    { code: 'plan_limit' },
  );
}

/** 413 `plan_limit` for a file larger than the plan allows (how its connection ends: see the file secrets service). */
export function assertFileSize(plan: Plan, bytes: number): void {
  if (bytes > plan.fileBytes) {
    throw new ApiError(413, `The file is larger than the ${plan.name} plan allows (${plan.fileBytes} bytes).`, { code: 'plan_limit' });
  }
}

/** 413 `plan_limit` when a file would take the team's unopened files past the plan's storage. */
export function assertFileStorage(plan: Plan, heldBytes: number, addingBytes: number): void {
  if (heldBytes + addingBytes > plan.fileStorageBytes) {
    throw new ApiError(
      413,
      `The team's unopened files would take more than the ${plan.name} plan's ${plan.fileStorageBytes} bytes of storage (${heldBytes} bytes are held now).`,
      { code: 'plan_limit' },
    );
  }
}

/** 403 `plan_limit` when the team already has as many members (people and service accounts) as the plan allows. */
export function assertMemberRoom(plan: Plan, members: number): void {
  if (members >= plan.members) {
    throw ApiError.forbidden(`The ${plan.name} plan allows ${plan.members} members.`, 'plan_limit');
  }
}

/**
 * How long a secret may live, in minutes: what was asked for (a `minutes` secret's `expire_value`,
 * a `views` secret's `expires_in_minutes`), or the plan's longest lifetime (`views` secrets, which
 * expire then even with views left). Asking for longer than the plan allows is a 422 on the
 * `field` that asked, with code `plan_limit`.
 */
export function lifetimeMinutes(plan: Plan, requestedMinutes?: number, field = 'expire_value'): number {
  if (requestedMinutes === undefined) return plan.maxLifetimeMinutes;
  if (requestedMinutes > plan.maxLifetimeMinutes) {
    throw ApiError.validation(
      { [field]: [`The ${plan.name} plan keeps secrets for at most ${plan.maxLifetimeMinutes} minutes.`] },
      'plan_limit',
    );
  }
  return requestedMinutes;
}

/**
 * The plan table with the operator's RATE_LIMIT_* overrides applied. A token's minute budget set
 * moves its team's with it, in the plan's proportion: held at the plan's, a raised token budget
 * would stop at the team's all the same.
 */
export function withRateOverrides(overrides: Partial<Record<Plan['name'], Partial<TokenRates>>>): Record<Plan['name'], Plan> {
  const entries = PLAN_NAMES.map((name) => {
    const plan = PLANS[name].rates;
    const set = Object.entries(overrides[name] ?? {}).filter(([, value]) => value !== undefined);
    const rates: TokenRates = { ...plan, ...Object.fromEntries(set) };
    rates.teamPerMinute = Math.round((rates.perMinute * plan.teamPerMinute) / plan.perMinute);
    return [name, { ...PLANS[name], rates }] as const;
  });
  return Object.fromEntries(entries) as Record<Plan['name'], Plan>;
}
