// Streams one file secret up to the server and back down, timing each way and reading the
// server's peak resident memory (VmHWM) around them: MiB/s and MiB of growth, measured, never asserted.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';

const MIB = 1024 * 1024;

function peakMemory(pid) {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
}

function upload(base, pat, bytes) {
  const boundary = `----bench${randomBytes(6).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="expire_mode"\r\n\r\nviews\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="expire_value"\r\n\r\n1\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const block = randomBytes(64 * 1024);
  return new Promise((resolve, reject) => {
    const req = request(`${base}/api/v1/secrets`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${pat}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': head.length + bytes + tail.length,
      },
    });
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString());
        if (res.statusCode !== 201) reject(new Error(`upload: ${res.statusCode} ${JSON.stringify(body)}`));
        else resolve(body.data.token);
      });
    });
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        const piece = block.subarray(0, Math.min(block.length, bytes - sent));
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      req.end(tail);
    };
    req.write(head);
    pump();
  });
}

function download(base, token) {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/api/v1/links/${token}/reveal`, { method: 'POST' }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => (bytes += chunk.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`download: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** One `mib`-MiB server-mode file up and down through the server process `pid`. */
export async function fileLoad({ base, pat, pid, mib }) {
  const bytes = mib * MIB;
  const before = peakMemory(pid);
  let started = performance.now();
  const token = await upload(base, pat, bytes);
  const uploadSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const received = await download(base, token);
  const downloadSeconds = (performance.now() - started) / 1000;
  if (received !== bytes) throw new Error(`download: ${received} of ${bytes} bytes`);
  return {
    'upload MiB/s': Math.round(mib / uploadSeconds),
    'download MiB/s': Math.round(mib / downloadSeconds),
    'peak RSS growth MiB': Math.round((peakMemory(pid) - before) / MIB),
  };
}
