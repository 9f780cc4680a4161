import { bearer, newTeam } from './support/factories';
import { eventually } from './support/eventually';
import { RawClient } from './support/raw-client';
import { newSecret } from './support/secrets';
import { useTestApp } from './support/test-app';

const KIB = 1024;

/** A request as written on the wire, by any method: its headers, and as much of its body as given. */
const wire = (method: string, path: string, headers: Record<string, string>, body = '') =>
  `${method} ${path} HTTP/1.1\r\nHost: localhost\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n${body}`;

/** README's "Size and breadth": a route that takes no body still takes 32 KiB at most, though nothing would read it. */
describe('a body on a method whose routes read none', () => {
  const t = useTestApp();
  const connect = () => new RawClient(Number(new URL(t.baseUrl).port));

  it('answers a GET, DELETE or OPTIONS declaring more than 32 KiB with 413 before the route, and takes one under it', async () => {
    const { pat } = await newTeam(t.baseUrl);
    const secret = await newSecret(t.baseUrl, {}, pat);
    const token = bearer(pat).Authorization;
    for (const [method, path] of [
      ['GET', '/api/v1/account'],
      ['DELETE', `/api/v1/secrets/${secret.id}`],
      ['OPTIONS', '/api/v1/account'],
    ]) {
      const client = connect();
      client.write(wire(method, path, { authorization: token, 'content-length': String(40 * KIB) }, 'a'.repeat(40 * KIB)));
      const answer = await client.answer();
      expect([method, answer.status, JSON.parse(answer.body)]).toEqual([method, 413, { message: 'The request body is too large.' }]);
      expect(answer.headers.toLowerCase()).toContain('x-content-type-options: nosniff');
      expect(answer.headers.toLowerCase()).toContain('x-request-id: ');
      client.socket.destroy();
    }
    const under = connect();
    under.write(wire('GET', '/api/v1/account', { authorization: token, 'content-length': String(30 * KIB) }, 'a'.repeat(30 * KIB)));
    expect((await under.answer()).status).toBe(200);
    under.socket.destroy();
    await t.http().get(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).expect(200);
  });

  it('answers an unauthenticated GET declaring 5 MB with 413 without waiting for its body', async () => {
    const client = connect();
    client.write(wire('GET', '/api/v1/links/x', { 'content-length': String(5 * KIB * KIB) }));
    const answer = await client.answer();
    expect([answer.status, JSON.parse(answer.body)]).toEqual([413, { message: 'The request body is too large.' }]);
    client.socket.destroy();
  });

  it('cuts a chunked GET once its body passes 32 KiB, answered or not, rather than read it to the end', async () => {
    const { pat } = await newTeam(t.baseUrl);
    const client = connect();
    let closed = false;
    client.socket.once('close', () => (closed = true));
    client.write(wire('GET', '/api/v1/account', { authorization: bearer(pat).Authorization, 'transfer-encoding': 'chunked' }));
    const chunk = `${(8 * KIB).toString(16)}\r\n${'a'.repeat(8 * KIB)}\r\n`;
    // Far more than the limit, at a steady pace no stall timer refuses, unless the server closes first.
    let sent = 0;
    while (!closed && sent < 4 * KIB * KIB) {
      client.write(chunk);
      sent += 8 * KIB;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await eventually(() => closed, 10)).toBe(true);
    expect(sent).toBeLessThan(1024 * KIB);
  });
});
