import { createSocket } from 'node:dgram';

export interface DnsServer {
  /** The loopback address it listens on, port 53: an /etc/resolv.conf `nameserver` line has no port. */
  address: string;
  /** Every name asked for, lower-cased, in order (A and AAAA alike). */
  asked: string[];
  close(): void;
}

const A = 1;

/**
 * A nameserver of the spec's own on a random loopback address (port 53, so root only): it answers
 * the names in `records` (an IPv4 address each, and no IPv6 one), never answers a name `silent`
 * picks, as an authoritative server that drops queries would not, and says NXDOMAIN to the rest.
 */
export async function startDnsServer(records: Record<string, string>, silent: (name: string) => boolean): Promise<DnsServer> {
  const asked: string[] = [];
  for (;;) {
    const address = `127.${1 + Math.floor(Math.random() * 254)}.${Math.floor(Math.random() * 256)}.53`;
    const socket = createSocket('udp4');
    socket.on('message', (query, peer) => {
      const { name, type, end } = question(query);
      asked.push(name);
      if (silent(name)) return;
      socket.send(answer(query, end, name in records, type === A ? records[name] : undefined), peer.port, peer.address);
    });
    const bound = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(false));
      socket.bind(53, address, () => resolve(true));
    });
    if (bound) return { address, asked, close: () => socket.close() };
    socket.close();
  }
}

/** The one question of a query: its name, type, and where it ends (RFC 1035 4.1.2). */
function question(query: Buffer): { name: string; type: number; end: number } {
  const labels: string[] = [];
  let at = 12;
  while (query[at] !== 0) {
    labels.push(query.subarray(at + 1, at + 1 + query[at]).toString('latin1'));
    at += 1 + query[at];
  }
  return { name: labels.join('.').toLowerCase(), type: query.readUInt16BE(at + 1), end: at + 5 };
}

/** The reply: the query's id and question, with `address` as its one answer; NXDOMAIN for a name that is not `known`. */
function answer(query: Buffer, questionEnd: number, known: boolean, address: string | undefined): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  // A response, recursion desired and available; rcode 3 (NXDOMAIN) when there is no such name.
  header.writeUInt16BE(known ? 0x8180 : 0x8183, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(address === undefined ? 0 : 1, 6);
  const parts = [header, query.subarray(12, questionEnd)];
  if (address !== undefined) {
    const record = Buffer.alloc(16);
    record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    record.writeUInt16BE(A, 2);
    record.writeUInt16BE(1, 4); // IN
    record.writeUInt32BE(60, 6);
    record.writeUInt16BE(4, 10);
    address.split('.').forEach((octet, i) => record.writeUInt8(Number(octet), 12 + i));
    parts.push(record);
  }
  return Buffer.concat(parts);
}
