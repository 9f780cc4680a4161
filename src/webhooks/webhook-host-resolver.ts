import { promises as dns } from 'node:dns';
import { readFileSync } from 'node:fs';
import { isIP, LookupFunction } from 'node:net';
import { within } from '../common/concurrency/within';

/** The longest a webhook host's DNS is waited for: at creation, and at most for a delivery. */
export const WEBHOOK_DNS_WAIT_MS = 3_000;

const LOOPBACK = ['127.0.0.1', '::1'];
/** c-ares's own answers; a name with none (NXDOMAIN, no record of the type) is simply not found. */
const NOT_FOUND: ReadonlySet<string> = new Set([dns.NOTFOUND, dns.NODATA]);

/** A webhook host whose DNS gave no answer in time: what an attempt's log says, and what the URL guard refuses. */
export class DnsNoAnswerError extends Error {
  readonly code = 'ETIMEOUT';
  constructor(host: string, waitedMs: number) {
    super(`DNS did not answer for ${host} within ${waitedMs} ms`);
  }
}

/** A delivery's host resolved to an address it may not connect to: what the delivery log says as a refusal. */
export class InwardAddressError extends Error {
  constructor(host: string) {
    super(`${host} resolves to an address that is not public`);
  }
}

/**
 * Resolves webhook hosts, for the URL guard and as the delivery agents' `lookup`, which refuses
 * a name with any address `admits` refuses (the agents check each address too, by a rule that
 * lets ::/96 through: see isPublicAddress). Not `dns.lookup`: getaddrinfo runs on libuv's four
 * threads and cannot be cancelled, so one team's name whose nameserver never answers would hold
 * them all, stalling every other team's lookups (and the file reads and password hashing that
 * share them). c-ares (`dns.Resolver`) waits on the event loop instead, within `waitMs`. It does
 * not read /etc/hosts, so the names listed there are answered from it (read once, at start), as
 * getaddrinfo would, with `localhost` as loopback and an address literal as itself; search
 * domains are not applied.
 */
export class WebhookHostResolver {
  private readonly resolver: dns.Resolver;
  private readonly hosts = hostsFile('/etc/hosts');

  constructor(
    private readonly waitMs: number,
    private readonly admits: (address: string) => boolean = () => true,
  ) {
    // Ends the query itself soon after we stop waiting for it (c-ares backs off between tries).
    this.resolver = new dns.Resolver({ timeout: Math.ceil(waitMs / 3), tries: 2 });
  }

  /** The host's addresses; DnsNoAnswerError when its DNS says nothing within the wait, ENOTFOUND when it has none. */
  async addresses(host: string): Promise<string[]> {
    const name = host
      .replace(/^\[|\]$/g, '')
      .replace(/\.+$/, '')
      .toLowerCase();
    if (isIP(name)) return [name];
    if (name === 'localhost') return LOOPBACK;
    const listed = this.hosts.get(name);
    if (listed) return listed;
    const query = (records: Promise<string[]>) =>
      records.catch((error: NodeJS.ErrnoException) => {
        if (error.code === dns.TIMEOUT) throw new DnsNoAnswerError(host, this.waitMs);
        if (NOT_FOUND.has(error.code ?? '')) return [];
        throw error;
      });
    const found = await within(Promise.all([query(this.resolver.resolve4(name)), query(this.resolver.resolve6(name))]), this.waitMs, () => {
      throw new DnsNoAnswerError(host, this.waitMs);
    });
    const addresses = found.flat();
    if (!addresses.length) throw Object.assign(new Error(`DNS has no address for ${host}`), { code: dns.NOTFOUND });
    return addresses;
  }

  /** `dns.lookup`'s shape, for `net.connect`'s `lookup` option. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
    this.addresses(hostname).then(
      (addresses) => {
        if (!addresses.every(this.admits)) return callback(new InwardAddressError(hostname), '');
        const entries = addresses
          .map((address) => ({ address, family: isIP(address) }))
          .filter((entry) => !family || entry.family === family);
        if (!entries.length)
          callback(Object.assign(new Error(`DNS has no IPv${family} address for ${hostname}`), { code: dns.NOTFOUND }), '');
        else if (options.all) callback(null, entries);
        else callback(null, entries[0].address, entries[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

/** Each name in a hosts file (lower-cased), with its addresses in the file's order; none when it cannot be read. */
function hostsFile(path: string): Map<string, string[]> {
  const hosts = new Map<string, string[]>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return hosts;
  }
  for (const line of text.split('\n')) {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (!isIP(address)) continue;
    for (const name of names.map((each) => each.toLowerCase())) hosts.set(name, [...(hosts.get(name) ?? []), address]);
  }
  return hosts;
}
