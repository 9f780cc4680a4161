import { createServer, Socket } from 'node:net';
import { oncelink } from './support/cli';
import { freePort } from './support/free-port';
import { newTeamOn } from './support/teams';
import { useTestApp } from './support/test-app';

interface FakeProxy {
  /** `http://user:password@127.0.0.1:port`: its credentials must never be printed. */
  url: string;
  origin: string;
  connections: number;
  close(): Promise<void>;
}

/** A proxy that counts the connections made to it and answers each request on them with `answer`. */
async function fakeProxy(answer: (socket: Socket) => void): Promise<FakeProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    proxy.connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => answer(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const proxy: FakeProxy = {
    url: origin.replace('//', '//ci:proxy-password@'),
    origin,
    connections: 0,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}

const refusing = (status: string) => (socket: Socket) =>
  socket.end(`HTTP/1.1 ${status}\r\nProxy-Authenticate: Basic realm="ci"\r\nContent-Length: 0\r\n\r\n`);
const closing = (socket: Socket) => socket.destroy();

/** A server the proxy alone could reach: https, so not this machine. */
const SERVER = 'https://oncelink.test';
const through = (proxy: string) => ({ ONCELINK_URL: SERVER, HTTPS_PROXY: proxy, HTTP_PROXY: proxy, ONCELINK_TOKEN: 'olk_live_proxytest' });

/** Each command, and what it reads on stdin. */
const COMMANDS: [string[], string][] = [
  [['send'], 'a secret'],
  [['send', '--file', '-'], 'a file'],
  [['list'], ''],
  [['get', `${SERVER}/s/abc#key`], ''],
];

describe('the oncelink command behind a proxy', () => {
  const t = useTestApp();

  it('reaches this machine directly whatever HTTP_PROXY says (send, send --file, list, get): the proxy sees nothing', async () => {
    const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
    const proxy = await fakeProxy(closing);
    const env = { ONCELINK_URL: t.baseUrl, ONCELINK_TOKEN: team.pat, HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url };
    try {
      const sent = await oncelink(['send'], env, 'not for the proxy');
      expect([sent.code, sent.stderr]).toEqual([0, '']);
      const file = await oncelink(['send', '--file', '-'], env, 'nor this file');
      expect([file.code, file.stderr]).toEqual([0, '']);
      const listed = await oncelink(['list'], env);
      expect([listed.code, listed.stderr]).toEqual([0, '']);
      const got = await oncelink(['get', sent.stdout.toString().trim()], env);
      expect([got.code, got.stderr, got.stdout.toString()]).toEqual([0, '', 'not for the proxy']);
      expect(proxy.connections).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  it.each(['407 Proxy Authentication Required', '403 Forbidden'])(
    'names the proxy that refuses the tunnel (%s), in one line, without its credentials',
    async (status) => {
      const proxy = await fakeProxy(refusing(status));
      try {
        for (const [args, input] of COMMANDS) {
          const run = await oncelink(args, { ...through(proxy.url), ONCELINK_RETRIES: '0' }, input);
          expect([args, run.code, run.stderr]).toEqual([
            args,
            1,
            `oncelink: Cannot reach ${SERVER}: the proxy ${proxy.origin} refused the connection (HTTP ${status.slice(0, 3)}).\n`,
          ]);
        }
      } finally {
        await proxy.close();
      }
    },
  );

  it('asks a proxy that closes every connection once an attempt, and says it closed', async () => {
    const proxy = await fakeProxy(closing);
    try {
      for (const [args, input] of COMMANDS) {
        proxy.connections = 0;
        const run = await oncelink(args, { ...through(proxy.url), ONCELINK_RETRIES: '1', ONCELINK_TIMEOUT: '3' }, input);
        expect([args, run.code, run.stderr]).toEqual([
          args,
          1,
          `oncelink: Cannot reach ${SERVER}: the proxy ${proxy.origin} closed the connection.\n`,
        ]);
        // Two attempts at most (ONCELINK_RETRIES=1): undici alone connected again in a loop, thousands of times.
        expect(proxy.connections).toBeGreaterThanOrEqual(1);
        expect(proxy.connections).toBeLessThanOrEqual(2);
      }
    } finally {
      await proxy.close();
    }
  });

  it.each([
    ['HTTPS_PROXY', 'http://ci:pa#SECRET@proxy.test:3128'],
    ['HTTP_PROXY', 'http://ci:pa/SECRET@proxy.test:3128'],
    ['https_proxy', 'ci:SECRET@proxy.test:3128'],
    ['http_proxy', 'http://ci:SECRET@proxy.test:3128/path'],
  ])('refuses a %s undici cannot take as bad usage, in one line naming the variable, never its value', async (name, value) => {
    for (const [args, input] of COMMANDS) {
      const run = await oncelink(args, { ONCELINK_URL: SERVER, ONCELINK_TOKEN: 'olk_live_proxytest', [name]: value }, input);
      expect([args, run.code, run.stderr]).toEqual([
        args,
        2,
        `oncelink: ${name} is not a proxy URL (http://[user:password@]host:port, with :/?#@ in the user or password percent-encoded) (see oncelink --help)\n`,
      ]);
    }
    // Nor is --version, which makes no request, kept from printing the version.
    const version = await oncelink(['--version'], { [name]: value });
    expect([version.code, version.stderr]).toEqual([0, '']);
  });

  it('names a proxy that cannot be reached, not the server', async () => {
    const proxy = `http://127.0.0.1:${await freePort()}`;
    for (const [args, input] of COMMANDS) {
      const run = await oncelink(args, { ...through(proxy), ONCELINK_RETRIES: '0' }, input);
      expect([args, run.code, run.stderr]).toEqual([
        args,
        1,
        `oncelink: Cannot reach ${SERVER}: the proxy ${proxy} could not be reached (the connection was refused).\n`,
      ]);
    }
  });
});
