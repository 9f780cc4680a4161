import { readFileSync } from 'node:fs';
import ipaddr from 'ipaddr.js';
import { CountryResponse, Reader } from 'mmdb-lib';

/** ip-location-db's DB-IP file carries `country_code`; MaxMind's GeoLite2 `country.iso_code`. */
type CountryRecord = CountryResponse & { readonly country_code?: string };

const COUNTRY = /^[A-Z]{2}$/;

/** A country `.mmdb` file loaded once into memory; a look-up is a walk of its search tree. */
export class CountryLookup {
  private constructor(private readonly reader: Reader<CountryRecord>) {}

  static open(path: string): CountryLookup {
    return new CountryLookup(new Reader<CountryRecord>(readFileSync(path)));
  }

  /** The ISO 3166-1 alpha-2 code of the address's country; null for private, reserved or unknown addresses. */
  find(address: string | undefined): string | null {
    if (!address || !ipaddr.isValid(address)) return null;
    // An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d.
    const ip = ipaddr.process(address);
    // An IPv4-only database read with an IPv6 address walks its first 32 bits as if they were
    // one: 2a00:1450:: would be 42.0.20.80's country. It has no answer for IPv6, so none is given.
    if (ip.kind() === 'ipv6' && this.reader.metadata.ipVersion === 4) return null;
    const record = this.reader.get(ip.toString());
    const code = record?.country_code ?? record?.country?.iso_code;
    return code && COUNTRY.test(code) ? code : null;
  }
}
