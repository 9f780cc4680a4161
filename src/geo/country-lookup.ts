import { readFileSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import ipaddr from 'ipaddr.js';
import { CountryResponse, Reader } from 'mmdb-lib';
import { BoundedCache } from './bounded-cache';
import { isCountryCode } from './country-code';

/** ip-location-db's DB-IP file carries `country_code`; MaxMind's GeoLite2 `country.iso_code`. */
type CountryRecord = CountryResponse & { readonly country_code?: string };

/**
 * Google's public resolvers. Every country database places the IPv4 one: one that does not
 * (another kind, ASN; IPv6 addresses only) stops the start rather than refusing every viewer of
 * a country-ruled secret. One without the IPv6 one (IPv4 addresses only) refuses those on IPv6.
 */
const IPV4_PROBE = '8.8.8.8';
export const IPV6_PROBE = '2001:4860:4860::8888';

/**
 * The IPv4 address a tunnel's IPv6 one carries, which is where its client is: a 6to4 address
 * (2002::/16) holds its router's in bits 16-47 (RFC 3056), a Teredo one (2001::/32) its client's,
 * inverted, in the last 32 (RFC 4380). Databases place both prefixes whole in one country.
 */
function tunnelledIpv4({ parts }: ipaddr.IPv6): ipaddr.IPv4 | null {
  if (parts[0] === 0x2002) return ipv4(parts[1], parts[2]);
  if (parts[0] === 0x2001 && parts[1] === 0) return ipv4(parts[6] ^ 0xffff, parts[7] ^ 0xffff);
  return null;
}

/** Addresses whose country is remembered: the file never changes while the process runs. */
export const COUNTRY_CACHE_LIMIT = 10_000;

const ipv4 = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);

/** A country `.mmdb` file loaded once into memory; a look-up is a walk of its search tree. */
export class CountryLookup {
  private readonly logger = new Logger(CountryLookup.name);
  private failed = false;
  private readonly known = new BoundedCache<string | null>(COUNTRY_CACHE_LIMIT);
  /** Whether IPv6 viewers can have a country: the file places IPV6_PROBE in one. */
  readonly placesIpv6: boolean;

  private constructor(private readonly reader: Reader<CountryRecord>) {
    if (this.probe(IPV4_PROBE) === null) {
      throw new Error(
        `it has no country for ${IPV4_PROBE}, which every country database places (its type: ${reader.metadata.databaseType})`,
      );
    }
    this.placesIpv6 = this.probe(IPV6_PROBE) !== null;
  }

  /** Throws when the file is no MaxMind DB, or not a readable country one. */
  static open(path: string): CountryLookup {
    return new CountryLookup(new Reader<CountryRecord>(readFileSync(path)));
  }

  /**
   * The ISO 3166-1 alpha-2 code of the address's country; null for private, reserved or unknown
   * addresses, and for those the file cannot be read for (a damaged part), which fail closed.
   */
  find(address: string | undefined): string | null {
    if (!address) return null;
    try {
      // A damaged part's failure throws, so it is not remembered and is logged as before.
      return this.known.get(address, (key) => this.read(key));
    } catch (error) {
      if (!this.failed) {
        this.failed = true;
        this.logger.error(`GEOIP_DATABASE is damaged (${(error as Error).message}): addresses in its damaged part have no country`);
      }
      return null;
    }
  }

  private read(address: string | undefined): string | null {
    if (!address || !ipaddr.isValid(address)) return null;
    // An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d.
    const processed = ipaddr.process(address);
    const ip = processed.kind() === 'ipv6' ? (tunnelledIpv4(processed as ipaddr.IPv6) ?? processed) : processed;
    // An IPv4-only database read with an IPv6 address walks its first 32 bits as if they were
    // one: 2a00:1450:: would be 42.0.20.80's country. It has no answer for IPv6, so none is given.
    if (ip.kind() === 'ipv6' && this.reader.metadata.ipVersion === 4) return null;
    const record = this.reader.get(ip.toString());
    const code = record?.country_code ?? record?.country?.iso_code;
    // What an edge header may say, and so what a secret may allow: no EU, AP or ZZ.
    return isCountryCode(code) ? code.toUpperCase() : null;
  }

  private probe(address: string): string | null {
    try {
      return this.read(address);
    } catch (error) {
      throw new Error(`looking up ${address} failed (${(error as Error).message})`);
    }
  }
}
