import { randomBytes } from 'node:crypto';
import { isISO31661Alpha2 } from 'class-validator';
import supertest from 'supertest';
import { ABILITIES } from '../src/auth/ability';
import { bearer, newTeam, TestUser } from './support/factories';
import { servedOpenApi } from './support/server-process';
import { newTeamOn } from './support/teams';
import { useTestApp } from './support/test-app';

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean;
}

interface Operation {
  requestBody?: { content: Record<string, { schema: Schema }> };
  parameters?: { name: string; in: string; schema?: Schema }[];
}

interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

type Rule = 'minLength' | 'maxLength' | 'minItems' | 'maxItems';

interface RequestBody {
  url: string;
  token?: string;
  fields: Record<string, unknown>;
}

/** A field's rule, tried at its documented limit and one `step` past it, with values from `make(length)`. */
interface Case {
  route: string;
  field: string;
  rule: Rule;
  /** The value of `length` characters or items. */
  make: (length: number) => unknown;
  /** How far past the limit the next value is: base64 comes in groups of 4. */
  step?: number;
  /** The rest of a body that succeeds. */
  body: () => RequestBody | Promise<RequestBody>;
}

const text = (length: number) => 'a'.repeat(length);
/** An https URL of `length` characters to a public address, which the server takes without a lookup. */
const url = (length: number) => {
  const base = 'https://93.184.215.14/';
  return base + 'a'.repeat(length - base.length);
};
/** Base64 (padded) of `length` characters holding the most bytes it can: an IV's 12 in 16. */
const mostBytes = (length: number) => randomBytes((length / 4) * 3).toString('base64');
/** Base64 (padded) of `length` characters holding the fewest bytes it can: a ciphertext's 16 in 24. */
const fewestBytes = (length: number) => randomBytes((length / 4) * 3 - 2).toString('base64');
/** An address of `length` (253 to 256) characters, each part within its own limits (64 and 63). */
const email = (length: number) =>
  `${randomBytes(32)
    .toString('hex')
    .slice(0, length - 192)}@${'b'.repeat(62)}.${'c'.repeat(62)}.${'d'.repeat(60)}.test`;
/** Every ISO 3166-1 alpha-2 code, and XK. */
const COUNTRIES = [
  ...Array.from({ length: 26 * 26 }, (_, i) => String.fromCharCode(65 + Math.floor(i / 26), 65 + (i % 26))).filter((code) =>
    isISO31661Alpha2(code),
  ),
  'XK',
];

describe('request rules: the document’s limits are the server’s', () => {
  const t = useTestApp();
  let doc: Document;
  let pro: { owner: TestUser; pat: string };
  let free: { owner: TestUser; pat: string };
  beforeAll(async () => {
    doc = (await servedOpenApi(t.db)) as Document;
    pro = await newTeamOn('pro', t.baseUrl, t.dataSource);
    free = await newTeam(t.baseUrl);
  });

  const bodySchema = (route: string): Schema => {
    const [method, path] = route.split(' ');
    const ref = doc.paths[path][method.toLowerCase()].requestBody!.content['application/json'].schema.$ref!;
    return doc.components.schemas[ref.split('/').pop()!];
  };
  const limitOf = (route: string, field: string, rule: Rule): number => {
    const limit = bodySchema(route).properties![field][rule];
    expect([route, field, rule, typeof limit]).toEqual([route, field, rule, 'number']);
    return limit!;
  };

  const secret =
    (fields: Record<string, unknown> = {}) =>
    (): RequestBody => ({
      url: '/api/v1/secrets',
      token: pro.pat,
      fields: { content: 'x', expire_mode: 'views', expire_value: 1, ...fields },
    });
  const encrypted = () =>
    secret({ content: undefined, ciphertext: randomBytes(16).toString('base64'), iv: randomBytes(12).toString('base64') });
  const register = (): RequestBody => ({
    url: '/api/v1/auth/register',
    fields: { email: `u-${randomBytes(5).toString('hex')}@example.test`, password: 'a long password', name: 'N' },
  });
  const login = (): RequestBody => ({
    url: '/api/v1/auth/token',
    fields: { email: free.owner.email, password: free.owner.password, device_name: 'd', abilities: ['secrets:read'] },
  });
  const link = async () => {
    const created = await supertest(t.baseUrl)
      .post('/api/v1/secrets')
      .set(bearer(free.pat))
      .send({ content: 'x', expire_mode: 'views', expire_value: 1 });
    return { url: `/api/v1/links/${created.body.data.token}/report`, fields: { reason: 'r' } };
  };
  const webhook = (): RequestBody => ({ url: '/api/v1/team/webhooks', token: pro.pat, fields: { url: url(30) } });
  const team = (): RequestBody => ({ url: '/api/v1/teams', token: free.pat, fields: { name: 'T' } });
  const serviceAccount = (): RequestBody => ({
    url: '/api/v1/team/service-accounts',
    token: pro.pat,
    fields: { name: 'S', abilities: ['secrets:read'] },
  });

  const cases: Case[] = [
    { route: 'POST /api/v1/secrets', field: 'label', rule: 'maxLength', make: text, body: secret() },
    { route: 'POST /api/v1/secrets', field: 'passcode', rule: 'minLength', make: text, body: secret() },
    { route: 'POST /api/v1/secrets', field: 'passcode', rule: 'maxLength', make: text, body: secret() },
    { route: 'POST /api/v1/secrets', field: 'content', rule: 'minLength', make: text, body: secret() },
    { route: 'POST /api/v1/secrets', field: 'webhook_url', rule: 'maxLength', make: url, body: secret() },
    { route: 'POST /api/v1/secrets', field: 'allowed_countries', rule: 'minItems', make: (n) => COUNTRIES.slice(0, n), body: secret() },
    {
      route: 'POST /api/v1/secrets',
      field: 'allowed_countries',
      rule: 'maxItems',
      // Every code there is; one more is a repeat, refused first for the count.
      make: (n) => [...COUNTRIES, 'de'].slice(0, n),
      body: secret(),
    },
    { route: 'POST /api/v1/secrets', field: 'iv', rule: 'minLength', make: mostBytes, step: 4, body: encrypted() },
    { route: 'POST /api/v1/secrets', field: 'iv', rule: 'maxLength', make: mostBytes, step: 4, body: encrypted() },
    { route: 'POST /api/v1/secrets', field: 'ciphertext', rule: 'minLength', make: fewestBytes, step: 4, body: encrypted() },
    { route: 'POST /api/v1/links/{token}/report', field: 'reason', rule: 'maxLength', make: text, body: link },
    { route: 'POST /api/v1/teams', field: 'name', rule: 'maxLength', make: text, body: team },
    { route: 'POST /api/v1/auth/register', field: 'password', rule: 'minLength', make: text, body: register },
    { route: 'POST /api/v1/auth/register', field: 'name', rule: 'maxLength', make: text, body: register },
    {
      route: 'POST /api/v1/auth/register',
      field: 'email',
      rule: 'maxLength',
      make: email,
      body: register,
    },
    { route: 'POST /api/v1/auth/token', field: 'device_name', rule: 'minLength', make: text, body: login },
    { route: 'POST /api/v1/auth/token', field: 'abilities', rule: 'minItems', make: (n) => ABILITIES.slice(0, n), body: login },
    { route: 'POST /api/v1/team/webhooks', field: 'url', rule: 'maxLength', make: url, body: webhook },
    { route: 'POST /api/v1/team/webhooks', field: 'events', rule: 'minItems', make: (n) => ['secret.viewed'].slice(0, n), body: webhook },
    { route: 'POST /api/v1/team/service-accounts', field: 'name', rule: 'maxLength', make: text, body: serviceAccount },
  ];

  it.each(cases.map((c) => [`${c.route} ${c.field} ${c.rule}`, c] as const))(
    '%s: takes a value at the documented limit and refuses one past it',
    async (_name, { route, field, rule, make, step = 1, body }) => {
      const limit = limitOf(route, field, rule);
      const past = rule.startsWith('min') ? limit - step : limit + step;
      for (const [length, accepted] of [
        [limit, true],
        [past, false],
      ] as const) {
        const { url: path, token, fields } = await body();
        const request = supertest(t.baseUrl).post(path);
        if (token) request.set(bearer(token));
        const res = await request.send({ ...fields, [field]: make(length) });
        const outcome = accepted ? res.status < 300 : res.status === 422 && field in (res.body.errors ?? {});
        expect([route, field, length, res.status, outcome]).toEqual([route, field, length, res.status, true]);
      }
    },
  );

  it('takes an email the document’s format allows and refuses one it does not', async () => {
    expect(bodySchema('POST /api/v1/auth/register').properties!.email.format).toBe('email');
    const res = await supertest(t.baseUrl)
      .post('/api/v1/auth/register')
      .send({ ...register().fields, email: 'not an email' });
    expect([res.status, Object.keys(res.body.errors ?? {})]).toEqual([422, ['email']]);
  });

  it('takes country codes the document’s pattern allows, in either case, and refuses others', async () => {
    const { pattern } = bodySchema('POST /api/v1/secrets').properties!.allowed_countries.items!;
    expect(new RegExp(pattern!).test('de') && new RegExp(pattern!).test('XK') && !new RegExp(pattern!).test('DEU')).toBe(true);
    const { fields } = secret()();
    const send = (codes: string[]) =>
      supertest(t.baseUrl)
        .post('/api/v1/secrets')
        .set(bearer(pro.pat))
        .send({ ...fields, allowed_countries: codes });
    expect((await send(['de', 'XK'])).status).toBe(201);
    expect((await send(['DEU'])).status).toBe(422);
    // Letters that upper-case to ASCII ones (dotless ı to I, long ſ to S) are outside the pattern.
    expect(['ıd', 'ſe'].filter((code) => new RegExp(pattern!).test(code))).toEqual([]);
    expect([(await send(['ıd'])).status, (await send(['ſe'])).status]).toEqual([422, 422]);
  });

  it('takes an Idempotency-Key the document’s pattern allows and refuses one past its length or outside it', async () => {
    const parameter = doc.paths['/api/v1/secrets'].post.parameters!.find((p) => p.name === 'Idempotency-Key')!;
    const { maxLength, pattern } = parameter.schema!;
    expect([typeof maxLength, typeof pattern]).toEqual(['number', 'string']);
    const create = (key: string) =>
      supertest(t.baseUrl)
        .post('/api/v1/secrets')
        .set(bearer(pro.pat))
        .set('Idempotency-Key', key)
        .send({ content: 'x', expire_mode: 'views', expire_value: 1 });
    const atLimit = `${randomBytes(8).toString('hex')} ~`.padEnd(maxLength!, '!');
    expect(new RegExp(pattern!).test(atLimit)).toBe(true);
    expect((await create(atLimit)).status).toBe(201);
    expect((await create(`${atLimit}!`)).status).toBe(400);
    expect(new RegExp(pattern!).test('é')).toBe(false);
  });

  it('refuses a field no request body schema declares, as each one’s additionalProperties says', async () => {
    const { pat } = await newTeam(t.baseUrl);
    const bodies = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => operation.requestBody?.content['application/json']?.schema.$ref)
        .map(([method, operation]) => ({ method, path, operation })),
    );
    expect(bodies.length).toBeGreaterThan(20);
    for (const { method, path, operation } of bodies) {
      const ref = operation.requestBody!.content['application/json'].schema.$ref!;
      expect([method, path, doc.components.schemas[ref.split('/').pop()!].additionalProperties]).toEqual([method, path, false]);
      const res = await supertest(t.baseUrl)
        [method as 'post'](path.replace(/\{[^}]+\}/g, () => crypto.randomUUID()))
        .set(bearer(pat))
        .send({ 'no such field': 1 });
      expect([method, path, res.status, Object.keys(res.body.errors ?? {})]).toEqual([
        method,
        path,
        422,
        expect.arrayContaining(['no such field']),
      ]);
    }
  });
});
