import type { ThrottlerStorage } from '@nestjs/throttler';

/**
 * Besides its windows, the counters' storage keeps marks: keys that hold for a while and are then
 * forgotten (an address that logged in to an account; see rate-limit.policy's loginBudget).
 */
export interface Marks {
  mark(key: string, ttlMs: number): Promise<void>;
  isMarked(key: string): Promise<boolean>;
}

/** What RateLimiter counts in: FixedWindowStorage in process, or Redis (rate-limit.module). */
export type CounterStorage = ThrottlerStorage & Marks;
