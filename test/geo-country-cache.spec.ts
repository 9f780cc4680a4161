import { loadConfig } from '../src/config/app-config';
import { BoundedCache } from '../src/geo/bounded-cache';
import { COUNTRY_CACHE_LIMIT, CountryLookup } from '../src/geo/country-lookup';
import { clientIp } from '../src/common/http/proxy-trust';

describe('BoundedCache', () => {
  it('holds at most its limit, dropping the oldest first', () => {
    const cache = new BoundedCache<string>(3);
    for (const key of ['a', 'b', 'c', 'd', 'e']) cache.get(key, (k) => k.toUpperCase());
    expect(cache.size).toBe(3);
    expect(['a', 'b', 'c', 'd', 'e'].map((key) => cache.has(key))).toEqual([false, false, true, true, true]);
  });

  it('computes a key once while it is held, and does not remember a throw', () => {
    const cache = new BoundedCache<number>(2);
    let calls = 0;
    const compute = () => ++calls;
    expect([cache.get('x', compute), cache.get('x', compute)]).toEqual([1, 1]);
    expect(() =>
      cache.get('y', () => {
        throw new Error('damaged');
      }),
    ).toThrow('damaged');
    expect(cache.has('y')).toBe(false);
  });
});

describe("CountryLookup's cache of addresses", () => {
  const path = loadConfig({ NODE_ENV: 'test' }).geo.database;

  it('stays at COUNTRY_CACHE_LIMIT addresses however many clients come, the oldest gone', () => {
    const countries = CountryLookup.open(path);
    const known = (countries as unknown as { known: BoundedCache<string | null> }).known;
    const addresses = Array.from({ length: COUNTRY_CACHE_LIMIT + 500 }, (_, i) => `5.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    for (const address of addresses) countries.find(address);
    expect(known.size).toBe(COUNTRY_CACHE_LIMIT);
    expect(known.has(addresses[0])).toBe(false);
    expect(known.has(addresses[499])).toBe(false);
    expect(known.has(addresses[500])).toBe(true);
    expect(known.has(addresses.at(-1)!)).toBe(true);
  });

  // A forwarded address reaches the lookup as clientIp writes it.
  const forwarded = clientIp({ ip: '[2a01:4f8::1]:443', socket: { remoteAddress: '127.0.0.1' } });

  it.each([
    ['IPv4', '5.9.0.1', 'DE'],
    ['IPv6', '2a01:4f8::1', 'DE'],
    ['mapped IPv4', '::ffff:5.9.0.1', 'DE'],
    ['a proxy-forwarded address', forwarded, 'DE'],
    ['a private address', '10.0.0.1', null],
    ['no address', 'not an address', null],
  ])('answers for %s (%s) as an uncached look-up does, first and again', (_kind, address, country) => {
    const cached = CountryLookup.open(path);
    const uncached = CountryLookup.open(path);
    const read = (uncached as unknown as { read: (address: string) => string | null }).read.bind(uncached);
    expect(read(address)).toBe(country);
    expect(cached.find(address)).toBe(country);
    expect(cached.find(address)).toBe(country);
  });
});
