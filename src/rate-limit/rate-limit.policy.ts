import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AuthContext } from '../auth/auth-context';
import type { PlanName, TokenRates } from '../billing/plans';
import type { RateLimitConfig } from '../config/app-config';
import { API_PREFIX } from '../common/http/api-paths';
import { clientIp } from '../common/http/proxy-trust';
import { emailKey } from '../common/validation/email-field';
import type { Keyring } from '../crypto/keyring';
import { addressKey } from '../geo/address-key';
import type { PublicBudget } from './rate-limit.decorator';

export interface RateWindow {
  /** Whose counter: a token, a team, an address (IPv6 by /64), an account. */
  tracker: string;
  limit: number;
  ttlMs: number;
  /** A mark (in the counters' storage) whose holder this window counts but does not refuse. */
  unlessMarked?: string;
}

/**
 * The windows a request spends from, narrowest first: each is counted only once the ones before
 * it have let the request through, so a request one refuses spends none of the broader ones (a
 * token held back by its burst does not use up its minute, nor a team's). X-RateLimit-* describe
 * `shown`, but a 429 the window that refused.
 */
export interface RateBudget {
  windows: RateWindow[];
  shown: RateWindow;
}

/** The address in an uncounted budget's trackers (limits off). */
export const UNCOUNTED = 'uncounted';

const only = (window: RateWindow): RateBudget => ({ windows: [window], shown: window });

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** How long an address that logged in to an account stays known to it (see loginBudget). */
export const KNOWN_ADDRESS_TTL_MS = 30 * 24 * HOUR;

const digest = (value: string) => createHash('sha256').update(value).digest('base64url');

/** How the login budgets name an account (see accountKeyWith). */
export type AccountKey = (email: string) => string;

/**
 * An account as the login budgets name it: an HMAC of its email under the active master key, so
 * whoever reads the counters (Redis keeps an address's mark for 30 days) cannot test an email, or
 * an email and every IPv4 address, against them as against a plain hash. A new ENCRYPTION_KEY
 * starts the accounts' windows and marks afresh.
 */
export const accountKeyWith =
  (keyring: Keyring): AccountKey =>
  (email) =>
    keyring.digest(keyring.activeKeyId, `login account:${emailKey(email)}`)!.toString('base64url');

/** Decides which budgets a request spends, from who is calling and what the route says. */
export function rateBudgetFor(
  request: FastifyRequest & { user?: AuthContext; body?: unknown },
  routeBudget: PublicBudget | undefined,
  authenticated: boolean,
  limits: RateLimitConfig,
  tokenRates: (plan: PlanName) => TokenRates,
  accountKey: AccountKey,
): RateBudget | null {
  if (routeBudget === 'none') return null;
  // Whatever it carries: Stripe's requests are signed, not authenticated by a token.
  if (routeBudget === 'stripe') {
    return only({ tracker: `stripe:${addressKey(clientIp(request))}`, limit: limits.stripePerMinute, ttlMs: MINUTE });
  }
  const user = request.user;
  if (user?.kind === 'token' && authenticated) {
    const rates = tokenRates(user.teamPlan);
    const minute = { tracker: `token:${user.tokenId}`, limit: rates.perMinute, ttlMs: MINUTE };
    // Minting more tokens does not multiply what a team may send.
    const team = { tracker: `team:${user.teamId}`, limit: rates.teamPerMinute, ttlMs: MINUTE };
    const burst = rates.perSecond ? [{ tracker: `burst:token:${user.tokenId}`, limit: rates.perSecond, ttlMs: SECOND }] : [];
    return { windows: [...burst, minute, team], shown: minute };
  }
  // With limits off nothing is counted and only the shown window's limit and length are read
  // (RateLimiter), so the address, parsed per request, is not worked out for a tracker.
  const address = limits.enabled ? addressKey(clientIp(request)) : UNCOUNTED;
  if (routeBudget === 'links') return only({ tracker: `links:${address}`, limit: limits.linksPerHour, ttlMs: HOUR });
  if (routeBudget === 'login') {
    const email = (request.body as { email?: unknown } | undefined)?.email;
    // A body that names no account (a 422 to come) spends no account's budget: one shared by every
    // such body, worldwide, would soon refuse them all with a 429 that hides the mistake.
    const account = typeof email === 'string' && email !== '' ? accountKey(email) : null;
    // The route pattern, never the raw URL: /api/v1/auth/%74oken is the same route with the same budget.
    return loginBudget(request.routeOptions.url ?? 'unrouted', account, address, limits);
  }
  if (user?.kind === 'anonymous') return only({ tracker: `anonymous:${address}`, limit: limits.anonymousPerHour, ttlMs: HOUR });
  return only({ tracker: `unauthenticated:${address}`, limit: limits.unauthenticatedPerMinute, ttlMs: MINUTE });
}

/** The login route's pattern, whose budget a password confirmed with a token (PATCH and DELETE /account) spends too. */
export const LOGIN_ROUTE = `/${API_PREFIX}/auth/token`;

/** The mark of an address that logged in to `account` (an AccountKey; RateLimiter.rememberLogin): the pair, digested. */
export function knownAddressMark(account: string, address: string): string {
  return `login-known:${digest(`${account}:${address}`)}`;
}

/**
 * Attempts at the password of `account` (an AccountKey; null when the request names none) through
 * `route` from `address`, against brute force.
 */
export function loginBudget(route: string, account: string | null, address: string, limits: RateLimitConfig): RateBudget {
  // Per route too, so registering an address does not use up its owner's login attempts.
  const pair = { tracker: `login:${route}:${account ?? ''}:${address}`, limit: limits.loginPerMinute, ttlMs: MINUTE };
  // Many accounts from one address, and one account from many addresses: an address the pair
  // has refused spends none of the account's, and the account's does not refuse an address
  // that logged in to it within KNOWN_ADDRESS_TTL_MS, so addresses guessing at an account
  // cannot lock its owner out (only the addresses it has not logged in from, for the minute).
  const perAddress = { tracker: `login-address:${route}:${address}`, limit: limits.loginPerAddressPerMinute, ttlMs: MINUTE };
  if (account === null) return { windows: [pair, perAddress], shown: pair };
  const perAccount = {
    tracker: `login-account:${route}:${account}`,
    limit: limits.loginPerAccountPerMinute,
    ttlMs: MINUTE,
    unlessMarked: knownAddressMark(account, address),
  };
  return { windows: [pair, perAddress, perAccount], shown: pair };
}
