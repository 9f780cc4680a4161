import { boundaryOf, FormDelimiters } from '../src/secrets/files/form-delimiters';

/** The parts counted in `body` written `size` bytes at a time. */
function partsIn(body: string, size: number, boundary = 'aXa'): number {
  const delimiters = new FormDelimiters(Buffer.from(boundary));
  const bytes = Buffer.from(body);
  for (let at = 0; at < bytes.length; at += size) delimiters.write(bytes.subarray(at, at + size));
  return delimiters.parts;
}

describe('FormDelimiters', () => {
  it.each([
    ['two parts', '--aXa\r\nA: 1\r\n\r\none\r\n--aXa\r\nA: 2\r\n\r\ntwo\r\n--aXa--\r\n', 2],
    ['a preamble, and an epilogue holding what looks like a delimiter', 'pre\r\n--aXa\r\n\r\nx\r\n--aXa--\r\n--aXa\r\n\r\ny', 1],
    ['an empty part between two delimiters', '--aXa\r\n--aXa\r\n\r\nx\r\n--aXa--', 2],
    ['near misses of the boundary', '--aXa\r\n\r\n\r\n--aX\r\n--aXaX\r\n--a-Xa\r\n--aXa--', 2],
    ['a lone dash after a delimiter', '--aXa-\r\n\r\nx\r\n--aXa--', 1],
    ['only the closing delimiter', '--aXa--\r\n', 0],
  ])('counts %s however the body is cut into chunks', (_what, body, parts) => {
    for (let size = 1; size <= body.length; size += 1) expect([size, partsIn(body, size)]).toEqual([size, parts]);
  });

  it.each([
    ['multipart/form-data; boundary=abc', 'abc'],
    ['multipart/form-data; charset=utf-8; BOUNDARY="a\\"b c"; x=1', 'a"b c'],
    ['multipart/form-data; boundary = a b', 'ab'],
    ['multipart/form-data', null],
  ])('reads the boundary of %s as busboy does', (contentType, boundary) => {
    expect(boundaryOf(contentType)?.toString('latin1') ?? null).toBe(boundary);
  });
});
