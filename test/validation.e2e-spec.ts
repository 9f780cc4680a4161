import { request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Response } from 'supertest';
import { bearer, newTeam, newUser, TestUser } from './support/factories';
import { CreatedSecret, newSecret } from './support/secrets';
import { useTestApp } from './support/test-app';
import { SMALL_BODY_LIMIT_BYTES } from '../src/common/http/body-limit';

/**
 * The hostile-client table: `null` for a field where null means nothing, odd query values and
 * fields named like members of Object.prototype are all a 4xx naming the field (a 400 only where
 * Fastify refuses the body before the app sees it), never a 5xx, and nothing is written.
 */

/** Names an object has without having them as own properties; class-transformer and class-validator take them for known fields. */
const ODD_NAMES = [
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupSetter__',
  'prototype',
  '__proto__',
  '',
];

/** Fastify's JSON parser may refuse `__proto__` (and `constructor.prototype`) itself, with a 400. */
const MAY_BE_REFUSED_BY_FASTIFY = new Set(['__proto__']);

/** A JSON text with `name` as an own key (an object literal would turn `__proto__` into the prototype). */
function withField(body: Record<string, unknown>, name: string, value: unknown = 'x'): string {
  const head = JSON.stringify(body).slice(0, -1);
  return `${head}${head.length > 1 ? ',' : ''}${JSON.stringify(name)}:${JSON.stringify(value)}}`;
}

function expectRefused(res: Response, field: string, message?: string): void {
  if (res.status >= 500) throw new Error(`${field}: answered ${res.status}: ${JSON.stringify(res.body)}`);
  if (MAY_BE_REFUSED_BY_FASTIFY.has(field) && res.status === 400) return;
  expect({ field, status: res.status, body: res.body }).toEqual({
    field,
    status: 422,
    body: expect.objectContaining({ message: 'The given data was invalid.' }),
  });
  expect(Object.keys(res.body.errors)).toEqual([field]);
  if (message) expect(res.body.errors[field]).toEqual([message]);
}

describe('validation of hostile input', () => {
  const t = useTestApp();
  const api = t.http;
  let owner: TestUser;
  let pat: string;
  const count = async (table: string): Promise<number> => (await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;

  beforeAll(async () => {
    ({ owner, pat } = await newTeam(t.baseUrl));
  });

  type Body = Record<string, unknown>;
  interface Route {
    name: string;
    method: 'post' | 'put' | 'patch';
    path: () => string;
    auth: boolean;
    /** A body the route accepts; each case patches it. */
    body: () => Body;
    /** Rows that must not change; compared before and after each case. */
    state: () => Promise<unknown>;
  }

  let secretToUpdate: CreatedSecret;
  let plainSecret: CreatedSecret;
  let passcodeSecret: CreatedSecret;
  let colleague: TestUser;
  let member: TestUser;

  beforeAll(async () => {
    secretToUpdate = await newSecret(t.baseUrl, { label: 'original', expire_value: 3 }, pat);
    plainSecret = await newSecret(t.baseUrl, { expire_value: 1 }, pat);
    passcodeSecret = await newSecret(t.baseUrl, { expire_value: 1, passcode: 'open sesame' }, pat);
    colleague = await newUser(t.baseUrl);
    member = await newUser(t.baseUrl);
    await api().post('/api/v1/team/members').set(bearer(pat)).send({ email: member.email, role: 'member' }).expect(201);
  });

  const secretRow = (id: () => string) => async () =>
    (
      await t.dataSource.query(
        'SELECT status, label, expire_mode, expire_value, expires_at, views_count, failed_attempts, updated_at FROM secrets WHERE id = $1',
        [id()],
      )
    )[0];

  const routes = {
    createSecret: {
      name: 'POST /api/v1/secrets',
      method: 'post',
      path: () => '/api/v1/secrets',
      auth: true,
      body: () => ({ content: 'valid content', expire_mode: 'views', expire_value: 1 }),
      state: () => count('secrets'),
    },
    revealPlain: {
      name: 'POST /api/v1/links/{token}/reveal (no passcode)',
      method: 'post',
      path: () => `/api/v1/links/${plainSecret.token}/reveal`,
      auth: false,
      body: () => ({}),
      state: secretRow(() => plainSecret.id),
    },
    revealPasscode: {
      name: 'POST /api/v1/links/{token}/reveal (passcode)',
      method: 'post',
      path: () => `/api/v1/links/${passcodeSecret.token}/reveal`,
      auth: false,
      body: () => ({ passcode: 'open sesame' }),
      state: secretRow(() => passcodeSecret.id),
    },
    token: {
      name: 'POST /api/v1/auth/token',
      method: 'post',
      path: () => '/api/v1/auth/token',
      auth: false,
      body: () => ({ email: owner.email, password: owner.password, device_name: 'hostile', abilities: ['secrets:read'] }),
      state: () => count('access_tokens'),
    },
    register: {
      name: 'POST /api/v1/auth/register',
      method: 'post',
      path: () => '/api/v1/auth/register',
      auth: false,
      body: () => ({ email: `new-${randomBytes(5).toString('hex')}@example.test`, password: 'long enough password', name: 'New' }),
      state: () => count('users'),
    },
    addMember: {
      name: 'POST /api/v1/team/members',
      method: 'post',
      path: () => '/api/v1/team/members',
      auth: true,
      body: () => ({ email: colleague.email, role: 'member' }),
      state: () => count('team_members'),
    },
    updateSecret: {
      name: 'PUT /api/v1/secrets/{id}',
      method: 'put',
      path: () => `/api/v1/secrets/${secretToUpdate.id}`,
      auth: true,
      body: () => ({ label: 'changed' }),
      state: secretRow(() => secretToUpdate.id),
    },
    changeRole: {
      name: 'PATCH /api/v1/team/members/{user_id}',
      method: 'patch',
      path: () => `/api/v1/team/members/${member.id}`,
      auth: true,
      body: () => ({ role: 'admin' }),
      state: async () => (await t.dataSource.query('SELECT role FROM team_members WHERE user_id = $1', [member.id]))[0],
    },
    createTeam: {
      name: 'POST /api/v1/teams',
      method: 'post',
      path: () => '/api/v1/teams',
      auth: true,
      body: () => ({ name: 'Hostile' }),
      state: () => count('teams'),
    },
    serviceAccount: {
      name: 'POST /api/v1/team/service-accounts',
      method: 'post',
      path: () => '/api/v1/team/service-accounts',
      auth: true,
      body: () => ({ name: 'hostile', abilities: ['secrets:read'] }),
      state: () => count('users'),
    },
    renameTeam: {
      name: 'PATCH /api/v1/team',
      method: 'patch',
      path: () => '/api/v1/team',
      auth: true,
      body: () => ({ name: 'Renamed' }),
      state: async () => (await t.dataSource.query('SELECT name FROM teams WHERE id = $1', [owner.teamId]))[0],
    },
    renameAccount: {
      name: 'PATCH /api/v1/account',
      method: 'patch',
      path: () => '/api/v1/account',
      auth: true,
      body: () => ({ name: 'Renamed' }),
      state: async () => (await t.dataSource.query('SELECT name FROM users WHERE id = $1', [owner.id]))[0],
    },
    report: {
      name: 'POST /api/v1/links/{token}/report',
      method: 'post',
      path: () => `/api/v1/links/${plainSecret.token}/report`,
      auth: false,
      body: () => ({ reason: 'phishing' }),
      state: () => count('link_reports'),
    },
  } satisfies Record<string, Route>;

  async function send(route: Route, body: string) {
    const request = api()[route.method](route.path()).set('Content-Type', 'application/json');
    if (route.auth) request.set(bearer(pat));
    return request.send(body);
  }

  async function expectNothingWritten(route: Route, body: string, field: string, message?: string) {
    const before = await route.state();
    const res = await send(route, body);
    expectRefused(res, field, message);
    expect(await route.state()).toEqual(before);
  }

  const must = (what: string) => `The ${what} field must be a string.`;

  // [route, field, message for null (undefined: any message naming the field)]
  const NULLS: [keyof typeof routes, string, string | undefined][] = [
    ['createSecret', 'content', must('content')],
    ['createSecret', 'ciphertext', must('ciphertext')],
    ['createSecret', 'iv', must('iv')],
    ['createSecret', 'passcode', must('passcode')],
    ['createSecret', 'label', must('label')],
    ['createSecret', 'webhook_url', must('webhook url')],
    ['createSecret', 'allowed_countries', 'The allowed countries field must be an array.'],
    ['createSecret', 'expire_mode', 'The expire mode field is required.'],
    ['createSecret', 'expire_value', 'The expire value field is required.'],
    ['revealPlain', 'passcode', must('passcode')],
    ['revealPasscode', 'passcode', must('passcode')],
    ['token', 'team_id', 'The team id field must be a valid id.'],
    ['token', 'expires_in_days', 'The expires in days field must be an integer.'],
    ['token', 'mode', 'The selected mode is invalid.'],
    ['token', 'email', 'The email field is required.'],
    ['token', 'password', 'The password field is required.'],
    ['token', 'device_name', 'The device name field is required.'],
    ['token', 'abilities', 'The abilities field is required.'],
    ['register', 'email', 'The email field is required.'],
    ['register', 'password', 'The password field is required.'],
    ['register', 'name', 'The name field is required.'],
    ['addMember', 'email', 'The email field is required.'],
    ['addMember', 'role', 'The role field is required.'],
    ['updateSecret', 'content', must('content')],
    ['updateSecret', 'expire_mode', 'The selected expire mode is invalid.'],
    ['updateSecret', 'expire_value', 'The expire value field must be an integer.'],
  ];

  describe.each(NULLS)('%s with %s: null', (routeKey, field, message) => {
    it('answers 422 naming the field and writes nothing', async () => {
      const route = routes[routeKey];
      await expectNothingWritten(route, JSON.stringify({ ...route.body(), [field]: null }), field, message);
    });
  });

  const ROUTE_KEYS = Object.keys(routes) as (keyof typeof routes)[];
  describe.each(ROUTE_KEYS.flatMap((key) => ODD_NAMES.map((name) => [key, name] as const)))(
    '%s with a field named %s',
    (routeKey, name) => {
      it('answers 422 naming the field (400 where Fastify refuses it) and writes nothing', async () => {
        const route = routes[routeKey];
        await expectNothingWritten(
          route,
          withField(route.body(), name),
          name,
          // Named as sent: only a snake_case name reads as words.
          MAY_BE_REFUSED_BY_FASTIFY.has(name)
            ? undefined
            : name
              ? `The ${name} field is not allowed.`
              : 'A field without a name is not allowed.',
        );
      });
    },
  );

  it('names a field in words in every message about it', async () => {
    const res = await api()
      .post('/api/v1/secrets')
      .set(bearer(pat))
      .send({ content: 'x', expire_mode: 'views', expire_value: 1, allowed_countries: ['XX'] })
      .expect(422);
    expect(res.body.errors).toEqual({ allowed_countries: ['The allowed countries field must contain ISO 3166-1 alpha-2 codes.'] });
  });

  /** Every text field of every route, and its lists of text: each gets a lone surrogate (valid JSON, not valid Unicode). */
  const ILL_FORMED: [keyof typeof routes, string, 'text' | 'list'][] = [
    ['createSecret', 'content', 'text'],
    ['createSecret', 'label', 'text'],
    ['createSecret', 'passcode', 'text'],
    ['createSecret', 'webhook_url', 'text'],
    ['createSecret', 'allowed_countries', 'list'],
    ['revealPlain', 'passcode', 'text'],
    ['revealPasscode', 'passcode', 'text'],
    ['token', 'email', 'text'],
    ['token', 'password', 'text'],
    ['token', 'device_name', 'text'],
    ['token', 'abilities', 'list'],
    ['register', 'email', 'text'],
    ['register', 'password', 'text'],
    ['register', 'name', 'text'],
    ['addMember', 'email', 'text'],
    ['addMember', 'role', 'text'],
    ['updateSecret', 'content', 'text'],
    ['updateSecret', 'label', 'text'],
    ['changeRole', 'role', 'text'],
    ['createTeam', 'name', 'text'],
    ['serviceAccount', 'name', 'text'],
    ['serviceAccount', 'abilities', 'list'],
    ['report', 'reason', 'text'],
  ];

  describe.each(ILL_FORMED)('%s with a lone surrogate in %s', (routeKey, field, shape) => {
    it('answers 422 naming the field, neither storing the text altered nor a 500, and writes nothing', async () => {
      const route = routes[routeKey];
      const body: Body = route.body();
      // Spoilt from a valid value where the body has one, so nothing else about it is wrong.
      const valid = body[field] ?? (shape === 'list' ? ['DE'] : 'text');
      const value = shape === 'list' ? [`${(valid as string[])[0]}\udfff`] : `\ud800${valid as string}`;
      const message = `The ${field.replace(/_/g, ' ')} field must be valid Unicode text.`;
      await expectNothingWritten(route, JSON.stringify({ ...body, [field]: value }), field, message);
    });
  });

  /** Text columns with a length, and the field that fills each: PostgreSQL counts code points, U+FE0F included. */
  const BOUNDED: [keyof typeof routes, string, number][] = [
    ['createSecret', 'label', 100],
    ['updateSecret', 'label', 100],
    ['token', 'device_name', 100],
    ['register', 'name', 100],
    ['createTeam', 'name', 100],
    ['serviceAccount', 'name', 100],
    ['report', 'reason', 1000],
  ];

  describe.each(BOUNDED)('%s with %s longer than %i characters counted as the database counts them', (routeKey, field, max) => {
    it('answers 422 naming the field, not a 500, and writes nothing', async () => {
      const route = routes[routeKey];
      // An emoji presentation selector (U+FE0F) after each letter: class-validator's length leaves it out.
      const value = 'a\ufe0f'.repeat(max / 2 + 1);
      const message = `The ${field.replace(/_/g, ' ')} field must not be greater than ${max} characters.`;
      await expectNothingWritten(route, JSON.stringify({ ...route.body(), [field]: value }), field, message);
    });
  });

  // Labels are optional notes; these are names and reasons that must say something.
  const NAMES = BOUNDED.filter(([, field]) => field !== 'label');
  describe.each(NAMES)('%s with %s of white space only', (routeKey, field) => {
    it('answers 422 saying the field is required (a blank name shows as nothing in lists), and writes nothing', async () => {
      const route = routes[routeKey];
      const message = `The ${field.replace(/_/g, ' ')} field is required.`;
      await expectNothingWritten(route, JSON.stringify({ ...route.body(), [field]: ' \t\n\u00a0' }), field, message);
    });
  });

  // Characters that show as nothing: zero-width space, word joiner, Hangul filler, braille blank,
  // soft hyphen, the direction marks, a right-to-left override.
  const INVISIBLE = ['\u200b', '\u2060', '\u3164', '\u2800', '\u00ad', '\u200e\u200f', '\u202e'];
  const INVISIBLE_NAMES = [
    ...NAMES.map(([key, field]) => [key, field] as const),
    ['renameTeam', 'name'] as const,
    ['renameAccount', 'name'] as const,
  ];
  describe.each(INVISIBLE_NAMES.flatMap(([key, field]) => INVISIBLE.map((chars) => [key, field, chars] as const)))(
    '%s with %s of nothing but %j',
    (routeKey, field, chars) => {
      it('answers 422 saying the field is required, alone and among spaces, and writes nothing', async () => {
        const route = routes[routeKey];
        const message = `The ${field.replace(/_/g, ' ')} field is required.`;
        for (const value of [chars, ` ${chars} `, `${chars}\t${chars}`]) {
          await expectNothingWritten(route, JSON.stringify({ ...route.body(), [field]: value }), field, message);
        }
      });
    },
  );

  // Characters that make an email read as another: the zero-width ones and joiners, word joiner,
  // soft hyphen, BOM, direction marks and overrides, Hangul filler, a variation selector, a tag,
  // and spaces other than the ASCII one.
  const HIDDEN_IN_EMAIL = {
    zwsp: '\u200b',
    zwnj: '\u200c',
    zwj: '\u200d',
    wj: '\u2060',
    shy: '\u00ad',
    bom: '\ufeff',
    lrm: '\u200e',
    rlo: '\u202e',
    hangul: '\u3164',
    vs16: '\ufe0f',
    tag: '\u{e0041}',
    nbsp: '\u00a0',
    lineSeparator: '\u2028',
    ideographicSpace: '\u3000',
  };
  describe.each(
    (['register', 'addMember'] as const).flatMap((routeKey) =>
      Object.entries(HIDDEN_IN_EMAIL).map(([name, char]) => [routeKey, name, char]),
    ),
  )('%s with %s in the email', (routeKey, _name, char) => {
    it('answers 422 on email, in the local part and in the domain, and writes nothing', async () => {
      const route = routes[routeKey as keyof typeof routes];
      const [local, domain] = (route.body() as { email: string }).email.split('@');
      for (const email of [`${local}${char}@${domain}`, `${local}@${char}${domain}`, `${local}@${domain.replace('.', `${char}.`)}`]) {
        const body = JSON.stringify({ ...route.body(), email });
        await expectNothingWritten(route, body, 'email', 'The email field must be a valid email address.');
      }
    });
  });

  it('registers an email whose combining mark NFC cannot compose, as a distinct visible address', async () => {
    const email = `x\u0301-${randomBytes(4).toString('hex')}@example.test`;
    const res = await api().post('/api/v1/auth/register').send({ email, password: 'long enough password', name: 'Mark' }).expect(201);
    expect(res.body.data.email).toBe(email);
  });

  it('keeps a name with a visible character and an emoji joined by ZWJ as sent', async () => {
    const name = 'a \u{1f469}\u200d\u{1f4bb}';
    const res = await api()
      .post('/api/v1/team/service-accounts')
      .set(bearer(pat))
      .send({ name, abilities: ['secrets:read'] })
      .expect(201);
    expect((await t.dataSource.query('SELECT name FROM users WHERE id = $1', [res.body.data.id]))[0].name).toBe(name);
    await api().patch('/api/v1/team').set(bearer(pat)).send({ name }).expect(200);
    expect((await t.dataSource.query('SELECT name FROM teams WHERE id = $1', [owner.teamId]))[0].name).toBe(name);
  });

  it('keeps a label of exactly 100 characters, selectors included, as sent', async () => {
    const label = '\u2764\ufe0f'.repeat(50);
    const secret = await newSecret(t.baseUrl, { label }, pat);
    expect((await t.dataSource.query('SELECT label FROM secrets WHERE id = $1', [secret.id]))[0].label).toBe(label);
  });

  it('keeps text outside the Basic Multilingual Plane (a surrogate pair) as sent', async () => {
    const text = 'key 🔑 𝔘𝔫𝔦𝔠𝔬𝔡𝔢';
    const secret = await newSecret(t.baseUrl, { content: text, label: text }, pat);
    const res = await api().post(`/api/v1/links/${secret.token}/reveal`).send({}).expect(200);
    expect(res.body.data.content).toBe(text);
    expect((await t.dataSource.query('SELECT label FROM secrets WHERE id = $1', [secret.id]))[0].label).toBe(text);
  });

  it('reports an odd field name along with the other bad fields', async () => {
    const before = await count('secrets');
    const res = await send(routes.createSecret, withField({ content: null, expire_mode: 'views', expire_value: 1 }, 'constructor', {}));
    expect(res.status).toBe(422);
    expect(Object.keys(res.body.errors).sort()).toEqual(['constructor', 'content']);
    expect(await count('secrets')).toBe(before);
  });

  it.each(['null', '[]', '"text"', '1', 'true', '[{"content":"x","expire_mode":"views","expire_value":1}]'])(
    'answers a JSON body of %s with 422 "not an object" on every route, those taking no body too, and changes nothing',
    async (body) => {
      const rotate: Route = {
        name: 'POST /api/v1/team/webhook-secret/rotate',
        method: 'post',
        path: () => '/api/v1/team/webhook-secret/rotate',
        auth: true,
        body: () => ({}),
        state: async () =>
          await t.dataSource.query('SELECT ciphertext, rotated_at FROM team_webhook_secrets WHERE team_id = $1', [owner.teamId]),
      };
      for (const route of [...Object.values(routes), rotate]) {
        const before = await route.state();
        const res = await send(route, body);
        expect([route.name, res.status, res.body]).toEqual([
          route.name,
          422,
          { message: 'The given data was invalid.', errors: { body: ['The body must be a JSON object.'] } },
        ]);
        expect([route.name, await route.state()]).toEqual([route.name, before]);
      }
    },
  );

  it('answers a body nested thousands deep with 422 naming the field, on routes with and without a token', async () => {
    const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    const before = await count('secrets');
    for (const [path, token] of [
      ['/api/v1/auth/register', undefined],
      ['/api/v1/secrets', undefined],
      ['/api/v1/secrets', pat],
      [`/api/v1/links/${plainSecret.token}/reveal`, undefined],
    ] as const) {
      const call = api().post(path).set('content-type', 'application/json');
      if (token) call.set(bearer(token));
      const res = await call.send(`{"content":${deep(5000)}}`);
      expect([path, res.status, res.body.errors]).toEqual([path, 422, { content: ['The content field is nested too deeply.'] }]);
      const whole = await api().post(path).set('content-type', 'application/json').send(deep(5000));
      expect([path, whole.status, whole.body.errors]).toEqual([path, 422, { body: ['The body must be a JSON object.'] }]);
    }
    expect(await count('secrets')).toBe(before);
  });

  describe('bodies wider than any route takes', () => {
    const zeros = (n: number) => `[${Array(n).fill(0).join(',')}]`;
    const lists = (n: number, inner = '[]') => `[${Array(n).fill(inner).join(',')}]`;
    // [what, JSON of the field's value]: one list of more than 1,000 items, or more than 10,000 values in all.
    const WIDE: [string, string][] = [
      ['900,000 zeros (1.8 MB)', zeros(900_000)],
      ['600,000 empty lists', lists(600_000)],
      ['an object of 2,000 keys', JSON.stringify(Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, 0])))],
      ['20 lists of 999 zeros', lists(20, zeros(999))],
    ];

    // More than 1,000 separators: refused before the body is parsed, or for its size on a route that takes SMALL_BODY_LIMIT_BYTES.
    it.each(WIDE)('answers %s in passcode on reveal and in allowed_countries on create before parsing it', async (_what, wide) => {
      for (const [route, field] of [
        [routes.revealPlain, 'passcode'],
        [routes.revealPasscode, 'passcode'],
        [routes.createSecret, 'allowed_countries'],
      ] as const) {
        const before = await route.state();
        const body = withField(route.body(), field, JSON.parse(wide));
        const res = await send(route, body);
        const tooLarge = route !== routes.createSecret && Buffer.byteLength(body) > SMALL_BODY_LIMIT_BYTES;
        expect([route.name, res.status, res.body]).toEqual(
          tooLarge
            ? [route.name, 413, { message: 'The request body is too large.' }]
            : [route.name, 422, { message: 'The given data was invalid.', errors: { body: ['The body holds too many values.'] } }],
        );
        expect([route.name, await route.state()]).toEqual([route.name, before]);
      }
    });
  });

  describe('a key given twice in an object', () => {
    /** `body`'s JSON with `extra` (raw JSON members) spliced in before its first member. */
    const spliced = (body: Record<string, unknown>, extra: string) => `{${extra},${JSON.stringify(body).slice(1)}`;

    // JSON.parse keeps the last of the two: a proxy that reads the first would judge another request than the one run.
    it.each(Object.keys(routes) as (keyof typeof routes)[])('is refused, naming the key, and writes nothing on %s', async (name) => {
      const route = routes[name];
      const [key, value] = Object.entries(route.body())[0] ?? ['passcode', 'open sesame'];
      const body = Object.keys(route.body()).length
        ? spliced(route.body(), `${JSON.stringify(key)}:${JSON.stringify(value)}`)
        : `{"passcode":"a","passcode":"b"}`;
      await expectNothingWritten(route, body, key, `The ${key.replace(/_/g, ' ')} field may be given only once.`);
    });

    it.each([
      ['spelled with an escape', '"expire_mode":"views","expire_mod\\u0065":"minutes"', 'expire_mode', 'expire mode'],
      ['nested in an object', '"label":"x","nested":{"a":1,"b":{"c":1,"c":2}}', 'nested.b.c', 'nested.b.c'],
      ['in an object in a list', '"allowed_countries":[{"a":1},{"a":1,"a":2}]', 'allowed_countries.1.a', 'allowed_countries.1.a'],
    ])('is refused %s, named by its path', async (_how, members, path, said) => {
      const before = await count('secrets');
      const res = await send(routes.createSecret, `{${members},"content":"c","expire_value":1}`);
      expect([res.status, res.body.errors]).toEqual([422, { [path]: [`The ${said} field may be given only once.`] }]);
      expect(await count('secrets')).toBe(before);
    });

    it('names a key without a name as such', async () => {
      const res = await send(routes.createSecret, '{"":1,"":2,"content":"c","expire_mode":"views","expire_value":1}');
      expect([res.status, res.body.errors]).toEqual([422, { '': ['A field without a name may be given only once.'] }]);
    });

    it('answers a body nested far deeper than any route takes with a 4xx, its levels counted, not recorded', async () => {
      for (const open of ['[', '{"a":']) {
        const body = `{"content":"c","expire_mode":"views","expire_value":1,"deep":${open.repeat(200_000)}1}`;
        const res = await send(routes.createSecret, body);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }
    });

    it('is not taken for two objects that each hold the key once, nor for a value that repeats a key', async () => {
      await send(routes.createSecret, '{"content":"label","label":"content","expire_mode":"views","expire_value":1}').then((res) =>
        expect(res.status).toBe(201),
      );
      const res = await send(routes.createSecret, '{"content":"c","expire_mode":"views","expire_value":1,"x":[{"a":1},{"a":1}]}');
      expect(res.body.errors).toEqual({ x: ['The x field is not allowed.'] });
    });

    it('leaves a body that does not parse to the parser (400), whatever keys it repeats', async () => {
      const res = await send(routes.createSecret, '{"content":"a","content":"b",}');
      expect(res.status).toBe(400);
      expect(res.body.errors).toBeUndefined();
    });
  });

  it('names at most 10 unknown fields however many a body holds, and still judges the declared ones', async () => {
    const keys = Array.from({ length: 400 }, (_, i) => `k${i}`);
    const body = `{${keys.map((key) => `"${key}":1`).join(',')},"passcode":5}`;
    for (const [path, token] of [
      [`/api/v1/links/${plainSecret.token}/reveal`, undefined],
      ['/api/v1/secrets', pat],
    ] as const) {
      const call = api().post(path).set('content-type', 'application/json');
      if (token) call.set(bearer(token));
      const res = await call.send(body);
      expect([path, res.status]).toEqual([path, 422]);
      const fields = Object.keys(res.body.errors);
      expect([path, fields.slice(0, 10)]).toEqual([path, keys.slice(0, 10)]);
      expect([path, fields.filter((field) => field.startsWith('k'))]).toEqual([path, keys.slice(0, 10)]);
      expect(res.body.errors.passcode).toEqual(['The passcode field must be a string.']);
    }
  });

  it('shows an unknown field’s name cut at 64 characters, so the 422 is not larger than the request', async () => {
    const long = 'x'.repeat(10_000);
    const res = await api()
      .post(`/api/v1/links/${plainSecret.token}/reveal`)
      .set('content-type', 'application/json')
      .send(`{"${long}":1}`)
      .expect(422);
    const shown = `${'x'.repeat(64)}…`;
    expect(res.body.errors).toEqual({ [shown]: [`The ${shown} field is not allowed.`] });
  });

  it('names a query parameter that is not snake_case as it was sent', async () => {
    const res = await api().get('/api/v1/secrets?__proto__=1&per_pag=2').set(bearer(pat)).expect(422);
    expect(res.body.errors).toEqual(
      JSON.parse('{"__proto__": ["The __proto__ field is not allowed."], "per_pag": ["The per pag field is not allowed."]}'),
    );
  });

  it('refuses a field in the body of a DELETE, which takes none, and removes nothing', async () => {
    const secret = await newSecret(t.baseUrl, {}, pat);
    const account = (
      await api()
        .post('/api/v1/team/service-accounts')
        .set(bearer(pat))
        .send({ name: 'kept', abilities: ['secrets:read'] })
        .expect(201)
    ).body.data;
    const paths = [`/api/v1/secrets/${secret.id}`, `/api/v1/team/service-accounts/${account.id}`];
    for (const path of paths) {
      const res = await api().delete(path).set(bearer(pat)).send({ force: true });
      expect([path, res.status, res.body.errors]).toEqual([path, 422, { force: ['The force field is not allowed.'] }]);
    }
    expect((await api().get(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).expect(200)).body.data.status).toBe('active');
    await api().get('/api/v1/secrets').set(bearer(account.token)).expect(200);
    await api().delete(paths[0]).set(bearer(pat)).send({}).expect(204);
    await api().delete(paths[1]).set(bearer(pat)).expect(204);
  });

  it('says a body that is a JSON array is not an object', async () => {
    const res = await api().post(`/api/v1/links/${plainSecret.token}/reveal`).send([]).expect(422);
    expect(res.body).toEqual({ message: 'The given data was invalid.', errors: { body: ['The body must be a JSON object.'] } });
  });

  it('still lets label: null clear the label on PUT /api/v1/secrets/{id}', async () => {
    const secret = await newSecret(t.baseUrl, { label: 'to clear' }, pat);
    const res = await api().put(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).send({ label: null }).expect(200);
    expect(res.body.data.label).toBeNull();
    expect((await t.dataSource.query('SELECT label FROM secrets WHERE id = $1', [secret.id]))[0].label).toBeNull();
  });

  it('left every secret the table used untouched', async () => {
    expect(await secretRow(() => secretToUpdate.id)()).toMatchObject({
      status: 'active',
      label: 'original',
      expire_value: 3,
      views_count: 0,
    });
    for (const secret of [plainSecret, passcodeSecret]) {
      expect(await secretRow(() => secret.id)()).toMatchObject({ status: 'active', views_count: 0, failed_attempts: 0 });
    }
  });

  describe('GET list routes', () => {
    const LISTS = [
      '/api/v1/secrets',
      '/api/v1/teams',
      '/api/v1/team/members',
      '/api/v1/team/audit-events',
      '/api/v1/team/service-accounts',
      '/api/v1/auth/tokens',
    ];
    const BAD_PAGES = ['1e300', '1.5', '-1', 'abc', '99999999999', '0', '100001', '', 'Infinity', 'NaN', '1e21'];
    const BAD_PER_PAGES = ['1e300', '1.5', '-1', 'abc', '0', '101', ''];

    describe.each(LISTS)('%s', (path) => {
      it.each(BAD_PAGES)('answers 422 naming page for page=%p', async (page) => {
        expectRefused(
          await api()
            .get(`${path}?page=${encodeURIComponent(page)}`)
            .set(bearer(pat)),
          'page',
        );
      });

      it.each(BAD_PER_PAGES)('answers 422 naming per_page for per_page=%p', async (perPage) => {
        expectRefused(
          await api()
            .get(`${path}?per_page=${encodeURIComponent(perPage)}`)
            .set(bearer(pat)),
          'per_page',
        );
      });

      it('answers 422 naming page for a repeated page', async () => {
        expectRefused(await api().get(`${path}?page=1&page=2`).set(bearer(pat)), 'page');
      });

      it.each(['page', 'per_page'])('says a negative %s must be at least 1', async (name) => {
        const res = await api().get(`${path}?${name}=-2`).set(bearer(pat)).expect(422);
        expect(res.body.errors).toEqual({ [name]: [`The ${name.replace('_', ' ')} field must be at least 1.`] });
      });

      it.each(ODD_NAMES)('answers 422 naming %s for a query parameter of that name', async (name) => {
        expectRefused(await api().get(`${path}?${name}=x`).set(bearer(pat)), name);
      });

      it('serves the last allowed page, empty', async () => {
        const res = await api().get(`${path}?page=100000&per_page=100`).set(bearer(pat)).expect(200);
        expect(res.body.data).toEqual([]);
        expect(res.body.meta).toMatchObject({ current_page: 100000, per_page: 100 });
      });
    });
  });

  describe('bodies that are not JSON', () => {
    const formOf = (body: Body) => new URLSearchParams(Object.entries(body).map(([name, value]) => [name, String(value)])).toString();

    it('answers a form-encoded body with 415 on every route that takes a body, spending and writing nothing', async () => {
      for (const route of Object.values(routes) as Route[]) {
        const before = await route.state();
        const call = api()[route.method](route.path()).type('form');
        if (route.auth) call.set(bearer(pat));
        const res = await call.send(formOf(route.body()));
        expect([route.name, res.status, res.body]).toEqual([route.name, 415, { message: expect.any(String) }]);
        expect([route.name, await route.state()]).toEqual([route.name, before]);
      }
    });

    // A query string sends create and reveal Nest's way rather than ahead of Fastify; both must agree.
    const WAYS = [
      ['ahead of Fastify', ''],
      ['through Nest', '?via=nest'],
    ];

    it.each(WAYS)('answers 400 to a JSON body whose bytes are not UTF-8 (%s), storing nothing', async (_way, query) => {
      const before = await count('secrets');
      const latin1 = Buffer.from('{"content":"p\u00e4ssw\u00f6rd","expire_mode":"views","expire_value":1}', 'latin1');
      // fetch sends the bytes as they are (supertest would serialise a Buffer as JSON).
      const answer = await fetch(`${t.baseUrl}/api/v1/secrets${query}`, {
        method: 'POST',
        headers: { ...bearer(pat), 'content-type': 'application/json' },
        body: latin1,
      });
      const res = { status: answer.status, body: await answer.json() };
      expect([res.status, res.body]).toEqual([400, { message: 'The request body is not valid UTF-8.' }]);
      expect(await count('secrets')).toBe(before);
    });

    it.each([
      ['truncated JSON', 'application/json', '{"content":'],
      ['JSON declared in latin1', 'application/json; charset=latin1', '{}'],
      [
        'a multipart body',
        'multipart/form-data; boundary=XyZ',
        '--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--XyZ--\r\n',
      ],
      ['a truncated multipart body', 'multipart/form-data; boundary=XyZ', '--XyZ\r\nContent-Disp'],
      ['an octet stream', 'application/octet-stream', 'bytes'],
    ])('answers 404 to %s sent to a path no route takes, as to no body', async (_case, type, body) => {
      const expected = await api().get('/api/v1/nope').expect(404);
      for (const path of ['/api/v1/nope', '/api/v1/secrets/nope/deeper']) {
        const res = await api().post(path).set('Content-Type', type).send(body);
        expect({ path, status: res.status, body: res.body }).toEqual({ path, status: 404, body: expected.body });
      }
    });

    it.each(['iso-8859-1', 'utf-16', '"latin1"'])('answers 415 to a JSON body declared in charset %s, storing nothing', async (charset) => {
      const before = await count('secrets');
      const res = await api()
        .post('/api/v1/secrets')
        .set(bearer(pat))
        .set('content-type', `application/json; charset=${charset}`)
        .send(JSON.stringify({ content: 'plain ascii', expire_mode: 'views', expire_value: 1 }));
      expect([res.status, res.body]).toEqual([415, { message: 'A JSON body must be UTF-8 (charset=utf-8).' }]);
      expect(await count('secrets')).toBe(before);
    });

    it.each(WAYS)('answers 415 to a body with a Content-Encoding (%s), compressed or not, storing nothing', async (_way, query) => {
      const before = await count('secrets');
      const json = JSON.stringify({ content: 'plain ascii', expire_mode: 'views', expire_value: 1 });
      for (const [coding, body] of [
        ['gzip', gzipSync(json)],
        ['gzip', Buffer.from(json)],
        ['br', Buffer.from(json)],
      ] as const) {
        const answer = await fetch(`${t.baseUrl}/api/v1/secrets${query}`, {
          method: 'POST',
          headers: { ...bearer(pat), 'content-type': 'application/json', 'content-encoding': coding },
          body,
        });
        expect([coding, answer.status, await answer.json(), answer.headers.get('accept-encoding')]).toEqual([
          coding,
          415,
          { message: 'A request body must not be compressed (Content-Encoding).' },
          'identity',
        ]);
      }
      expect(await count('secrets')).toBe(before);
      const identity = await api()
        .post(`/api/v1/secrets${query}`)
        .set(bearer(pat))
        .set('content-encoding', 'identity')
        .set('content-type', 'application/json')
        .send(json);
      expect(identity.status).toBe(201);
    });

    it('takes an empty body with a JSON content type for no body', async () => {
      for (const [way, query] of WAYS) {
        const secret = await newSecret(t.baseUrl, { expire_value: 1 }, pat);
        const revealed = await api().post(`/api/v1/links/${secret.token}/reveal${query}`).set('content-type', 'application/json');
        expect([way, revealed.status, revealed.body.data?.content]).toEqual([way, 200, 'correct horse battery staple']);
        const created = await newSecret(t.baseUrl, { expire_value: 1 }, pat);
        // Content-Length: 0 said outright (supertest and fetch send a DELETE with neither length nor body, which Fastify never parses).
        const deleted = await new Promise<number>((resolve, reject) =>
          httpRequest(
            `${t.baseUrl}/api/v1/secrets/${created.id}`,
            { method: 'DELETE', headers: { ...bearer(pat), 'content-type': 'application/json', 'content-length': '0' } },
            (res) => resolve(res.resume().statusCode!),
          )
            .on('error', reject)
            .end(),
        );
        expect([way, deleted]).toEqual([way, 204]);
      }
      const empty = await api().post('/api/v1/secrets').set(bearer(pat)).set('content-type', 'application/json');
      const braces = await api().post('/api/v1/secrets').set(bearer(pat)).send({});
      expect([empty.status, empty.body]).toEqual([422, braces.body]);
    });

    it('answers a multipart body with 415 on every route that does not read one, instead of taking it for no body', async () => {
      for (const route of Object.values(routes).filter((route) => route !== routes.createSecret) as Route[]) {
        const before = await route.state();
        const call = api()[route.method](route.path());
        if (route.auth) call.set(bearer(pat));
        // At least one part, so there is a multipart body even where the route's own body is {}.
        for (const [name, value] of Object.entries({ ...route.body(), part: 'x' })) call.field(name, String(value));
        const res = await call;
        expect([route.name, res.status, res.body]).toEqual([route.name, 415, { message: expect.any(String) }]);
        expect([route.name, await route.state()]).toEqual([route.name, before]);
      }
    });
  });
});
