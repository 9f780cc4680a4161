import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Oncelink's chunked file format, OLF1: an authenticated streaming construction (the STREAM
 * scheme of Hoang, Reyhanitabar, Rogaway and Vizár, as in age and Tink), shared by the server
 * (`server` files) and clients (`client` files, the CLI and the share page). See the README.
 *
 *   header   "OLF1" (4 bytes) ‖ salt (16 random bytes)
 *   key      HKDF-SHA256(base key, salt, "oncelink file v1", 32 bytes)
 *   chunks   the plaintext, cut into 64 KiB pieces (the last one 0 to 64 KiB), each sealed with
 *            AES-256-GCM under nonce = 7 zero bytes ‖ uint32 BE chunk index ‖ last (0x01 on the
 *            last chunk, else 0x00), with the associated data, as ciphertext ‖ 16-byte tag
 *   plaintext uint32 BE n ‖ n bytes of JSON {"name": string|null, "type": string|null} ‖ the file
 *
 * Every chunk is checked before any of its bytes are used; a changed, dropped, reordered or
 * appended chunk, or a stream cut short, fails.
 */
export const FILE_MAGIC = Buffer.from('OLF1');
const SALT_BYTES = 16;
export const HEADER_BYTES = FILE_MAGIC.length + SALT_BYTES;
export const CHUNK_BYTES = 64 * 1024;
export const TAG_BYTES = 16;
const SEALED_CHUNK_BYTES = CHUNK_BYTES + TAG_BYTES;
/** Largest metadata JSON. */
export const MAX_METADATA_BYTES = 4096;

export interface FileMetadata {
  name: string | null;
  type: string | null;
}

export class FileFormatError extends Error {}

function fileKey(baseKey: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', baseKey, salt, 'oncelink file v1', 32));
}

function nonce(index: number, last: boolean): Buffer {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt32BE(index, 7);
  bytes[11] = last ? 1 : 0;
  return bytes;
}

/** The metadata as sealed: its name and type as JSON. */
function metadataJson(metadata: FileMetadata): Buffer {
  return Buffer.from(JSON.stringify({ name: metadata.name, type: metadata.type }));
}

/** The length of `metadata` as sealed, for `sealedSize`. */
export function metadataBytes(metadata: FileMetadata): number {
  return metadataJson(metadata).length;
}

/** The sealed size of a file of `contentBytes` with `metadataBytes` of JSON. */
export function sealedSize(contentBytes: number, metadataBytes: number): number {
  const plaintext = 4 + metadataBytes + contentBytes;
  const chunks = Math.max(1, Math.ceil(plaintext / CHUNK_BYTES));
  return HEADER_BYTES + plaintext + chunks * TAG_BYTES;
}

/**
 * Whether `bytes` is a length OLF1 can have, which a server without the key can check: the header,
 * then whole sealed chunks, then the last one, at least its tag (the format lets it be empty after
 * full ones, though `sealFile` seals a full chunk as the last instead) or exactly full; the first
 * chunk holds at least the metadata's 4-byte length, which `openFile` reads.
 */
export function isSealedLength(bytes: number): boolean {
  const chunks = bytes - HEADER_BYTES;
  const last = chunks % SEALED_CHUNK_BYTES;
  return chunks >= TAG_BYTES + 4 && (last === 0 || last >= TAG_BYTES);
}

/** Seals `source` (the file's bytes) into OLF1, chunk by chunk, holding at most one chunk. */
export async function* sealFile(
  baseKey: Buffer,
  associatedData: Buffer,
  metadata: FileMetadata,
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
): AsyncGenerator<Buffer> {
  const salt = randomBytes(SALT_BYTES);
  const key = fileKey(baseKey, salt);
  let index = 0;
  const seal = (plaintext: Buffer, last: boolean) => {
    const cipher = createCipheriv('aes-256-gcm', key, nonce(index++, last));
    cipher.setAAD(associatedData);
    return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  };
  yield Buffer.concat([FILE_MAGIC, salt]);
  const json = metadataJson(metadata);
  if (json.length > MAX_METADATA_BYTES) throw new FileFormatError('File metadata too large');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  let pending: Buffer = Buffer.concat([length, json]);
  for await (const data of source) {
    pending = pending.length ? Buffer.concat([pending, data]) : data;
    // A full chunk is sealed as not-last only once more bytes are known to follow it.
    while (pending.length > CHUNK_BYTES) {
      yield seal(pending.subarray(0, CHUNK_BYTES), false);
      pending = pending.subarray(CHUNK_BYTES);
    }
  }
  yield seal(pending, true);
}

/**
 * Opens an OLF1 stream: resolves once the first chunk has been authenticated (so a wrong key or
 * a damaged start fails before anything is sent anywhere), with the metadata and the file's
 * bytes, each chunk authenticated before it is yielded.
 */
export async function openFile(
  baseKey: Buffer,
  associatedData: Buffer,
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
): Promise<{ metadata: FileMetadata; content: AsyncGenerator<Buffer> }> {
  const reader = new PeekableReader(source);
  const header = await reader.read(HEADER_BYTES);
  if (header.length < HEADER_BYTES || !header.subarray(0, FILE_MAGIC.length).equals(FILE_MAGIC)) {
    throw new FileFormatError('Not an OLF1 file');
  }
  const key = fileKey(baseKey, header.subarray(FILE_MAGIC.length));
  let index = 0;
  const next = async (): Promise<{ plaintext: Buffer; last: boolean }> => {
    const sealed = await reader.read(SEALED_CHUNK_BYTES);
    if (sealed.length < TAG_BYTES) throw new FileFormatError('The file is cut short');
    const last = sealed.length < SEALED_CHUNK_BYTES || (await reader.atEnd());
    const decipher = createDecipheriv('aes-256-gcm', key, nonce(index++, last));
    decipher.setAAD(associatedData);
    decipher.setAuthTag(sealed.subarray(-TAG_BYTES));
    try {
      return { plaintext: Buffer.concat([decipher.update(sealed.subarray(0, -TAG_BYTES)), decipher.final()]), last };
    } catch {
      throw new FileFormatError(`Chunk ${index - 1} failed authentication`);
    }
  };
  const first = await next();
  if (first.plaintext.length < 4) throw new FileFormatError('The file is cut short');
  const jsonBytes = first.plaintext.readUInt32BE(0);
  if (jsonBytes > MAX_METADATA_BYTES || 4 + jsonBytes > first.plaintext.length) throw new FileFormatError('Bad file metadata');
  const metadata = parseMetadata(first.plaintext.subarray(4, 4 + jsonBytes));
  async function* content(): AsyncGenerator<Buffer> {
    let chunk = { plaintext: first.plaintext.subarray(4 + jsonBytes), last: first.last };
    for (;;) {
      if (chunk.plaintext.length) yield chunk.plaintext;
      if (chunk.last) return;
      chunk = await next();
    }
  }
  return { metadata, content: content() };
}

function parseMetadata(json: Buffer): FileMetadata {
  try {
    const parsed = JSON.parse(json.toString('utf8')) as Partial<FileMetadata>;
    return { name: typeof parsed.name === 'string' ? parsed.name : null, type: typeof parsed.type === 'string' ? parsed.type : null };
  } catch {
    throw new FileFormatError('Bad file metadata');
  }
}

/** Reads exactly what is asked of an async byte stream, however it is cut, with a lookahead for the end. */
class PeekableReader {
  private buffered: Buffer = Buffer.alloc(0);
  private done = false;
  private readonly iterator: AsyncIterator<Buffer> | Iterator<Buffer>;

  constructor(source: AsyncIterable<Buffer> | Iterable<Buffer>) {
    this.iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  }

  private async fill(n: number): Promise<void> {
    const parts: Buffer[] = [this.buffered];
    let length = this.buffered.length;
    while (length < n && !this.done) {
      const next = await this.iterator.next();
      if (next.done) this.done = true;
      else {
        parts.push(next.value);
        length += next.value.length;
      }
    }
    if (parts.length > 1) this.buffered = Buffer.concat(parts);
  }

  /** Up to `n` bytes: fewer only at the end of the stream. */
  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    const taken = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return taken;
  }

  async atEnd(): Promise<boolean> {
    await this.fill(1);
    return this.buffered.length === 0;
  }
}
