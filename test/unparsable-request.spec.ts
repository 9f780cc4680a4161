import { createServer, Server } from 'node:http';
import { AddressInfo, connect } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { BodyBudget } from '../src/common/http/body-budget';
import { DirectRoutes } from '../src/common/http/direct-routes';
import { answerUnparsable } from '../src/common/http/unparsable-request';

/** Writes `first`, then (once something came back, when `then` is given) `then`; answers all that came back. */
const exchangeOn = (port: number, first: string, then?: string) =>
  new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(first));
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      if (!answer && then) socket.write(then);
      answer += chunk.toString();
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });

/** Node's refusals of bytes that are no request, answered over a real socket. */
describe('a request Node cannot parse', () => {
  let server: Server;
  let lines: string[];
  let port: number;

  beforeEach(async () => {
    lines = [];
    const logs = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
    server = createServer((_req, res) => {
      // An answer that has started and is still going out.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first part;');
    });
    server.on('clientError', answerUnparsable(pino(logs)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const exchange = (first: string, then?: string) => exchangeOn(port, first, then);

  it('gets a 400 in the contract shape and an access log line with its request id', async () => {
    const answer = await exchange('NOT HTTP AT ALL\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1.1 400 Bad Request\r\n/);
    const id = /\r\nx-request-id: ([0-9a-f-]{36})\r\n/.exec(answer)?.[1];
    expect(JSON.parse(answer.split('\r\n\r\n')[1])).toEqual({ message: 'The request could not be parsed.' });
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ req: { id, method: '-', url: '-' }, res: { status: 400 }, msg: 'request completed' }),
    ]);
  });

  it('cuts the connection, writing nothing into an answer already going out on it', async () => {
    const answer = await exchange('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n', 'NOT HTTP AT ALL\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1.1 200 OK\r\n/);
    expect(answer).toContain('first part;');
    expect(answer).not.toContain('HTTP/1.1 400');
    expect(lines).toEqual([]);
  });
});

/** Pipelined requests whose answers are still owed when the bytes after them do not parse. */
describe('a request Node cannot parse behind pipelined ones', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    // Answers once the bytes that arrived with the request have all been parsed, as a create's database round trip does.
    server = createServer((_req, res) => setImmediate(() => res.end('answered')));
    server.on('clientError', answerUnparsable(pino({ enabled: false })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('writes no 400 that a client would take for an earlier request’s answer', async () => {
    const request = 'POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}';
    const answer = await exchangeOn(port, `${request}${request}NOT HTTP AT ALL\r\n\r\n`);
    // The first request's own answer, or none at all: never a 400 in its place.
    expect(['', 'HTTP/1.1 200 OK']).toContain(answer.split('\r\n')[0]);
  });
});

/** The server Fastify is given, as the app makes it: an HTTP/1.1 request must name its Host. */
describe('a request without a Host header', () => {
  let server: Server;
  let lines: string[];
  let port: number;

  beforeEach(async () => {
    lines = [];
    const logger = pino(new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) }));
    const bodyBudget = new BodyBudget({ limit: 1024 * 1024, largestBody: 1024, clientOf: () => 'client', logger });
    const direct = new DirectRoutes({
      prefix: 'api/v1',
      bodyLimit: 1024,
      bodyBudget,
      maxParamLength: 100,
      trust: false,
      headers: {},
      logger,
    });
    const settings = { keepAliveTimeout: 5_000, requestTimeout: 0, connectionTimeout: 0, maxRequestsPerSocket: 0 };
    server = direct.serverFactory()((_req, res) => res.end('handled'), settings);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('gets a 400 in the contract shape, with the API headers, its request id and an access log line', async () => {
    const answer = await exchangeOn(port, 'GET /api/v1/account?x=1 HTTP/1.1\r\nX-Request-Id: no-host-1\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1.1 400 Bad Request\r\n/);
    expect(answer).toMatch(/\r\nx-request-id: no-host-1\r\n/);
    expect(answer).toMatch(/\r\nx-content-type-options: nosniff\r\n/);
    expect(JSON.parse(answer.split('\r\n\r\n')[1])).toEqual({ message: 'The Host header is required.' });
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ req: { id: 'no-host-1', method: 'GET', url: '/api/v1/account' }, res: { status: 400 } }),
    ]);
  });

  it('leaves an HTTP/1.1 request with a Host, and an HTTP/1.0 one without, to the app', async () => {
    expect(await exchangeOn(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1.1 200 OK\r\n[^]*handled$/);
    expect(await exchangeOn(port, 'GET / HTTP/1.0\r\n\r\n')).toMatch(/^HTTP\/1.1 200 OK\r\n[^]*handled$/);
    expect(lines).toEqual([]);
  });
});
