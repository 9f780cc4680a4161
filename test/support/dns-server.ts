import ipaddr from 'ipaddr.js';
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';

export interface DnsServer {
  /** The loopback address it listens on, port 53: an /etc/resolv.conf `nameserver` line has no port. */
  address: string;
  /** Every name asked for, lower-cased, in order (A and AAAA alike). */
  asked: string[];
  close(): void;
}

const A = 1;
const AAAA = 28;

/**
 * A nameserver of the spec's own on a random loopback address (port 53, so root only): it answers
 * the names in `records` (one address each: an IPv4 one as an A record, an IPv6 one as an AAAA,
 * and nothing of the other type), never answers a name `silent`
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
      const address = records[name];
      const matches = address !== undefined && type === (isIP(address) === 6 ? AAAA : A);
      socket.send(answer(query, end, name in records, matches ? address : undefined), peer.port, peer.address);
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
    const bytes = ipaddr.parse(address).toByteArray();
    const record = Buffer.alloc(12 + bytes.length);
    record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    record.writeUInt16BE(bytes.length === 16 ? AAAA : A, 2);
    record.writeUInt16BE(1, 4); // IN
    record.writeUInt32BE(60, 6);
    record.writeUInt16BE(bytes.length, 10);
    Buffer.from(bytes).copy(record, 12);
    parts.push(record);
  }
  return Buffer.concat(parts);
}
