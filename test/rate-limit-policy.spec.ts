import { randomBytes } from 'node:crypto';
import type { TokenAuth } from '../src/auth/auth-context';
import { withRateOverrides } from '../src/billing/plan-rules';
import { loadConfig } from '../src/config/app-config';
import { addressKey, reporterKey } from '../src/geo/address-key';
import { Keyring } from '../src/crypto/keyring';
import { accountKeyWith, knownAddressMark, rateBudgetFor, UNCOUNTED } from '../src/rate-limit/rate-limit.policy';

type Request = Parameters<typeof rateBudgetFor>[0];

const limits = loadConfig({ NODE_ENV: 'test' }).rateLimit;
const plans = withRateOverrides({});
const ratesOf = (plan: keyof typeof plans) => plans[plan].rates;
const accountKey = accountKeyWith(new Keyring(randomBytes(32)));

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
  expiresAt: null,
});

const request = (fields: { ip?: string; url?: string; route?: string; user?: Request['user']; body?: unknown }): Request =>
  ({
    ip: '203.0.113.7',
    socket: { remoteAddress: '203.0.113.7' },
    url: fields.url ?? '/api/v1/secrets',
    routeOptions: { url: fields.route ?? fields.url },
    ...fields,
  }) as unknown as Request;

const budget = (fields: Parameters<typeof request>[0], route: Parameters<typeof rateBudgetFor>[1], authenticated = false) =>
  rateBudgetFor(request(fields), route, authenticated, limits, ratesOf, accountKey);

describe('rateBudgetFor', () => {
  it('spends nothing on routes that say none', () => {
    expect(budget({}, 'none')).toBeNull();
  });

  it('gives a free token its per-second burst, its minute budget and its team’s, narrowest first, and shows the minute', () => {
    const free = budget({ user: token('free') }, undefined, true)!;
    expect(free.windows).toEqual([
      { tracker: 'burst:token:tok-1', limit: 40, ttlMs: 1000 },
      { tracker: 'token:tok-1', limit: 240, ttlMs: 60_000 },
      { tracker: 'team:team-1', limit: 600, ttlMs: 60_000 },
    ]);
    expect(free.shown).toBe(free.windows[1]);
  });

  it('gives a pro token the pro budgets, without a burst window', () => {
    expect(budget({ user: token('pro', 'tok-2') }, undefined, true)?.windows).toEqual([
      { tracker: 'token:tok-2', limit: 1000, ttlMs: 60_000 },
      { tracker: 'team:team-1', limit: 5000, ttlMs: 60_000 },
    ]);
  });

  it('charges a refused token to its address, not to the token', () => {
    expect(budget({ user: token('pro') }, undefined, false)?.windows).toEqual([
      { tracker: 'unauthenticated:203.0.113.7', limit: 60, ttlMs: 60_000 },
    ]);
  });

  it('counts link routes per address per hour', () => {
    expect(budget({ url: '/api/v1/links/abc' }, 'links')?.windows).toEqual([
      { tracker: 'links:203.0.113.7', limit: 300, ttlMs: 3_600_000 },
    ]);
  });

  it('with limits off, shows the same limits without working out the address (nothing is counted)', () => {
    const off = { ...limits, enabled: false };
    const shown = (fields: Parameters<typeof request>[0], route: Parameters<typeof rateBudgetFor>[1]) =>
      rateBudgetFor(request(fields), route, false, off, ratesOf, accountKey)!.shown;
    expect(shown({ url: '/api/v1/links/abc' }, 'links')).toEqual({ tracker: `links:${UNCOUNTED}`, limit: 300, ttlMs: 3_600_000 });
    expect(shown({ ip: '2001:db8::1' }, undefined)).toEqual({ tracker: `unauthenticated:${UNCOUNTED}`, limit: 60, ttlMs: 60_000 });
  });

  it('counts anonymous creation per address per hour', () => {
    expect(budget({ user: { kind: 'anonymous' } }, undefined)?.windows).toEqual([
      { tracker: 'anonymous:203.0.113.7', limit: 20, ttlMs: 3_600_000 },
    ]);
  });

  describe('logins', () => {
    const login = (email: string, fields: { ip?: string; url?: string } = {}) =>
      budget({ route: '/api/v1/auth/token', url: '/api/v1/auth/token', body: { email }, ...fields }, 'login')!.windows;

    it('spends per account and address, per address, and per account', () => {
      expect(login('ada@example.test').map((window) => [window.tracker.split(':')[0], window.limit])).toEqual([
        ['login', 10],
        ['login-address', 30],
        ['login-account', 20],
      ]);
    });

    it('keys on the account case-insensitively, and on the route pattern, never the raw URL', () => {
      expect(login('Ada@Example.test')).toEqual(login('ada@example.test'));
      expect(login('ada@example.test', { url: '/api/v1/auth/%74oken' })).toEqual(login('ada@example.test'));
      expect(login('ada@example.test')[0]).not.toEqual(login('bob@example.test')[0]);
      expect(login('ada@example.test')[1]).toEqual(login('bob@example.test')[1]);
      expect(login('ada@example.test', { ip: '198.51.100.1' })[2].tracker).toBe(login('ada@example.test')[2].tracker);
    });

    it('spares from the account’s window only the addresses that logged in to that account', () => {
      const [, , account] = login('ada@example.test', { ip: '198.51.100.1' });
      expect(account.unlessMarked).toBe(knownAddressMark(accountKey('Ada@Example.test'), '198.51.100.1'));
      expect(account.unlessMarked).not.toBe(knownAddressMark(accountKey('ada@example.test'), '198.51.100.2'));
      expect(account.unlessMarked).not.toBe(knownAddressMark(accountKey('bob@example.test'), '198.51.100.1'));
      expect(login('ada@example.test').filter((window) => window.unlessMarked)).toHaveLength(1);
    });
  });
});

describe('addressKey', () => {
  it('counts an IPv6 client by its /64 and an IPv4 client by its address', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts an abuse reporter by its network: an IPv4 /24, an IPv6 /48 (what one subscriber is often given)', () => {
    expect(reporterKey('203.0.113.7')).toBe(reporterKey('203.0.113.250'));
    expect(reporterKey('203.0.113.7')).not.toBe(reporterKey('203.0.114.7'));
    expect(reporterKey('2001:db8:1:2::1')).toBe(reporterKey('2001:db8:1:ff00::1'));
    expect(reporterKey('2001:db8:1:2::1')).not.toBe(reporterKey('2001:db8:2:2::1'));
    expect(reporterKey('2001:db8:1::1%eth0')).toBe(reporterKey('2001:db8:1::1'));
  });

  it('counts an address with a zone as the address: a zone is the receiving interface, and any text', () => {
    expect(addressKey('2001:db8:9::1%a-')).toBe(addressKey('2001:db8:9::2'));
    expect(addressKey('fe80::1%eth0.100')).toBe(addressKey('fe80::1'));
  });
});
