import type { ExpireMode } from './secret.entity';

/** A views-limited secret still expires after the plan's maximum lifetime (7 days). */
export const VIEWS_MODE_LIFETIME_MINUTES = 7 * 24 * 60;

export interface Budget {
  viewsRemaining: number | null;
  expiresAt: Date;
}

/** The budget a secret gets at creation, and again when its expiry is changed. */
export function budgetFor(mode: ExpireMode, value: number, now = Date.now()): Budget {
  const minutes = mode === 'views' ? VIEWS_MODE_LIFETIME_MINUTES : value;
  return { viewsRemaining: mode === 'views' ? value : null, expiresAt: new Date(now + minutes * 60_000) };
}
