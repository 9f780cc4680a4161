import { createServer } from 'node:net';

// Picked below Linux's ephemeral range (32768–60999 by default): there the kernel hands local ports
// to outgoing connections (to PostgreSQL, Redis, a webhook receiver), and one of them could take
// the port between this pick and the app's `listen` (seen in CI as EADDRINUSE).
const FIRST = 20_000;
const COUNT = 12_000;
// Each process walks the range from its own place, so parallel Jest workers rarely meet.
let offset = (process.pid * 7919) % COUNT;

/** A loopback port nothing listens on right now, outside the range outgoing connections use. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = FIRST + offset;
    offset = (offset + 1) % COUNT;
    if (await canListen(port)) return port;
  }
  throw new Error(`No free port among ${COUNT} from ${FIRST}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
