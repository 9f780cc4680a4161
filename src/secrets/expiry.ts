import type { ExpireMode } from './secret.entity';

/**
 * What a secret may still be spent: views left (null for `minutes` secrets) and how long it lives.
 * The lifetime becomes `expires_at` in the statement that writes it, from the database's clock, so
 * it runs from `created_at` (or from the change), not from before a slow passcode hash.
 */
export interface ViewBudget {
  viewsRemaining: number | null;
  lifetimeMinutes: number;
  /** A `views` secret's own window (`expires_in_minutes`), kept so a new view budget gets it again; null for the plan's lifetime. */
  windowMinutes: number | null;
}

/**
 * The budget a secret gets at creation, and again when its expiry is changed: `lifetimeMinutes`
 * is the plan's (checked against what was asked for), or the window when one was asked for.
 */
export function viewBudgetFor(mode: ExpireMode, value: number, lifetimeMinutes: number, windowMinutes: number | null): ViewBudget {
  return { viewsRemaining: mode === 'views' ? value : null, lifetimeMinutes, windowMinutes };
}

/** `expires_at` as SQL: the lifetime (a parameter reference) from the statement's `now()`. */
export const expiresAfter = (minutes: `$${number}` | `:${string}`) => `now() + make_interval(mins => ${minutes})`;
