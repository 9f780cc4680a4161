import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { bearer } from './support/factories';
import { uploadFile } from './support/multipart';
import { newTeamOn } from './support/teams';
import { useTestApp } from './support/test-app';

/**
 * POSTs a multipart body to /api/v1/secrets over a raw socket, `size` bytes a write with a pause
 * after each, so the server reads it in small chunks and a delimiter arrives split across them.
 */
async function inSmallWrites(baseUrl: string, pat: string, boundary: string, body: Buffer, size: number) {
  const socket = connect(Number(new URL(baseUrl).port), '127.0.0.1');
  socket.setNoDelay(true);
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  const closed = new Promise((resolve) => socket.on('close', resolve));
  socket.on('error', () => undefined);
  socket.write(
    [
      'POST /api/v1/secrets HTTP/1.1',
      'Host: 127.0.0.1',
      `Authorization: Bearer ${pat}`,
      `Content-Type: multipart/form-data; boundary=${boundary}`,
      `Content-Length: ${body.length}`,
      'Connection: close',
      '',
      '',
    ].join('\r\n'),
  );
  for (let at = 0; at < body.length; at += size) {
    socket.write(body.subarray(at, at + size));
    await sleep(2);
  }
  await closed;
  const end = received.indexOf('\r\n\r\n');
  return {
    status: Number(/^HTTP\/1\.1 (\d+)/.exec(received.subarray(0, end).toString('latin1'))?.[1]),
    body: JSON.parse(received.subarray(end + 4).toString('utf8')) as { code?: string; data?: Record<string, unknown> },
  };
}

/** Reveals a file link and answers the bytes it streams. */
function download(baseUrl: string, token: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/api/v1/links/${token}/reveal`, { method: 'POST' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * busboy passes over a part whose Content-Disposition is not `form-data` (or is missing, or
 * whose header block never ends) without a word: a passcode sent so would be left off a secret
 * made without it. The whole request is refused instead, and nothing is made.
 */
describe('a multipart part the parser passes over', () => {
  const t = useTestApp();
  let pat: string;
  const form = { expire_mode: 'views', expire_value: '1' };
  const file = { name: 'a.txt', type: 'text/plain', data: Buffer.from('hello') };
  const made = async () => ({
    rows: (
      await t.dataSource.query(
        'SELECT (SELECT count(*)::int FROM secrets) AS secrets, (SELECT count(*)::int FROM secret_file_parts) AS parts',
      )
    )[0] as unknown,
    held: (await t.http().get('/api/v1/account').set(bearer(pat)).expect(200)).body.data.usage.file_bytes_held as unknown,
  });

  beforeAll(async () => {
    ({ pat } = await newTeamOn('pro', t.baseUrl, t.dataSource));
  });

  it.each([
    ['attachment', 'Content-Disposition: attachment; name="passcode"\r\n\r\nhunter2'],
    ['inline', 'Content-Disposition: inline; name="passcode"\r\n\r\nhunter2'],
    ['form_data, misspelt', 'Content-Disposition: form_data; name="passcode"\r\n\r\nhunter2'],
    ['missing', 'Content-Type: text/plain\r\n\r\nhunter2'],
    ['form-data, its headers never ending', 'Content-Disposition: form-data; name="passcode"\r\nhunter2'],
  ])('answers 400 malformed_multipart to a passcode part whose Content-Disposition is %s, making nothing', async (_what, raw) => {
    const before = await made();
    const res = await uploadFile(t.baseUrl, pat, form, file, { raw });
    expect([res.status, res.body]).toEqual([
      400,
      { message: 'The multipart body is malformed or incomplete.', code: 'malformed_multipart' },
    ]);
    expect(await made()).toEqual(before);
  });

  it('answers 400 to such a part after the file, removing what was stored of it', async () => {
    const before = await made();
    const boundary = 'XyZ';
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="expire_mode"\r\n\r\nviews\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="expire_value"\r\n\r\n1\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n${'x'.repeat(2 * 1024 * 1024)}\r\n` +
      `--${boundary}\r\nContent-Disposition: attachment; name="passcode"\r\n\r\nhunter2\r\n--${boundary}--\r\n`;
    const res = await t
      .http()
      .post('/api/v1/secrets')
      .set(bearer(pat))
      .set('content-type', `multipart/form-data; boundary=${boundary}`)
      .send(body);
    expect([res.status, res.body.code]).toEqual([400, 'malformed_multipart']);
    expect(await made()).toEqual(before);
  });

  describe('sent a few bytes a write, each delimiter split across reads', () => {
    const boundary = 'split-boundary-4c1e';
    const part = (disposition: string, value: string | Buffer) =>
      Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n\r\n`), Buffer.from(value), Buffer.from('\r\n')]);
    const fields = Buffer.concat([part('form-data; name="expire_mode"', 'views'), part('form-data; name="expire_value"', '1')]);
    const data = randomBytes(600);
    const filePart = part('form-data; name="file"; filename="f.bin"', data);
    const close = Buffer.from(`--${boundary}--\r\n`);

    it('answers 400 to a part with attachment, making nothing', async () => {
      const before = await made();
      const body = Buffer.concat([fields, part('attachment; name="passcode"', 'hunter2'), filePart, close]);
      const res = await inSmallWrites(t.baseUrl, pat, boundary, body, 3);
      expect([res.status, res.body.code]).toEqual([400, 'malformed_multipart']);
      expect(await made()).toEqual(before);
    });

    it('makes a secret of a well-formed form, whose file comes back byte for byte', async () => {
      const res = await inSmallWrites(t.baseUrl, pat, boundary, Buffer.concat([fields, filePart, close]), 3);
      expect(res.status).toBe(201);
      const opened = await download(t.baseUrl, String(res.body.data!.token));
      expect(opened.status).toBe(200);
      expect(opened.body.equals(data)).toBe(true);
    });
  });
});
