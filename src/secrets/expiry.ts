import type { ExpireMode } from './secret.entity';

/** What a secret may still be spent: views left (null for `minutes` secrets) and when it expires. */
export interface ViewBudget {
  viewsRemaining: number | null;
  expiresAt: Date;
}

/** The budget a secret gets at creation, and again when its expiry is changed; the lifetime comes from the plan. */
export function viewBudgetFor(mode: ExpireMode, value: number, lifetimeMinutes: number, now = Date.now()): ViewBudget {
  return { viewsRemaining: mode === 'views' ? value : null, expiresAt: new Date(now + lifetimeMinutes * 60_000) };
}
