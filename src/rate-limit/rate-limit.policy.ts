import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AuthContext } from '../auth/auth-context';
import type { PlanName, TokenRates } from '../billing/plans';
import type { RateLimitConfig } from '../config/app-config';
import { clientIp } from '../common/http/proxy-trust';
import { addressKey } from '../geo/address-key';
import type { PublicBudget } from './rate-limit.decorator';

export interface RateWindow {
  /** Whose counter: a token, a team, an address (IPv6 by /64), an account. */
  tracker: string;
  limit: number;
  ttlMs: number;
}

/** Every window a request spends from; any one exhausted refuses it. X-RateLimit-* describe the first, but a 429 the one exhausted. */
export interface RateBudget {
  windows: RateWindow[];
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const digest = (value: string) => createHash('sha256').update(value).digest('base64url');

/** Decides which budgets a request spends, from who is calling and what the route says. */
export function rateBudgetFor(
  request: FastifyRequest & { user?: AuthContext; body?: unknown },
  routeBudget: PublicBudget | undefined,
  authenticated: boolean,
  limits: RateLimitConfig,
  tokenRates: (plan: PlanName) => TokenRates,
): RateBudget | null {
  if (routeBudget === 'none') return null;
  // Whatever it carries: Stripe's requests are signed, not authenticated by a token.
  if (routeBudget === 'stripe') {
    return { windows: [{ tracker: `stripe:${addressKey(clientIp(request))}`, limit: limits.stripePerMinute, ttlMs: MINUTE }] };
  }
  const user = request.user;
  if (user?.kind === 'token' && authenticated) {
    const rates = tokenRates(user.teamPlan);
    const windows = [
      { tracker: `token:${user.tokenId}`, limit: rates.perMinute, ttlMs: MINUTE },
      // Minting more tokens does not multiply what a team may send.
      { tracker: `team:${user.teamId}`, limit: rates.teamPerMinute, ttlMs: MINUTE },
    ];
    if (rates.perSecond) windows.push({ tracker: `burst:token:${user.tokenId}`, limit: rates.perSecond, ttlMs: SECOND });
    return { windows };
  }
  const address = addressKey(clientIp(request));
  if (routeBudget === 'links') return { windows: [{ tracker: `links:${address}`, limit: limits.linksPerHour, ttlMs: HOUR }] };
  if (routeBudget === 'login') {
    const email = (request.body as { email?: unknown } | undefined)?.email;
    const account = digest(typeof email === 'string' ? email.toLowerCase() : '');
    // The route pattern, never the raw URL: /api/v1/auth/%74oken is the same route with the same budget.
    // Per route too, so registering an address does not use up its owner's login attempts.
    const route = request.routeOptions.url ?? 'unrouted';
    return {
      windows: [
        { tracker: `login:${route}:${account}:${address}`, limit: limits.loginPerMinute, ttlMs: MINUTE },
        // Many accounts from one address, and one account from many addresses.
        { tracker: `login-address:${route}:${address}`, limit: limits.loginPerAddressPerMinute, ttlMs: MINUTE },
        { tracker: `login-account:${route}:${account}`, limit: limits.loginPerAccountPerMinute, ttlMs: MINUTE },
      ],
    };
  }
  if (user?.kind === 'anonymous') return { windows: [{ tracker: `anonymous:${address}`, limit: limits.anonymousPerHour, ttlMs: HOUR }] };
  return { windows: [{ tracker: `unauthenticated:${address}`, limit: limits.unauthenticatedPerMinute, ttlMs: MINUTE }] };
}
