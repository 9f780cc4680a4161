import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AuthContext } from '../auth/auth-context';
import type { PlanName, TokenRates } from '../billing/plans';
import type { RateLimitConfig } from '../config/app-config';
import type { PublicBudget } from './rate-limit.decorator';

export interface RateBudget {
  /** Whose counter: a token, an address, or an account at an address. */
  tracker: string;
  limit: number;
  ttlMs: number;
  /** A second, short window (free plan: 40 a second), or none. */
  burst?: { limit: number; ttlMs: number };
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const digest = (value: string) => createHash('sha256').update(value).digest('base64url');

/** Decides which budget a request spends, from who is calling and what the route says. */
export function rateBudgetFor(
  request: FastifyRequest & { user?: AuthContext; body?: unknown },
  routeBudget: PublicBudget | undefined,
  authenticated: boolean,
  limits: RateLimitConfig,
  tokenRates: (plan: PlanName) => TokenRates,
): RateBudget | null {
  if (routeBudget === 'none') return null;
  const user = request.user;
  if (user?.kind === 'token' && authenticated) {
    const rates = tokenRates(user.teamPlan);
    const burst = rates.perSecond ? { limit: rates.perSecond, ttlMs: SECOND } : undefined;
    return { tracker: `token:${user.tokenId}`, limit: rates.perMinute, ttlMs: MINUTE, burst };
  }
  const ip = request.ip;
  if (routeBudget === 'links') return { tracker: `links:${ip}`, limit: limits.linksPerHour, ttlMs: HOUR };
  if (routeBudget === 'login') {
    const email = (request.body as { email?: unknown } | undefined)?.email;
    const account = typeof email === 'string' ? email.toLowerCase() : '';
    // Per route too: registering an address must not use up its owner's login attempts.
    const route = request.url.split('?')[0];
    return { tracker: `login:${route}:${digest(account)}:${ip}`, limit: limits.loginPerMinute, ttlMs: MINUTE };
  }
  if (user?.kind === 'anonymous') return { tracker: `anonymous:${ip}`, limit: limits.anonymousPerHour, ttlMs: HOUR };
  return { tracker: `unauthenticated:${ip}`, limit: limits.unauthenticatedPerMinute, ttlMs: MINUTE };
}
