import { eventually } from './support/eventually';
import { RawClient, request } from './support/raw-client';
import { newSecret } from './support/secrets';
import { useTestApp } from './support/test-app';

/** The largest body a route takes here, and what every body still arriving may hold together: four of them. */
const BODY_LIMIT = 256 * 1024;
const BUDGET = 4 * BODY_LIMIT;
/** A body over the 64 KiB the budget never refuses, well within one client's share (a quarter: one BODY_LIMIT). */
const LARGE = 128 * 1024;
/** Client addresses, forged through the trusted proxy (loopback); a request without the header is 127.0.0.1's. */
const [A, B, C, D] = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4'];
const JSON_TYPE = { 'content-type': 'application/json' };

/** A valid create, padded with JSON's whitespace to `size` bytes. */
const createBody = (content: string, size = 0) => JSON.stringify({ content, expire_mode: 'views', expire_value: 1 }).padEnd(size, ' ');
const from = (address?: string): Record<string, string> => (address ? { 'x-forwarded-for': address } : {});

/** BODY_MEMORY_LIMIT_BYTES bounds the memory every JSON body still arriving holds, together and per client. */
describe('the bodies still arriving, past BODY_MEMORY_LIMIT_BYTES', () => {
  const t = useTestApp({ env: { BODY_LIMIT_BYTES: String(BODY_LIMIT), BODY_MEMORY_LIMIT_BYTES: String(BUDGET), TRUST_PROXY: 'loopback' } });
  const port = () => Number(new URL(t.baseUrl).port);
  const secretCount = async () => (await t.dataSource.query('SELECT count(*)::int AS n FROM secrets'))[0].n as number;
  // Closed whatever a test's end, so a held body cannot keep the app from closing.
  const opened: RawClient[] = [];
  const connect = () => {
    const client = new RawClient(port());
    opened.push(client);
    return client;
  };
  afterEach(() => opened.splice(0).forEach((client) => client.socket.destroy()));

  /** A create from `address` declaring the largest body, half of it sent: it holds its client's share until it is finished or its client goes. */
  const hold = async (address: string) => {
    const client = connect();
    const body = createBody('held', BODY_LIMIT);
    client.write(
      request('/api/v1/secrets', { ...JSON_TYPE, ...from(address), 'content-length': String(BODY_LIMIT), expect: '100-continue' }),
    );
    // Node sends 100 Continue as it hands the request on, so its body is charged (or refused) by the time it arrives.
    expect((await client.answer()).status).toBe(100);
    client.write(body.slice(0, BODY_LIMIT / 2));
    return {
      client,
      finish: async () => {
        client.write(body.slice(BODY_LIMIT / 2));
        return (await client.answer()).status;
      },
    };
  };
  const fill = async () => [await hold(A), await hold(B), await hold(C), await hold(D)];

  /** A create of `size` bytes from `address`, sent whole. */
  const send = (size: number, address?: string) => {
    const client = connect();
    const body = createBody('sent', size);
    client.write(request('/api/v1/secrets', { ...JSON_TYPE, ...from(address), 'content-length': String(body.length) }, body));
    return client;
  };
  /** Its status. */
  const create = async (size: number, address?: string) => {
    const client = send(size, address);
    const { status } = await client.answer();
    client.socket.destroy();
    return status;
  };

  const expectBusy = async (client: RawClient) => {
    const { status, headers, body } = await client.answer();
    expect(status).toBe(503);
    expect(headers.toLowerCase()).toContain('retry-after: 1');
    expect(headers.toLowerCase()).toContain('connection: close');
    expect(headers.toLowerCase()).toContain('x-content-type-options: nosniff');
    expect(JSON.parse(body)).toEqual({ message: expect.any(String), code: 'server_busy' });
    // Closed: the rest of its body is never read.
    await client.untilClosed();
  };

  it('refuses a large body past the budget with 503 server_busy before reading it, stores nothing, and still answers a GET', async () => {
    const held = await fill();
    const before = await secretCount();
    const body = createBody('refused', LARGE);
    // Ahead of the direct routes and of Fastify's alike.
    for (const path of ['/api/v1/secrets', '/api/v1/auth/register']) {
      const client = connect();
      client.write(request(path, { ...JSON_TYPE, 'content-length': String(body.length) }, body));
      await expectBusy(client);
    }
    // A chunked body is charged as its chunks arrive, once past the 64 KiB never refused.
    const chunked = connect();
    chunked.write(
      request('/api/v1/secrets', { ...JSON_TYPE, 'transfer-encoding': 'chunked' }, `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`),
    );
    await expectBusy(chunked);
    await t.http().get('/healthz').expect(200);
    expect(await secretCount()).toBe(before);
    for (const { finish } of held) expect(await finish()).toBe(201);
  });

  it('gives back what a body held once it is whole, or once its client goes, exactly once', async () => {
    const [finished, gone, ...rest] = await fill();
    expect(await create(LARGE)).toBe(503);
    expect(await finished.finish()).toBe(201);
    gone.client.socket.destroy();
    // The finished body's share is back, its client's too: it fills the budget again, if the gone one's is back.
    const again = await hold(A);
    expect(await eventually(async () => (await create(LARGE)) === 201, 10)).toBe(true);
    // Given back once, its client's share too: the gone one's client fills it exactly again, not over-credited.
    const more = await hold(B);
    expect(await create(LARGE)).toBe(503);
    for (const { finish } of [...rest, again, more]) expect(await finish()).toBe(201);
    expect(await create(LARGE)).toBe(201);
  });

  it("holds one client to a quarter of the budget, leaving another client's large body room", async () => {
    const mine = await hold(A);
    await expectBusy(send(LARGE, A));
    const other = await hold(B);
    for (const { finish } of [mine, other]) expect(await finish()).toBe(201);
    expect(await create(LARGE, A)).toBe(201);
  });

  it('never refuses a small body: a create and a reveal get through while the whole budget is held', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'still revealed' });
    const held = await fill();
    expect(await create(LARGE)).toBe(503);
    // From a client holding its whole share, too.
    expect(await create(1024, A)).toBe(201);
    expect(await create(60 * 1024)).toBe(201);
    const reveal = await t.http().post(`/api/v1/links/${secret.token}/reveal`).send({}).expect(200);
    expect(reveal.body.data.content).toBe('still revealed');
    for (const { finish } of held) expect(await finish()).toBe(201);
  });
});
