// A closed loop of `connections` clients, each creating a secret and revealing it, again and
// again, for `seconds`: the load npm run bench puts on Oncelink and on the reference server.
import { Agent, request } from 'node:http';

function call(agent, base, method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(`${base}${path}`, { agent, method, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString(), ms });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

/**
 * Runs the loop and answers pairs/s and p50/p99 of each call, in milliseconds, and, given a
 * `meter` (cpu-split.mjs), where the measured seconds' work went per pair.
 */
export async function pairLoad({ base, pat, connections, seconds, warmupSeconds = 2, content = 'x'.repeat(200), meter }) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${pat}` };
  const createBody = JSON.stringify({ content, expire_mode: 'views', expire_value: 1 });
  const creates = [];
  const reveals = [];
  let pairs = 0;
  let failures = 0;
  const start = Date.now();
  const measureFrom = start + warmupSeconds * 1000;
  const end = measureFrom + seconds * 1000;
  const metering = meter && setTimeout(() => meter.start(), measureFrom - Date.now());

  const worker = async () => {
    while (Date.now() < end) {
      const created = await call(agent, base, 'POST', '/api/v1/secrets', headers, createBody);
      if (created.status !== 201) {
        failures++;
        continue;
      }
      const token = JSON.parse(created.body).data.token;
      const revealed = await call(agent, base, 'POST', `/api/v1/links/${token}/reveal`, { 'content-type': 'application/json' }, '{}');
      if (revealed.status !== 200) failures++;
      if (Date.now() >= measureFrom) {
        creates.push(created.ms);
        reveals.push(revealed.ms);
        pairs++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, worker));
  } finally {
    clearTimeout(metering);
  }
  const split = meter ? await meter.split(pairs) : {};
  agent.destroy();
  creates.sort((a, b) => a - b);
  reveals.sort((a, b) => a - b);
  const round = (n) => Math.round(n * 10) / 10;
  return {
    'pairs/s': Math.round(pairs / seconds),
    'create p50': round(percentile(creates, 50)),
    'create p99': round(percentile(creates, 99)),
    'reveal p50': round(percentile(reveals, 50)),
    'reveal p99': round(percentile(reveals, 99)),
    failures,
    ...split,
  };
}
