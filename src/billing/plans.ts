export const PLAN_NAMES = ['free', 'pro', 'enterprise'] as const;
export type PlanName = (typeof PLAN_NAMES)[number];

export type PlanFeature = 'webhooks' | 'geo_blocking' | 'files';

export interface Plan {
  name: PlanName;
  /** Largest secret (plaintext or client ciphertext), in bytes. */
  contentBytes: number;
  /** Longest a secret may live, in minutes. */
  maxLifetimeMinutes: number;
  members: number;
  features: Record<PlanFeature, boolean>;
}

const DAY_MINUTES = 24 * 60;

/** Every plan's limits in one place; billing adds rates on top of these. */
export const PLANS: Record<PlanName, Plan> = {
  free: {
    name: 'free',
    contentBytes: 64 * 1024,
    maxLifetimeMinutes: 7 * DAY_MINUTES,
    members: 5,
    features: { webhooks: false, geo_blocking: false, files: false },
  },
  pro: {
    name: 'pro',
    contentBytes: 1024 * 1024,
    maxLifetimeMinutes: 7 * DAY_MINUTES,
    members: 50,
    features: { webhooks: true, geo_blocking: true, files: true },
  },
  enterprise: {
    name: 'enterprise',
    contentBytes: 1024 * 1024,
    maxLifetimeMinutes: 7 * DAY_MINUTES,
    members: 1000,
    features: { webhooks: true, geo_blocking: true, files: true },
  },
};

/** The cheapest plan that has a feature, for the message that says where to find it. */
export function cheapestPlanWith(feature: PlanFeature): PlanName {
  return PLAN_NAMES.find((name) => PLANS[name].features[feature]) ?? 'enterprise';
}
