import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';

export interface UploadResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { message?: string; data?: Record<string, unknown>; errors?: Record<string, string[]>; code?: string };
}

export interface FilePart {
  name: string;
  type: string;
  /** The bytes, whole or as a stream (written with backpressure, never buffered here). */
  data: Buffer | AsyncIterable<Buffer> | Iterable<Buffer>;
  /** Bytes `data` yields; without it (or with `declareLength: false`) the body goes chunked, its size undeclared. */
  size?: number;
}

/**
 * POSTs a real multipart/form-data body to /api/v1/secrets: the fields, then (unless null) the
 * file part, then anything in `after`. `declaredLength` overrides Content-Length (a lie, to test
 * the server's check before reading).
 */
export function uploadFile(
  baseUrl: string,
  pat: string | undefined,
  /** A Buffer value goes as its bytes (to send what is not UTF-8). */
  fields: Record<string, string | string[] | Buffer>,
  file: FilePart | null,
  options: {
    declareLength?: boolean;
    declaredLength?: number;
    after?: Record<string, string>;
    raw?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<UploadResult> {
  const boundary = `----oncelink${randomBytes(8).toString('hex')}`;
  const field = (name: string, value: string | Buffer) =>
    Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`),
      Buffer.from(value),
      Buffer.from('\r\n'),
    ]);
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) for (const one of [value].flat()) parts.push(field(name, one));
  if (options.raw) parts.push(Buffer.from(`--${boundary}\r\n${options.raw}\r\n`));
  if (file) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`,
      ),
    );
  }
  const head = Buffer.concat(parts);
  let tail = file ? '\r\n' : '';
  for (const [name, value] of Object.entries(options.after ?? {})) tail += field(name, value).toString();
  tail += `--${boundary}--\r\n`;
  const data = file?.data ?? Buffer.alloc(0);
  const size = Buffer.isBuffer(data) ? data.length : file?.size;
  const headers: Record<string, string | number> = { 'content-type': `multipart/form-data; boundary=${boundary}` };
  if (pat) headers.authorization = `Bearer ${pat}`;
  Object.assign(headers, options.headers);
  if (options.declaredLength !== undefined) headers['content-length'] = options.declaredLength;
  else if (options.declareLength !== false && size !== undefined) {
    headers['content-length'] = Buffer.byteLength(head) + size + Buffer.byteLength(tail);
  }

  return new Promise((resolve, reject) => {
    let responded = false;
    // A body shorter than its declared length leaves its connection waiting for the rest: no later request may reuse it.
    const agent = options.declaredLength === undefined ? undefined : false;
    const req = request(`${baseUrl}/api/v1/secrets`, { method: 'POST', headers, agent }, (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : {} });
      });
    });
    // The server may answer (413) and close before the body is all sent: that answer is the result.
    req.on('error', (error) => setTimeout(() => (responded ? undefined : reject(error)), 200));
    const write = (chunk: Buffer | string) =>
      new Promise<void>((done) => {
        if (req.destroyed || req.write(chunk)) return done();
        const finish = () => {
          req.off('drain', finish).off('close', finish);
          done();
        };
        req.on('drain', finish).on('close', finish);
      });
    void (async () => {
      await write(head);
      if (Buffer.isBuffer(data)) await write(data);
      else for await (const chunk of data) if (!req.destroyed) await write(chunk);
      if (!req.destroyed) req.end(tail);
    })();
  });
}

/**
 * `total` random-looking bytes in 64 KiB pieces: one block, derived from `marker` (so the same
 * call makes the same bytes again, to hash what was sent) and starting with it, repeated.
 */
export function* generatedBytes(total: number, marker = ''): Generator<Buffer> {
  const hashes = Array.from({ length: 2048 }, (_, i) => createHash('sha256').update(`${marker}:${i}`).digest());
  const block = Buffer.concat([Buffer.from(marker), ...hashes]).subarray(0, 64 * 1024);
  for (let sent = 0; sent < total; sent += block.length) yield block.subarray(0, Math.min(block.length, total - sent));
}
