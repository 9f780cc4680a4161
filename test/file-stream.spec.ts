import { createHash, randomBytes } from 'node:crypto';
import { CHUNK_BYTES, FileFormatError, HEADER_BYTES, openFile, sealedSize, sealFile, TAG_BYTES } from '../src/crypto/file-stream';

const key = randomBytes(32);
const aad = Buffer.from('secret-id');

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

/** `data` as a stream cut into pieces of `size` bytes. */
function* pieces(data: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

const seal = (data: Buffer, metadata = { name: 'report.pdf', type: 'application/pdf' }) =>
  collect(sealFile(key, aad, metadata, pieces(data, 10_000)));

describe('the OLF1 chunked file format', () => {
  it.each([0, 1, CHUNK_BYTES - 50, CHUNK_BYTES - 49, CHUNK_BYTES, 3 * CHUNK_BYTES + 7])(
    'round-trips %i bytes, however the stream is cut',
    async (size) => {
      const data = randomBytes(size);
      const sealed = await seal(data);
      expect(sealed.length).toBe(sealedSize(size, JSON.stringify({ name: 'report.pdf', type: 'application/pdf' }).length));
      for (const cut of [1, 777, 65_552, 1 << 20]) {
        const opened = await openFile(key, aad, pieces(sealed, cut));
        expect(opened.metadata).toEqual({ name: 'report.pdf', type: 'application/pdf' });
        expect((await collect(opened.content)).equals(data)).toBe(true);
      }
    },
  );

  it('refuses a changed byte, a dropped or swapped chunk, a cut-short or extended file, another key or other associated data', async () => {
    const data = randomBytes(3 * CHUNK_BYTES + 100);
    const sealed = await seal(data);
    const chunk = (i: number) =>
      sealed.subarray(HEADER_BYTES + i * (CHUNK_BYTES + TAG_BYTES), HEADER_BYTES + (i + 1) * (CHUNK_BYTES + TAG_BYTES));
    const header = sealed.subarray(0, HEADER_BYTES);
    const flipped = Buffer.from(sealed);
    flipped[HEADER_BYTES + 2 * (CHUNK_BYTES + TAG_BYTES) + 5] ^= 1;
    const variants = [
      flipped,
      Buffer.concat([header, chunk(0), chunk(2), chunk(3)]),
      Buffer.concat([header, chunk(0), chunk(2), chunk(1), chunk(3)]),
      Buffer.concat([header, chunk(0), chunk(1), chunk(2)]),
      sealed.subarray(0, sealed.length - 1),
      Buffer.concat([sealed, chunk(1)]),
    ];
    for (const variant of variants) {
      const read = async () => collect((await openFile(key, aad, pieces(variant, 4096))).content);
      await expect(read()).rejects.toBeInstanceOf(FileFormatError);
    }
    await expect(openFile(randomBytes(32), aad, pieces(sealed, 4096))).rejects.toBeInstanceOf(FileFormatError);
    await expect(openFile(key, Buffer.from('other-id'), pieces(sealed, 4096))).rejects.toBeInstanceOf(FileFormatError);
  });

  it('never yields plaintext of a chunk that fails', async () => {
    const data = Buffer.alloc(2 * CHUNK_BYTES + 10, 7);
    const sealed = Buffer.from(await seal(data));
    sealed[sealed.length - 3] ^= 1; // the last chunk's tag
    const opened = await openFile(key, aad, pieces(sealed, 4096));
    const seen: Buffer[] = [];
    await expect(
      (async () => {
        for await (const part of opened.content) seen.push(part);
      })(),
    ).rejects.toBeInstanceOf(FileFormatError);
    const hash = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(Buffer.concat(seen).length).toBe(2 * CHUNK_BYTES - 4 - JSON.stringify({ name: 'report.pdf', type: 'application/pdf' }).length);
    expect(hash(Buffer.concat(seen))).toBe(hash(data.subarray(0, Buffer.concat(seen).length)));
  });
});
