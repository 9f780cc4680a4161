import type { ExpireMode } from './secret.entity';

/**
 * What a secret may still be spent: views left (null for `minutes` secrets) and how long it lives.
 * The lifetime becomes `expires_at` in the statement that writes it, from the database's clock, so
 * it runs from `created_at` (or from the change), not from before a slow passcode hash.
 */
export interface ViewBudget {
  viewsRemaining: number | null;
  lifetimeMinutes: number;
}

/** The budget a secret gets at creation, and again when its expiry is changed; the lifetime comes from the plan. */
export function viewBudgetFor(mode: ExpireMode, value: number, lifetimeMinutes: number): ViewBudget {
  return { viewsRemaining: mode === 'views' ? value : null, lifetimeMinutes };
}

/** `expires_at` as SQL: the lifetime (a parameter reference) from the statement's `now()`. */
export const expiresAfter = (minutes: `$${number}` | `:${string}`) => `now() + make_interval(mins => ${minutes})`;
