import { decodeKey, encodeKey, isKey } from '../src/client/link-crypto';

/** The key in a link's fragment, in both alphabets the share page reads. */
describe('a link key', () => {
  // Bytes whose standard base64 has `+`, `/` and `=` padding, and whose base64url has `-` and `_`.
  const key = Buffer.concat([Buffer.from([0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff]), Buffer.alloc(26, 7)]);
  const standard = key.toString('base64');
  const url = encodeKey(key);

  it('reads the same 32 bytes from base64url and from standard base64, padded or not', () => {
    expect(standard).toMatch(/^\+{4}\/{4}.*=$/);
    expect(url).toMatch(/^-{4}_{4}[^=]*$/);
    for (const written of [url, standard, standard.slice(0, -1)]) {
      expect([written, isKey(written)]).toEqual([written, true]);
      expect(decodeKey(written).equals(key)).toBe(true);
    }
  });

  it('is refused cut short, run long or with a character neither alphabet has', () => {
    for (const written of [url.slice(0, -1), `${url}A`, `${url.slice(0, -1)}.`, `${standard}=`, '']) {
      expect([written, isKey(written)]).toEqual([written, false]);
    }
  });
});
