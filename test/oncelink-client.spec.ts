import { createServer, RequestListener } from 'node:http';
import { Readable } from 'node:stream';
import { open } from '../src/client/link-crypto';
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
  it.each(['olk_abc\n', 'olk_abc\r\nX-Injected: 1', 'olk abc', 'olk_ä'])(
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

  it('takes an empty token as none, as the command line takes an empty ONCELINK_TOKEN', async () => {
    const authorizations: (string | undefined)[] = [];
    await serving(
      (req, res) => {
        authorizations.push(req.headers.authorization);
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: { id: 'x', url: 'http://127.0.0.1/s/abc', expires_at: '2030-01-01T00:00:00Z' } }));
      },
      async (origin) => {
        await new OncelinkClient(origin, '').send('anonymous');
      },
    );
    expect(authorizations).toEqual([undefined]);
  });

  it.each([
    'file:///s/abcdefabcdef#k',
    'mailto:x/s/abcdefabcdef',
    'ssh://host/s/abcdefabcdef#k',
    'blob:http://127.0.0.1:1/s/abcdefabcdef#k',
    'ftp://127.0.0.1:1/s/abcdefabcdef#k',
  ])('refuses %j, not an http(s) URL as a share page’s is, as not a share URL before any request', async (url) => {
    const thrown = await thrownBy(() => new OncelinkClient('http://127.0.0.1:1').get(url));
    expect(thrown).toBeInstanceOf(OncelinkError);
    expect(thrown).toMatchObject({ code: 'not_a_share_url', message: 'Not an Oncelink share URL (expected …/s/{token}#{key}).' });
  });

  it.each(['not a url', '/api/v1', 'ftp://oncelink.example', ''])('refuses %j as a base URL, saying what it takes', async (baseUrl) => {
    const thrown = await thrownBy(() => new OncelinkClient(baseUrl, 'olk_test_x').list());
    expect(thrown).toBeInstanceOf(OncelinkError);
    expect(thrown).toMatchObject({
      code: 'invalid_base_url',
      message: 'The base URL is not an absolute http(s) URL (such as https://oncelink.example).',
    });
  });

  it.each([
    [42, 'a number'],
    [null, 'null'],
    [undefined, 'undefined'],
    [['a'], 'an object (Array)'],
    [new ArrayBuffer(4), 'an object (ArrayBuffer)'],
  ])('refuses %j as a secret with a TypeError that says what it takes, sending nothing', async (content, given) => {
    let requests = 0;
    await serving(
      (_req, res) => void (requests++, res.writeHead(500).end()),
      async (origin) => {
        const thrown = await thrownBy(() => new OncelinkClient(origin).send(content as never));
        expect(thrown).toBeInstanceOf(TypeError);
        expect((thrown as Error).message).toBe(`The secret must be a string (sent as UTF-8) or a Uint8Array, not ${given}.`);
      },
    );
    expect(requests).toBe(0);
  });

  it('sends a string as its UTF-8 bytes, sealed here', async () => {
    let sent: { ciphertext: string; iv: string } | undefined;
    await serving(
      (req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          sent = JSON.parse(body) as { ciphertext: string; iv: string };
          const data = { id: 'id', token: 'A'.repeat(24), url: `http://127.0.0.1/s/${'A'.repeat(24)}`, expires_at: '2030-01-01T00:00:00Z' };
          res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ data }));
        });
      },
      async (origin) => {
        const { url } = await new OncelinkClient(origin).send('pässwörd 🔑');
        const key = url.slice(url.indexOf('#') + 1);
        const opened = await open({ ciphertext: sent!.ciphertext, iv: sent!.iv, key });
        expect(Buffer.from(opened).toString('utf8')).toBe('pässwörd 🔑');
      },
    );
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

  it('reads a Retry-After given as an HTTP-date: reported at once with its wait, never retried after 1 s and 2 s', async () => {
    let requests = 0;
    const twoHoursOn = new Date(Date.now() + 2 * 3600_000).toUTCString();
    await serving(
      (_req, res) =>
        void (
          requests++,
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': twoHoursOn }).end('{"message":"Too Many Attempts."}')
        ),
      async (origin) => {
        const started = Date.now();
        const thrown = await thrownBy(() => new OncelinkClient(origin, 'olk_test_x').list());
        expect(Date.now() - started).toBeLessThan(900);
        expect(thrown).toMatchObject({ status: 429, retryAfter: expect.any(Number) });
        expect((thrown as OncelinkError).retryAfter).toBeGreaterThan(7190);
        expect((thrown as OncelinkError).retryAfter).toBeLessThanOrEqual(7200);
        expect((thrown as Error).message).toBe('Too Many Attempts. Try again in 120 minutes.');
      },
    );
    expect(requests).toBe(1);
  });

  it('sends views and minutes together as a views secret ending after the minutes, for send, sendFile and sendStream', async () => {
    const bodies: string[] = [];
    await serving(
      (req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString('latin1')));
        req.on('end', () => {
          bodies.push(body);
          const data = { id: 'id', token: 'A'.repeat(24), url: `http://127.0.0.1/s/${'A'.repeat(24)}`, expires_at: '2030-01-01T00:00:00Z' };
          res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ data }));
        });
      },
      async (origin) => {
        const client = new OncelinkClient(origin, 'olk_test_x');
        const both = { views: 2, minutes: 3 };
        await client.send('x', both);
        await client.send('x', { minutes: 3 });
        await client.sendFile(__filename, both);
        await client.sendStream(Readable.from([Buffer.from('x')]), 'x', both);
      },
    );
    const [windowed, minutes, ...forms] = bodies;
    expect(JSON.parse(windowed)).toMatchObject({ expire_mode: 'views', expire_value: 2, expires_in_minutes: 3 });
    expect(JSON.parse(minutes)).toMatchObject({ expire_mode: 'minutes', expire_value: 3 });
    expect(JSON.parse(minutes)).not.toHaveProperty('expires_in_minutes');
    for (const form of forms) {
      const field = (name: string) => new RegExp(`name="${name}"\r\n\r\n([^\r]*)\r\n`).exec(form)?.[1];
      expect([field('expire_mode'), field('expire_value'), field('expires_in_minutes')]).toEqual(['views', '2', '3']);
    }
  });

  it('sends no token on a link call, even for a link whose path has /api/v1/ before /s/', async () => {
    const token = 'A'.repeat(24);
    const seen: string[] = [];
    await serving(
      (req, res) => {
        seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`);
        const json = { 'content-type': 'application/json' };
        if (req.method === 'GET')
          return void res.writeHead(200, json).end('{"data":{"kind":"text","requires_passcode":false,"file":null}}');
        res.writeHead(200, json).end('{"data":{"kind":"text","content":"revealed"}}');
      },
      async (origin) => {
        const revealed = await new OncelinkClient(origin, 'olk_test_x').get(`${origin}/api/v1/s/${token}`);
        expect(revealed.kind === 'text' && Buffer.from(revealed.content).toString()).toBe('revealed');
      },
    );
    expect(seen).toEqual([`GET /api/v1/api/v1/links/${token} -`, `POST /api/v1/api/v1/links/${token}/reveal -`]);
  });
});
