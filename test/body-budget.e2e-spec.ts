import { eventually } from './support/eventually';
import { RawClient, request } from './support/raw-client';
import { useTestApp } from './support/test-app';

/** The largest body a route takes here, and what every body still arriving may hold together: two of them. */
const BODY_LIMIT = 512 * 1024;
const BUDGET = 2 * BODY_LIMIT;
const JSON_TYPE = { 'content-type': 'application/json' };

/** A valid create, padded with JSON's whitespace to `size` bytes. */
const createBody = (content: string, size = 0) => JSON.stringify({ content, expire_mode: 'views', expire_value: 1 }).padEnd(size, ' ');

/** BODY_MEMORY_LIMIT_BYTES bounds the memory every JSON body still arriving holds, together. */
describe('the bodies still arriving, past BODY_MEMORY_LIMIT_BYTES', () => {
  const t = useTestApp({ env: { BODY_LIMIT_BYTES: String(BODY_LIMIT), BODY_MEMORY_LIMIT_BYTES: String(BUDGET) } });
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

  /** A create declaring the largest body, half of it sent: it holds its share until it is finished or its client goes. */
  const hold = async () => {
    const client = connect();
    const body = createBody('held', BODY_LIMIT);
    client.write(request('/api/v1/secrets', { ...JSON_TYPE, 'content-length': String(BODY_LIMIT), expect: '100-continue' }));
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

  /** A small create sent whole: its status. */
  const create = async () => {
    const client = connect();
    const body = createBody('small');
    client.write(request('/api/v1/secrets', { ...JSON_TYPE, 'content-length': String(body.length) }, body));
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

  it('refuses a body past the budget with 503 server_busy before reading it, stores nothing, and still answers a GET', async () => {
    const held = [await hold(), await hold()];
    const before = await secretCount();
    const body = createBody('refused');
    // Ahead of the direct routes and of Fastify's alike.
    for (const path of ['/api/v1/secrets', '/api/v1/auth/register']) {
      const client = connect();
      client.write(request(path, { ...JSON_TYPE, 'content-length': String(body.length) }, body));
      await expectBusy(client);
    }
    // A chunked body is charged as its chunks arrive.
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
    const [finished, gone] = [await hold(), await hold()];
    expect(await create()).toBe(503);
    expect(await finished.finish()).toBe(201);
    gone.client.socket.destroy();
    // The finished body's share is back: another fills the budget again, if the gone one's is too.
    const again = await hold();
    expect(await eventually(async () => (await create()) === 201, 10)).toBe(true);
    // Given back once: the budget is exactly full again, not over-credited.
    const more = await hold();
    expect(await create()).toBe(503);
    for (const { finish } of [again, more]) expect(await finish()).toBe(201);
    expect(await create()).toBe(201);
  });
});
