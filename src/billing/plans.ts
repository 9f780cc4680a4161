export const PLAN_NAMES = ['free', 'pro', 'enterprise'] as const;
export type PlanName = (typeof PLAN_NAMES)[number];

export interface Plan {
  name: PlanName;
  /** Largest secret (plaintext or client ciphertext), in bytes. */
  contentBytes: number;
  /** Longest a secret may live, in minutes. */
  maxLifetimeMinutes: number;
  members: number;
}

const DAY_MINUTES = 24 * 60;

/** Every plan's limits in one place; billing adds features and rates on top of these. */
export const PLANS: Record<PlanName, Plan> = {
  free: { name: 'free', contentBytes: 64 * 1024, maxLifetimeMinutes: 7 * DAY_MINUTES, members: 5 },
  pro: { name: 'pro', contentBytes: 1024 * 1024, maxLifetimeMinutes: 7 * DAY_MINUTES, members: 50 },
  enterprise: { name: 'enterprise', contentBytes: 1024 * 1024, maxLifetimeMinutes: 7 * DAY_MINUTES, members: 1000 },
};
