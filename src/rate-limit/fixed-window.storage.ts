import { OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { CounterStorage } from './marks';

/**
 * In-process counters that count as the Redis storage's script does: a window opens with its
 * first request and its count starts again once `ttl` has passed, so X-RateLimit-Reset is when
 * the whole budget is back. @nestjs/throttler's own in-memory storage keeps a sliding log under
 * a fixed expiry instead, and then blocks for a further `blockDuration`: a client that waited
 * the Reset it was told still found the budget spent. Blocking is the caller's to decide here
 * (RateLimiter compares `totalHits` with the limit), so `limit` and `blockDuration` are unused.
 * Marks, like windows, are forgotten once they have ended.
 */
export class FixedWindowStorage implements CounterStorage, OnApplicationShutdown {
  private readonly windows = new Map<string, { hits: number; endsAt: number }>();
  private readonly marks = new Map<string, number>();
  private readonly sweep = setInterval(() => this.dropEnded(), 60_000).unref();

  increment(key: string, ttl: number): ReturnType<ThrottlerStorage['increment']> {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { hits: 0, endsAt: now + ttl };
      this.windows.set(key, window);
    }
    window.hits += 1;
    const timeToExpire = Math.ceil((window.endsAt - now) / 1000);
    return Promise.resolve({ totalHits: window.hits, timeToExpire, isBlocked: false, timeToBlockExpire: 0 });
  }

  mark(key: string, ttlMs: number): Promise<void> {
    this.marks.set(key, Date.now() + ttlMs);
    return Promise.resolve();
  }

  isMarked(key: string): Promise<boolean> {
    return Promise.resolve((this.marks.get(key) ?? 0) > Date.now());
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweep);
  }

  private dropEnded(): void {
    const now = Date.now();
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
    for (const [key, endsAt] of this.marks) if (endsAt <= now) this.marks.delete(key);
  }
}
