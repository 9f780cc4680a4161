import { randomBytes } from 'node:crypto';
import { request as httpRequest, STATUS_CODES } from 'node:http';
import { connect } from 'node:net';
import { DirectRoutes } from '../src/common/http/direct-routes';
import { bearer, newTeam, newToken, newUser } from './support/factories';
import { newTeamOn } from './support/teams';
import { uploadFile } from './support/multipart';
import { newSecret } from './support/secrets';
import { useTestApp } from './support/test-app';

/**
 * Create and reveal are answered ahead of Fastify (common/http/direct-routes). A query string
 * sends the same request Nest's way, so every answer here is asked for twice and must come back
 * the same: status, error body, headers. Ids, tokens and times differ by nature and are masked.
 */

interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

const JSON_HEADERS = (body: string) => ({ 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });

/** Headers whose values differ from one request to the next; their presence still counts. */
const VARYING = new Set(['date', 'x-request-id', 'content-length', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after']);
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T/;

function masked(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => masked(item));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, masked(inner, name)]));
  }
  if (typeof value === 'string' && (['id', 'token', 'url', 'token_prefix'].includes(key) || ISO_TIME.test(value))) return `<${key}>`;
  return value;
}

/**
 * One raw request (supertest would fix up a body or a header that a hostile client sends as it
 * is): JSON unless `headers` say otherwise; a body that is not JSON comes back as a Buffer.
 */
function send(baseUrl: string, path: string, body: string, headers: Record<string, string | string[] | undefined>): Promise<Answer> {
  const all: Record<string, string | string[] | undefined> = { host: new URL(baseUrl).host, ...JSON_HEADERS(body), ...headers };
  // A flat list of names and values, sent as it is: a header given several values goes out once per value (and Host is not added).
  const sent = Object.entries(all).flatMap(([name, value]) => [value ?? []].flat().flatMap((one) => [name, one]));
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${baseUrl}${path}`, { method: 'POST', headers: sent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        const json = String(res.headers['content-type']).startsWith('application/json');
        const shown = Object.entries(res.headers).map(([name, value]) => [name, VARYING.has(name) ? '<varies>' : String(value)]);
        const parsed = json ? masked(JSON.parse(bytes.toString())) : bytes.length ? bytes : null;
        resolve({ status: res.statusCode!, body: parsed, headers: Object.fromEntries(shown) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe.each([
  ['without rate limits', {}],
  ['with rate limits', { RATE_LIMIT_ENABLED: 'true' }],
])('create and reveal answered ahead of Fastify, %s', (_name, env) => {
  const t = useTestApp({ env });
  let pat: string;
  let readOnlyPat: string;
  let served: jest.SpyInstance;

  beforeAll(async () => {
    ({ pat } = await newTeam(t.baseUrl));
    readOnlyPat = await newToken(t.baseUrl, await newUser(t.baseUrl), { abilities: ['secrets:read'] });
  });
  beforeEach(() => {
    served = jest.spyOn(DirectRoutes.prototype as unknown as { serve: () => Promise<void> }, 'serve');
  });
  afterEach(() => served.mockRestore());

  /** The direct answer and Nest's answer to the same request, after checking each came the way it should. */
  async function bothWays(path: string, body: string, headers: Record<string, string | string[]> = {}): Promise<[Answer, Answer]> {
    served.mockClear();
    const direct = await send(t.baseUrl, path, body, headers);
    expect(served).toHaveBeenCalledTimes(1);
    const nest = await send(t.baseUrl, `${path}?via=nest`, body, headers);
    expect(served).toHaveBeenCalledTimes(1);
    return [direct, nest];
  }

  const valid = JSON.stringify({ content: 'correct horse battery staple', expire_mode: 'views', expire_value: 1 });

  it.each([
    ['a valid secret', valid, 201],
    ['a missing field', JSON.stringify({ expire_mode: 'views', expire_value: 1 }), 422],
    ['null', JSON.stringify({ content: 'x', expire_mode: 'views', expire_value: null }), 422],
    ['a wrong type', JSON.stringify({ content: 42, expire_mode: 'views', expire_value: 1 }), 422],
    ['an unknown field', JSON.stringify({ content: 'x', expire_mode: 'views', expire_value: 1, constructor: 'x' }), 422],
    ['__proto__', '{"content":"x","expire_mode":"views","expire_value":1,"__proto__":{"admin":true}}', 400],
    ['malformed JSON', '{"content":', 400],
    ['an empty body (no body, as {})', '', 422],
    ['a body that is not an object', '[1,2]', 422],
    ['content over the plan', JSON.stringify({ content: 'x'.repeat(70_000), expire_mode: 'views', expire_value: 1 }), 413],
  ])('create: %s', async (_case, body, status) => {
    const [direct, nest] = await bothWays('/api/v1/secrets', body, bearer(pat));
    expect(direct.status).toBe(status);
    expect(direct).toEqual(nest);
  });

  it.each([
    ['no token (anonymous)', {}, 201],
    ['a malformed token', { authorization: 'Bearer nope' }, 401],
    ['a well-formed unknown token', { authorization: 'Bearer olk_live_00000000000000000000000000000000aaaaaa' }, 401],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }, 401],
  ])('create with %s', async (_case, headers, status) => {
    const [direct, nest] = await bothWays('/api/v1/secrets', valid, headers);
    expect(direct.status).toBe(status);
    expect(direct).toEqual(nest);
  });

  it.each([
    ['the same token twice', () => [`Bearer ${pat}`, `Bearer ${pat}`]],
    ['a weak token, then a strong one', () => [`Bearer ${readOnlyPat}`, `Bearer ${pat}`]],
    ['a strong token, then a weak one', () => [`Bearer ${pat}`, `Bearer ${readOnlyPat}`]],
  ])('create with two Authorization headers (%s) is a 400 that makes nothing, not the first one acted on', async (_case, tokens) => {
    const count = async () => (await t.dataSource.query('SELECT count(*)::int AS n FROM secrets'))[0].n as number;
    const before = await count();
    // An array sends the header once per value, as a hostile client would.
    const [direct, nest] = await bothWays('/api/v1/secrets', valid, { authorization: tokens() });
    expect(direct.status).toBe(400);
    expect(direct.body).toEqual({ message: 'Send one Authorization header, not several.' });
    expect(direct).toEqual(nest);
    expect(await count()).toBe(before);
    // One header still works.
    expect((await send(t.baseUrl, '/api/v1/secrets', valid, bearer(pat))).status).toBe(201);
  });

  it('create with a token that lacks secrets:write', async () => {
    const [direct, nest] = await bothWays('/api/v1/secrets', valid, bearer(readOnlyPat));
    expect(direct.status).toBe(403);
    expect(direct).toEqual(nest);
  });

  it('reveal: the content, then gone', async () => {
    const first = await newSecret(t.baseUrl, { expire_value: 1 }, pat);
    const second = await newSecret(t.baseUrl, { expire_value: 1 }, pat);
    served.mockClear();
    const direct = await send(t.baseUrl, `/api/v1/links/${first.token}/reveal`, '{}', {});
    const nest = await send(t.baseUrl, `/api/v1/links/${second.token}/reveal?via=nest`, '{}', {});
    expect(direct.status).toBe(200);
    expect(direct).toEqual(nest);
    expect(served).toHaveBeenCalledTimes(1);
    const [burned, burnedNest] = await bothWays(`/api/v1/links/${first.token}/reveal`, '{}');
    expect(burned.status).toBe(410);
    expect(burned).toEqual(burnedNest);
  });

  it.each([
    ['an unknown link', '{}', 404],
    ['an unknown field', '{"view":true}', 422],
    ['null for the passcode', '{"passcode":null}', 422],
    ['malformed JSON', '{"passcode"', 400],
  ])('reveal: %s', async (_case, body, status) => {
    const secret = await newSecret(t.baseUrl, {}, pat);
    const token = status === 404 ? 'A'.repeat(secret.token.length) : secret.token;
    const [direct, nest] = await bothWays(`/api/v1/links/${token}/reveal`, body);
    expect(direct.status).toBe(status);
    expect(direct).toEqual(nest);
  });

  it('reveal: a passcode missing, then wrong, counts attempts the same way', async () => {
    const secret = await newSecret(t.baseUrl, { passcode: 'open sesame', expire_value: 2 }, pat);
    const path = `/api/v1/links/${secret.token}/reveal`;
    const [missing, missingNest] = await bothWays(path, '{}');
    expect(missing.status).toBe(401);
    expect(missing).toEqual(missingNest);
    served.mockClear();
    const direct = await send(t.baseUrl, path, '{"passcode":"wrong"}', {});
    const nest = await send(t.baseUrl, `${path}?via=nest`, '{"passcode":"wrong"}', {});
    expect(direct.body).toMatchObject({ code: 'passcode_incorrect', attempts_remaining: 4 });
    expect(nest.body).toMatchObject({ code: 'passcode_incorrect', attempts_remaining: 3 });
    expect({ ...direct, body: null }).toEqual({ ...nest, body: null });
    expect(served).toHaveBeenCalledTimes(1);
  });
});

/** `{"k0":1,…}`: the shape that costs JSON.parse the most per byte. */
const manyKeys = (keys: number) => `{${Array.from({ length: keys }, (_, i) => `"k${i}":1`).join(',')}}`;

/**
 * Only a secret's content may take BODY_LIMIT_BYTES, and no body may hold more values than any
 * route takes: both refused before the body is parsed, the same on either path.
 */
describe('bodies too large for their route, or too wide to parse', () => {
  const t = useTestApp();
  let pat: string;
  let served: jest.SpyInstance;

  beforeAll(async () => {
    ({ pat } = await newTeamOn('pro', t.baseUrl, t.dataSource));
  });
  beforeEach(() => {
    served = jest.spyOn(DirectRoutes.prototype as unknown as { serve: () => Promise<void> }, 'serve');
  });
  afterEach(() => served.mockRestore());

  const TOO_LARGE = { message: 'The request body is too large.' };

  it.each([
    ['a reveal (answered ahead of Fastify when small)', '/api/v1/links/AAAAAAAAAAAAAAAAAAAAAA/reveal'],
    ['a register', '/api/v1/auth/register'],
  ])('a many-key body under BODY_LIMIT_BYTES to %s is a 413, the same both ways', async (_case, path) => {
    const body = manyKeys(170_000);
    expect(Buffer.byteLength(body)).toBeLessThan(2 * 1024 * 1024);
    const direct = await send(t.baseUrl, path, body, {});
    const nest = await send(t.baseUrl, `${path}?via=nest`, body, {});
    expect(direct.status).toBe(413);
    expect(direct.body).toEqual(TOO_LARGE);
    expect(direct).toEqual(nest);
    expect(served).not.toHaveBeenCalled();
  });

  it('a route that takes no body refuses a large one with 413 before it authenticates', async () => {
    const res = await fetch(`${t.baseUrl}/api/v1/secrets/00000000-0000-0000-0000-000000000000`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: manyKeys(170_000),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual(TOO_LARGE);
  });

  it('a create of more values than any route takes is a 422 on the body, the same both ways', async () => {
    const body = manyKeys(2_000);
    const direct = await send(t.baseUrl, '/api/v1/secrets', body, bearer(pat));
    const nest = await send(t.baseUrl, '/api/v1/secrets?via=nest', body, bearer(pat));
    expect(served).toHaveBeenCalledTimes(1);
    expect(direct.status).toBe(422);
    expect(direct.body).toEqual({ message: 'The given data was invalid.', errors: { body: ['The body holds too many values.'] } });
    expect(direct).toEqual(nest);
  });

  it('a create of the largest text content still succeeds both ways, separators and escapes in it included', async () => {
    // 1 MiB of content that reads like many keys, escaped quotes and backslashes among them: about 1.4 MiB of JSON.
    const body = JSON.stringify({ content: 'a\\":1,'.repeat(170_000), expire_mode: 'views', expire_value: 1, label: 'big' });
    const direct = await send(t.baseUrl, '/api/v1/secrets', body, bearer(pat));
    const nest = await send(t.baseUrl, '/api/v1/secrets?via=nest', body, bearer(pat));
    expect(served).toHaveBeenCalledTimes(1);
    expect(direct.status).toBe(201);
    expect(direct).toEqual(nest);
  });
});

describe('requests the direct routes leave to Fastify', () => {
  const t = useTestApp();
  let pat: string;
  let served: jest.SpyInstance;

  beforeAll(async () => {
    ({ pat } = await newTeam(t.baseUrl));
  });
  beforeEach(() => {
    served = jest.spyOn(DirectRoutes.prototype as unknown as { serve: () => Promise<void> }, 'serve');
  });
  afterEach(() => served.mockRestore());

  const valid = JSON.stringify({ content: 'correct horse battery staple', expire_mode: 'views', expire_value: 1 });

  it.each([
    ['a chunked body', { 'content-length': undefined, 'transfer-encoding': 'chunked' }, 201],
    ['a text/plain body', { 'content-type': 'text/plain' }, 415],
    ['another charset', { 'content-type': 'application/json; charset=latin1' }, 415],
  ])('create with %s', async (_case, headers, status) => {
    const res = await send(t.baseUrl, '/api/v1/secrets', valid, { ...bearer(pat), ...headers });
    expect(res.status).toBe(status);
    expect(served).not.toHaveBeenCalled();
  });

  it('an encoded path reaches the same route, with the API headers', async () => {
    const res = await send(t.baseUrl, '/%61pi/v1/secrets', valid, bearer(pat));
    expect(res.status).toBe(201);
    expect(served).not.toHaveBeenCalled();
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it.each([
    ["a token longer than Fastify's parameters may be", `/api/v1/links/${'A'.repeat(101)}/reveal`, 414, 'The request URL is too long.'],
    ['a path that does not decode', '/api/v1/links/%zz/reveal', 400, 'The request URL could not be decoded.'],
  ])("%s gets Fastify's status in the contract's shape, with the API headers", async (_case, path, status, message) => {
    const res = await send(t.baseUrl, path, '{}', {});
    expect(res).toMatchObject({ status, body: { message } });
    expect(res.headers).toMatchObject({
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'x-request-id': '<varies>',
    });
    expect(served).not.toHaveBeenCalled();
  });
});

describe('requests Node cannot parse', () => {
  const t = useTestApp();

  /** Sends raw bytes and reads what comes back until the server closes the connection. */
  const raw = (request: string) =>
    new Promise<string>((resolve, reject) => {
      const { hostname, port } = new URL(t.baseUrl);
      const socket = connect(Number(port), hostname, () => socket.end(request));
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
    });

  it.each([
    ['headers over 16 KiB', `GET /api/v1/account HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['a garbled request line', 'NOT HTTP AT ALL\r\n\r\n', 400],
    ['an Expect other than 100-continue', 'POST /api/v1/secrets HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\nContent-Length: 2\r\n\r\n{}', 417],
  ])("%s: the contract's body and the API headers", async (_case, request, status) => {
    const answer = await raw(request);
    const [head, body] = answer.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe(`HTTP/1.1 ${status} ${STATUS_CODES[status]}`);
    expect(head).toContain("content-security-policy: default-src 'none'; frame-ancestors 'none'");
    expect(head).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/);
    expect(head).toContain('connection: close');
    expect(JSON.parse(body)).toEqual({ message: expect.any(String) });
  });

  it("keeps the caller's X-Request-Id on a 417, whose headers Node did parse", async () => {
    const answer = await raw(
      'POST /api/v1/secrets HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\nX-Request-Id: ci-run.42:abc\r\nContent-Length: 2\r\n\r\n{}',
    );
    const [head] = answer.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 417 Expectation Failed');
    expect(head).toContain('\r\nx-request-id: ci-run.42:abc\r\n');
  });
});

describe('a file revealed ahead of Fastify', () => {
  const t = useTestApp();

  it('streams the same bytes and headers as Nest does', async () => {
    const { pat } = await newTeamOn('pro', t.baseUrl, t.dataSource);
    const data = randomBytes(300 * 1024);
    const upload = () =>
      uploadFile(t.baseUrl, pat, { expire_mode: 'views', expire_value: '1' }, { name: 'key.pem', type: 'application/x-pem-file', data });
    const [first, second] = [(await upload()).body.data!.token, (await upload()).body.data!.token];
    const served = jest.spyOn(DirectRoutes.prototype as unknown as { serve: () => Promise<void> }, 'serve');
    try {
      const direct = await send(t.baseUrl, `/api/v1/links/${String(first)}/reveal`, '{}', {});
      expect(served).toHaveBeenCalledTimes(1);
      const nest = await send(t.baseUrl, `/api/v1/links/${String(second)}/reveal?via=nest`, '{}', {});
      expect(served).toHaveBeenCalledTimes(1);
      expect(direct.status).toBe(200);
      expect(direct.body).toEqual(data);
      expect(direct).toEqual(nest);
    } finally {
      served.mockRestore();
    }
  });
});

describe('direct routes behind a trusted proxy', () => {
  const t = useTestApp({ env: { TRUST_PROXY: 'loopback' } });

  it("records the forwarded client address, as Nest's way does", async () => {
    const { pat } = await newTeam(t.baseUrl);
    const valid = JSON.stringify({ content: 'x', expire_mode: 'views', expire_value: 1 });
    await send(t.baseUrl, '/api/v1/secrets', valid, { ...bearer(pat), 'x-forwarded-for': '203.0.113.7' });
    await send(t.baseUrl, '/api/v1/secrets?via=nest', valid, { ...bearer(pat), 'x-forwarded-for': '203.0.113.8' });
    const events = await t.http().get('/api/v1/team/audit-events').set(bearer(pat)).expect(200);
    const created = (events.body.data as { type: string; ip: string }[]).filter((event) => event.type === 'secret.created');
    expect(created.map((event) => event.ip).sort()).toEqual(['203.0.113.7', '203.0.113.8']);
  });
});
