import { createServer, RequestListener } from 'node:http';
import { OncelinkClient, OncelinkError } from '../src/client/oncelink-client';

/** What `run` threw. */
async function thrownBy(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** A real HTTP server answering as `handler` says, for the length of `use`. */
async function serving(handler: RequestListener, use: (origin: string) => Promise<void>): Promise<void> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await use(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('OncelinkClient', () => {
  it.each(['olk_abc\n', 'olk_abc\r\nX-Injected: 1', 'olk abc', 'olk_ä', ''])(
    'refuses %j as a token before any request, never echoing it',
    (token) => {
      let thrown: unknown;
      try {
        new OncelinkClient('http://127.0.0.1:1', token);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(OncelinkError);
      expect((thrown as Error).message).toBe('The token is not a token (letters, digits and -._~+/ only).');
    },
  );

  it.each([undefined, 'olk_AbC-1.2~3+4/5==', 'a'])('takes %j', (token) => {
    expect(() => new OncelinkClient('http://127.0.0.1:1', token)).not.toThrow();
  });

  it.each(['not a url', '/api/v1', 'ftp://oncelink.example', ''])('refuses %j as a base URL, saying what it takes', async (baseUrl) => {
    const thrown = await thrownBy(() => new OncelinkClient(baseUrl, 'olk_test_x').list());
    expect(thrown).toBeInstanceOf(OncelinkError);
    expect(thrown).toMatchObject({
      code: 'invalid_base_url',
      message: 'The base URL is not an absolute http(s) URL (such as https://oncelink.example).',
    });
  });

  it('gives a wrong passcode’s attempts left as a field, not only in the message', async () => {
    await serving(
      (req, res) => {
        const json = { 'content-type': 'application/json' };
        if (req.method === 'GET') return void res.writeHead(200, json).end('{"data":{"kind":"text","requires_passcode":true,"file":null}}');
        res.writeHead(401, json).end('{"message":"The passcode is incorrect.","code":"passcode_incorrect","attempts_remaining":3}');
      },
      async (origin) => {
        const thrown = await thrownBy(() => new OncelinkClient(origin).get(`${origin}/s/${'A'.repeat(24)}`, 'a guess'));
        expect(thrown).toBeInstanceOf(OncelinkError);
        expect(thrown).toMatchObject({ status: 401, code: 'passcode_incorrect', attemptsRemaining: 3, retryAfter: undefined });
      },
    );
  });

  it('gives a 429’s Retry-After in seconds as a field', async () => {
    await serving(
      (_req, res) =>
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3600' }).end('{"message":"Too Many Attempts."}'),
      async (origin) => {
        const thrown = await thrownBy(() => new OncelinkClient(origin, 'olk_test_x').list());
        expect(thrown).toMatchObject({ status: 429, retryAfter: 3600, attemptsRemaining: undefined });
        expect((thrown as Error).message).toBe('Too Many Attempts. Try again in 60 minutes.');
      },
    );
  });
});
