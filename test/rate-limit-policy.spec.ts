import type { TokenAuth } from '../src/auth/auth-context';
import { withRateOverrides } from '../src/billing/plan-rules';
import { loadConfig } from '../src/config/app-config';
import { rateBudgetFor } from '../src/rate-limit/rate-limit.policy';

type Request = Parameters<typeof rateBudgetFor>[0];

const limits = loadConfig({ NODE_ENV: 'test' }).rateLimit;
const plans = withRateOverrides({});
const ratesOf = (plan: keyof typeof plans) => plans[plan].rates;

const token = (teamPlan: TokenAuth['teamPlan'], tokenId = 'tok-1'): TokenAuth => ({
  kind: 'token',
  tokenId,
  userId: 'user-1',
  userKind: 'user',
  userName: 'Ada',
  teamId: 'team-1',
  teamPlan,
  role: 'owner',
  abilities: ['secrets:read'],
  mode: 'live',
});

const request = (fields: { ip?: string; url?: string; user?: Request['user']; body?: unknown }): Request =>
  ({ ip: '203.0.113.7', url: '/api/v1/secrets', ...fields }) as unknown as Request;

describe('rateBudgetFor', () => {
  it('spends nothing on routes that say none', () => {
    expect(rateBudgetFor(request({}), 'none', false, limits, ratesOf)).toBeNull();
  });

  it('gives a free token its plan’s minute budget and per-second burst, keyed on the token', () => {
    expect(rateBudgetFor(request({ user: token('free') }), undefined, true, limits, ratesOf)).toEqual({
      tracker: 'token:tok-1',
      limit: 240,
      ttlMs: 60_000,
      burst: { limit: 40, ttlMs: 1000 },
    });
  });

  it('gives a pro token the pro budget, without a burst window', () => {
    expect(rateBudgetFor(request({ user: token('pro', 'tok-2') }), undefined, true, limits, ratesOf)).toEqual({
      tracker: 'token:tok-2',
      limit: 1000,
      ttlMs: 60_000,
      burst: undefined,
    });
  });

  it('charges a refused token to its address, not to the token', () => {
    const budget = rateBudgetFor(request({ user: token('pro') }), undefined, false, limits, ratesOf);
    expect(budget).toEqual({ tracker: 'unauthenticated:203.0.113.7', limit: 60, ttlMs: 60_000 });
  });

  it('counts link routes per address per hour', () => {
    expect(rateBudgetFor(request({ url: '/api/v1/links/abc' }), 'links', false, limits, ratesOf)).toEqual({
      tracker: 'links:203.0.113.7',
      limit: 300,
      ttlMs: 3_600_000,
    });
  });

  it('counts anonymous creation per address per hour', () => {
    const budget = rateBudgetFor(request({ user: { kind: 'anonymous' } }), undefined, false, limits, ratesOf);
    expect(budget).toEqual({ tracker: 'anonymous:203.0.113.7', limit: 20, ttlMs: 3_600_000 });
  });

  it('keys logins on the account (case-insensitively) and the address', () => {
    const login = (email: string, ip = '203.0.113.7') =>
      rateBudgetFor(request({ url: '/api/v1/auth/token', body: { email }, ip }), 'login', false, limits, ratesOf)!.tracker;
    expect(login('Ada@Example.test')).toBe(login('ada@example.test'));
    expect(login('ada@example.test')).not.toBe(login('bob@example.test'));
    expect(login('ada@example.test')).not.toBe(login('ada@example.test', '198.51.100.1'));
    expect(rateBudgetFor(request({ url: '/api/v1/auth/token', body: {} }), 'login', false, limits, ratesOf)!.limit).toBe(10);
  });
});
