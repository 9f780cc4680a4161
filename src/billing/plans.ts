export const PLAN_NAMES = ['free', 'pro', 'enterprise'] as const;
export type PlanName = (typeof PLAN_NAMES)[number];

export type PlanFeature = 'webhooks' | 'geo_blocking' | 'files';

export interface Plan {
  name: PlanName;
  /** Largest secret (plaintext or client ciphertext), in bytes. */
  contentBytes: number;
  /** Longest a secret may live, in minutes; a `views` secret expires after this too. */
  maxLifetimeMinutes: number;
  members: number;
  /** Largest file secret, in bytes (0 where the plan has none). */
  fileBytes: number;
  /** What all of a team's unopened file secrets may hold at once, in bytes: the bound on the disk a team's files can take. */
  fileStorageBytes: number;
  /**
   * What a team's text and encrypted secrets created in a calendar month (UTC) may hold together,
   * in bytes: with the lifetime, the bound on the disk they can take.
   */
  contentBytesPerMonth: number;
  features: Record<PlanFeature, boolean>;
  /** A token's request budget: per minute, and a per-second burst where the plan has one. RATE_LIMIT_* override them. */
  rates: TokenRates;
}

export interface TokenRates {
  perMinute: number;
  /** What all of a team's tokens together may send, so minting tokens does not multiply it. */
  teamPerMinute: number;
  perSecond?: number;
}

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const SEVEN_DAYS_IN_MINUTES = 7 * 24 * 60;

/** Every plan's limits in one place; only BillingService reads it. */
export const PLANS: Record<PlanName, Plan> = {
  free: {
    name: 'free',
    contentBytes: 64 * 1024,
    maxLifetimeMinutes: SEVEN_DAYS_IN_MINUTES,
    members: 5,
    fileBytes: 0,
    fileStorageBytes: 0,
    contentBytesPerMonth: 256 * MIB,
    features: { webhooks: false, geo_blocking: false, files: false },
    rates: { perMinute: 240, teamPerMinute: 600, perSecond: 40 },
  },
  pro: {
    name: 'pro',
    contentBytes: MIB,
    maxLifetimeMinutes: SEVEN_DAYS_IN_MINUTES,
    members: 50,
    fileBytes: 100 * MIB,
    fileStorageBytes: 10 * GIB,
    contentBytesPerMonth: 16 * GIB,
    features: { webhooks: true, geo_blocking: true, files: true },
    rates: { perMinute: 1000, teamPerMinute: 5000 },
  },
  enterprise: {
    name: 'enterprise',
    contentBytes: MIB,
    maxLifetimeMinutes: SEVEN_DAYS_IN_MINUTES,
    members: 1000,
    fileBytes: GIB,
    fileStorageBytes: 200 * GIB,
    contentBytesPerMonth: 512 * GIB,
    features: { webhooks: true, geo_blocking: true, files: true },
    rates: { perMinute: 10_000, teamPerMinute: 50_000 },
  },
};

/** The most any plan lets a text secret hold, as stored (the command line reads no more of stdin). */
export const LARGEST_CONTENT_BYTES = Math.max(...PLAN_NAMES.map((plan) => PLANS[plan].contentBytes));

/** The most any plan lets a file secret hold (`send --file -` keeps no more of stdin). */
export const LARGEST_FILE_BYTES = Math.max(...PLAN_NAMES.map((plan) => PLANS[plan].fileBytes));

/** The plans that include `feature`, cheapest first. */
export function plansWith(feature: PlanFeature): PlanName[] {
  return PLAN_NAMES.filter((name) => PLANS[name].features[feature]);
}
