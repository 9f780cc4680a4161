import { Readable } from 'node:stream';
import { ProxyFailed } from '../src/client/proxy-failed';
import { Patience, transportError } from '../src/client/transport';

const ORIGIN = 'https://oncelink.test';
const failed = (cause: unknown) => transportError(ORIGIN, new TypeError('fetch failed', { cause }), new Patience(1000));

describe('transportError', () => {
  it('takes a code that is no string (undici puts numbers there) for none', () => {
    expect(failed({ code: 0 }).message).toBe(`Cannot reach ${ORIGIN}: the request failed.`);
    expect(failed({ code: 407 }).message).toBe(`Cannot reach ${ORIGIN}: the request failed.`);
  });

  it('names the proxy a request never got past, never the server', () => {
    const proxy = 'http://proxy.ci:3128';
    expect(failed(new ProxyFailed(proxy, 407)).message).toBe(
      `Cannot reach ${ORIGIN}: the proxy ${proxy} refused the connection (HTTP 407).`,
    );
    expect(failed(new ProxyFailed(proxy, undefined, { code: 'ECONNREFUSED' })).message).toBe(
      `Cannot reach ${ORIGIN}: the proxy ${proxy} could not be reached (the connection was refused).`,
    );
    expect(failed(new ProxyFailed(proxy, undefined, { code: 'UND_ERR_SOCKET' })).message).toBe(
      `Cannot reach ${ORIGIN}: the proxy ${proxy} closed the connection.`,
    );
  });

  it('says a reveal that never got past the proxy was not spent', () => {
    const error = transportError(
      ORIGIN,
      new TypeError('fetch failed', { cause: new ProxyFailed('http://proxy.ci:3128') }),
      new Patience(1000),
      'spends',
    );
    expect(error.message).not.toMatch(/spent/);
  });

  it('says a create whose connection closed after it was sent may have made the secret, and one never sent did not', () => {
    const closed = transportError(
      ORIGIN,
      new TypeError('fetch failed', { cause: { code: 'UND_ERR_SOCKET' } }),
      new Patience(1000),
      'creates',
    );
    expect(closed.message).toBe(
      `The answer to the create at ${ORIGIN} was lost (the connection closed): a secret may have been made all the same.`,
    );
    const refused = transportError(
      ORIGIN,
      new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }),
      new Patience(1000),
      'creates',
    );
    expect(refused.message).toBe(`Cannot reach ${ORIGIN}: the connection was refused.`);
  });
});

describe('a create that ran out of time', () => {
  const timedOut = (patience: Patience) => transportError(ORIGIN, new Error('aborted'), patience, 'creates').message;

  it('made nothing while its body was still being sent, and may have once all of it was', async () => {
    const patience = new Patience(1000);
    const body = patience.sending(Readable.from([Buffer.from('a'), Buffer.from('b')]))[Symbol.asyncIterator]();
    await body.next();
    patience.ranOut = true;
    expect(timedOut(patience)).toBe('The server did not answer within 1 s (ONCELINK_TIMEOUT).');
    while (!(await body.next()).done);
    patience.done();
    expect(timedOut(patience)).toBe(
      `The answer to the create at ${ORIGIN} was lost (none came within 1 s, ONCELINK_TIMEOUT): a secret may have been made all the same.`,
    );
  });
});
