import { createServer, Server } from 'node:http';
import { AddressInfo, connect } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { answerUnparsable } from '../src/common/http/unparsable-request';

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

  /** Writes `first`, then (once something came back, when `then` is given) `then`; answers all that came back. */
  const exchange = (first: string, then?: string) =>
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
