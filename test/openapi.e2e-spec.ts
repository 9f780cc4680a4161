import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { IncomingMessage, request } from 'node:http';
import { join } from 'node:path';
import supertest from 'supertest';
import { ABILITIES, Ability } from '../src/auth/ability';
import { ERROR_CODES } from '../src/common/errors/error-codes';
import { SecretPurger } from '../src/secrets/secret-purger';
import { WEBHOOK_EVENT_TYPES } from '../src/webhooks/webhook-event';
import { eventually } from './support/eventually';
import { bearer, newTeam, newToken } from './support/factories';
import { servedOpenApi } from './support/server-process';
import { newSecret } from './support/secrets';
import { uploadFile } from './support/multipart';
import { newMember, newTeamOn } from './support/teams';
import { useTestApp } from './support/test-app';
import { startWebhookReceiver } from './support/webhook-receiver';

interface Response {
  content?: Record<string, { schema?: SchemaRef & { type?: string; format?: string } }>;
  headers?: Record<string, unknown>;
}

interface Operation {
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string }[];
  requestBody?: { required?: boolean; content: Record<string, unknown> };
  responses: Record<string, Response>;
  'x-ability'?: Ability | 'any';
  'x-admin'?: boolean;
  'x-owner'?: boolean;
  operationId?: string;
  callbacks?: Record<string, Record<string, Record<string, Callback>>>;
}

/** An operation the server calls: a webhook delivery. */
interface Callback {
  description?: string;
  parameters?: { $ref: string }[];
  requestBody?: { content: Record<string, { schema?: SchemaRef }> };
}

interface SchemaRef {
  $ref?: string;
  type?: string;
  format?: string;
  allOf?: SchemaRef[];
  anyOf?: SchemaRef[];
  nullable?: boolean;
  properties?: Record<string, SchemaRef>;
  items?: SchemaRef;
  oneOf?: SchemaRef[];
  enum?: unknown[];
}

interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
    parameters?: Record<string, { name: string; in: string; required?: boolean; schema: object }>;
  };
}

/**
 * Every documented operation of the API, with a concrete path (any id is a fresh UUID: no route may
 * look before it checks). The share page and health checks, outside /api/v1, keep none of its conventions.
 */
function operations(doc: Document) {
  const api = Object.entries(doc.paths).filter(([path]) => path.startsWith('/api/v1/'));
  return api.flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      name: `${method.toUpperCase()} ${path}`,
      method: method as 'get' | 'post' | 'put' | 'patch' | 'delete',
      url: path.replace(/\{[^}]+\}/g, () => crypto.randomUUID()),
      operation,
    })),
  );
}

/** The operation's path (from its name, `GET /api/v1/…`) with every parameter `value`. */
const urlWith = (name: string, value: string) => name.split(' ')[1].replace(/\{[^}]+\}/g, value);

const needsToken = (operation: Operation) => (operation.security ?? []).some((requirement) => 'bearer' in requirement);
const allowsAnonymous = (operation: Operation) => (operation.security ?? []).some((requirement) => Object.keys(requirement).length === 0);

function refsIn(schema: SchemaRef | undefined): string[] {
  if (!schema) return [];
  return [
    ...(schema.$ref ? [schema.$ref.split('/').pop()!] : []),
    ...Object.values(schema.properties ?? {}).flatMap(refsIn),
    ...refsIn(schema.items),
    ...(schema.oneOf ?? []).flatMap(refsIn),
  ];
}

/** Every schema in the document with the name it has there (a property's, or where it sits). */
function schemasIn(node: unknown, name = '', into: [string, SchemaRef][] = []): [string, SchemaRef][] {
  if (Array.isArray(node)) node.forEach((item) => schemasIn(item, name, into));
  else if (node && typeof node === 'object') {
    const schema = node as SchemaRef;
    if (typeof schema.type === 'string') into.push([name, schema]);
    for (const [key, value] of Object.entries(node)) schemasIn(value, key === 'properties' ? name : key, into);
    for (const [key, value] of Object.entries(schema.properties ?? {})) schemasIn(value, key, into);
  }
  return into;
}

/** Where a `nullable` stands without a `type`, which OpenAPI 3.0.3 ignores and Ajv refuses to compile. */
function untypedNullables(node: unknown, at = '#'): string[] {
  if (!node || typeof node !== 'object') return [];
  const here = 'nullable' in node && !('type' in node) ? [at] : [];
  return [...here, ...Object.entries(node).flatMap(([key, value]) => untypedNullables(value, `${at}/${key}`))];
}

/** The model a schema names: through a `$ref`, an `allOf` of one, or a nullable model's `oneOf` (its `$ref` or null). */
function modelOf(doc: Document, schema: SchemaRef): SchemaRef & { required?: string[] } {
  if (schema.$ref) return modelOf(doc, doc.components.schemas[schema.$ref.split('/').pop()!] as SchemaRef);
  if (schema.allOf?.length === 1) return modelOf(doc, schema.allOf[0]);
  const model = schema.oneOf?.filter((branch) => !branch.enum?.includes(null));
  if (model?.length === 1) return modelOf(doc, model[0]);
  return schema;
}

/**
 * Where a body and its schema part, at every depth: a field sent but not documented, one
 * documented but not sent, or one documented but not required (every field is always sent).
 */
function fieldsApart(doc: Document, value: unknown, schema: SchemaRef, at: string): string[] {
  const model = modelOf(doc, schema);
  if (!model.properties || !value || typeof value !== 'object') return [];
  const sent = Object.keys(value);
  const documented = Object.keys(model.properties);
  return [
    ...sent.filter((key) => !documented.includes(key)).map((key) => `${at}.${key} is sent, not documented`),
    ...documented.filter((key) => !sent.includes(key)).map((key) => `${at}.${key} is documented, not sent`),
    ...documented.filter((key) => !(model.required ?? []).includes(key)).map((key) => `${at}.${key} is not required`),
    ...sent
      .filter((key) => documented.includes(key))
      .flatMap((key) => fieldsApart(doc, (value as Record<string, unknown>)[key], model.properties![key], `${at}.${key}`)),
  ];
}

describe('/api/openapi.json', () => {
  // Webhooks delivered to a receiver on loopback, promptly.
  const t = useTestApp({ env: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_POLL_INTERVAL_MS: '100' } });
  let doc: Document;
  beforeAll(async () => {
    doc = (await servedOpenApi(t.db)) as Document;
  });

  const send = (op: ReturnType<typeof operations>[number], token?: string) => {
    const request = supertest(t.baseUrl)[op.method](op.url);
    if (token) request.set(bearer(token));
    return ['post', 'put', 'patch'].includes(op.method) ? request.send({}) : request;
  };

  it('is a valid OpenAPI document', async () => {
    // The parser resolves references in place, so it gets a copy.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('files every operation under one declared tag', () => {
    const declared = (doc as Document & { tags: { name: string }[] }).tags.map((tag) => tag.name);
    const untidy = operations(doc).filter((op) => op.operation.tags?.length !== 1 || !declared.includes(op.operation.tags[0]));
    expect(untidy.map((op) => `${op.name} ${JSON.stringify(op.operation.tags)}`)).toEqual([]);
  });

  it('documents the routes that need a token, each with the ability it needs', () => {
    const guarded = operations(doc).filter(({ operation }) => needsToken(operation));
    expect(guarded.length).toBeGreaterThan(20);
    for (const { name, operation } of guarded) {
      expect([name, operation['x-ability']]).toEqual([
        name,
        expect.stringMatching(/^(any|secrets:read|secrets:write|team:read|team:write)$/),
      ]);
    }
  });

  it('answers 401 without a token on every route that needs one, with the challenge it documents', async () => {
    const guarded = operations(doc).filter(({ operation }) => needsToken(operation) && !allowsAnonymous(operation));
    for (const op of guarded) {
      const res = await send(op);
      expect([op.name, res.status, res.headers['www-authenticate']]).toEqual([op.name, 401, 'Bearer realm="oncelink"']);
      expect([op.name, Object.keys(op.operation.responses['401'].headers ?? {})]).toEqual([
        op.name,
        expect.arrayContaining(['WWW-Authenticate']),
      ]);
    }
  });

  it('answers 403 to a token without the route’s ability, to a member on admin routes, and to an admin on owner routes', async () => {
    const { owner, pat: ownerPat } = await newTeam(t.baseUrl);
    const { pat: memberPat } = await newMember(t.baseUrl, ownerPat, owner.teamId, 'member', [...ABILITIES]);
    const { pat: adminPat } = await newMember(t.baseUrl, ownerPat, owner.teamId, 'admin', [...ABILITIES]);
    const lacking = new Map<Ability, string>();
    for (const ability of ABILITIES) {
      lacking.set(ability, await newToken(t.baseUrl, owner, { abilities: ABILITIES.filter((held) => held !== ability) }));
    }
    const checked = [];
    for (const op of operations(doc).filter(({ operation }) => needsToken(operation))) {
      const ability = op.operation['x-ability'];
      if (ability && ability !== 'any') {
        const res = await send(op, lacking.get(ability));
        expect([op.name, res.status]).toEqual([op.name, 403]);
        checked.push(op.name);
      }
      if (op.operation['x-admin'] || op.operation['x-owner']) {
        const res = await send(op, memberPat);
        expect([op.name, 'member', res.status]).toEqual([op.name, 'member', 403]);
      }
      if (op.operation['x-owner']) {
        const res = await send(op, adminPat);
        expect([op.name, 'admin', res.status]).toEqual([op.name, 'admin', 403]);
        // An owner's route does not also say an admin may call it.
        expect([op.name, op.operation['x-admin']]).toEqual([op.name, undefined]);
      }
    }
    expect(checked.length).toBeGreaterThan(15);
    expect(doc.paths['/api/v1/team'].delete['x-owner']).toBe(true);
  });

  it('documents every failure a route answers, each as the contract’s error body', async () => {
    const { pat } = await newTeam(t.baseUrl);
    const spent = (await newSecret(t.baseUrl, {}, pat)).token;
    await supertest(t.baseUrl).post(`/api/v1/links/${spent}/reveal`).expect(200);

    const undocumented: string[] = [];
    for (const op of operations(doc)) {
      // A link that was spent, an id of nothing: each route's "gone" and "not found".
      const url = op.url.replace(/\/links\/[^/]+/, `/links/${spent}`);
      // A path parameter that does not decode, and one over Fastify's 100 characters.
      const paramPath = op.name.match(/\{[^}]+\}/)?.[0];
      const odd = paramPath ? ['%ZZ', 'a'.repeat(101)].map((value) => ({ ...op, url: urlWith(op.name, value) })) : [];
      const answers = [
        await send({ ...op, url }, pat),
        await send({ ...op, url: `${url}?per_page=0` }, pat),
        ...(await Promise.all(odd.map((oddOp) => send(oddOp, pat)))),
        ...(op.operation.requestBody
          ? [
              await supertest(t.baseUrl)[op.method](url).set(bearer(pat)).set('Content-Type', 'application/json').send('{"'),
              await supertest(t.baseUrl)[op.method](url).set(bearer(pat)).set('Content-Type', 'text/plain').send('x'),
              await supertest(t.baseUrl)[op.method](url).set(bearer(pat)).send({ content: null, 'no such field': 1 }),
            ]
          : []),
      ];
      for (const res of answers) if (!(String(res.status) in op.operation.responses)) undocumented.push(`${op.name} ${res.status}`);
    }
    expect(undocumented).toEqual([]);

    for (const { name, operation } of operations(doc)) {
      const failures = Object.entries(operation.responses).filter(([status]) => Number(status) >= 400);
      for (const [status, response] of failures) {
        expect([name, status, response.content?.['application/json']?.schema?.$ref]).toEqual([
          name,
          status,
          '#/components/schemas/ErrorResponse',
        ]);
      }
    }
    expect(Object.keys(doc.components.schemas.ErrorResponse.properties ?? {})).toEqual(
      expect.arrayContaining(['message', 'errors', 'code', 'attempts_remaining']),
    );
  });

  /** The operation's answer to headers as node:http sends a flat list of them (two of a name too), and `body`. */
  const sendRaw = (op: ReturnType<typeof operations>[number], headers: string[], body = '') =>
    new Promise<number>((resolve, reject) => {
      const url = new URL(op.url, t.baseUrl);
      const req = request(url, { method: op.method.toUpperCase(), headers: ['Host', url.host, ...headers] }, (res) => {
        res.resume().on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject);
      req.end(body);
    });

  it('documents the 400 for two Authorization headers on every route that takes a token, and the 415 for a compressed body on every route', async () => {
    const { pat } = await newTeam(t.baseUrl);
    const undocumented: string[] = [];
    for (const op of operations(doc)) {
      const answers = [
        ...(needsToken(op.operation) ? [await sendRaw(op, ['Authorization', `Bearer ${pat}`, 'Authorization', `Bearer ${pat}`])] : []),
        await sendRaw(op, ['Content-Type', 'application/json', 'Content-Encoding', 'gzip', 'Content-Length', '2'], '{}'),
      ];
      for (const status of answers) if (!(String(status) in op.operation.responses)) undocumented.push(`${op.name} ${status}`);
    }
    expect(undocumented).toEqual([]);
    // A token route with neither a body nor a path parameter.
    expect(doc.paths['/api/v1/account'].get.responses['400']).toBeDefined();
  });

  it('documents X-Request-Id on every answer, the rate-limit headers on all but 408 and 417, and Retry-After where it is sent', () => {
    const rateLimit = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'];
    for (const { name, operation } of operations(doc)) {
      expect([name, Object.keys(operation.responses)]).toEqual([name, expect.arrayContaining(['417'])]);
      for (const [status, response] of Object.entries(operation.responses)) {
        const headers = Object.keys(response.headers ?? {});
        const unrouted = status === '408' || status === '417';
        const expected = ['X-Request-Id', ...(unrouted ? [] : rateLimit)];
        if (status === '429' || status === '503') expected.push('Retry-After');
        expect([name, status, headers]).toEqual([name, status, expect.arrayContaining(expected)]);
        if (unrouted) expect([name, status, headers.filter((header) => rateLimit.includes(header))]).toEqual([name, status, []]);
      }
    }
  });

  it('answers an unknown Expect with the 417 it documents, without the rate-limit headers', async () => {
    const { statusCode, headers } = await new Promise<IncomingMessage>((resolve, reject) => {
      const url = new URL('/api/v1/secrets', t.baseUrl);
      request(url, { method: 'GET', headers: { Expect: 'something-else' } }, resolve)
        .on('error', reject)
        .end();
    });
    expect(statusCode).toBe(417);
    expect(headers['x-request-id']).toBeDefined();
    expect(Object.keys(headers).filter((header) => header.startsWith('x-ratelimit-'))).toEqual([]);
    expect(doc.paths['/api/v1/secrets'].get.responses['417']).toBeDefined();
  });

  it('documents Accept-Encoding on the 415 for a compressed body, as it is sent', async () => {
    const res = await supertest(t.baseUrl)
      .post('/api/v1/auth/register')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send('{}');
    expect(res.status).toBe(415);
    expect(res.headers['accept-encoding']).toBe('identity');
    for (const { name, operation } of operations(doc).filter((op) => op.operation.requestBody)) {
      expect([name, Object.keys(operation.responses['415'].headers ?? {})]).toEqual([name, expect.arrayContaining(['Accept-Encoding'])]);
    }
  });

  it('documents Idempotent-Replayed on the 410 a create’s replay answers once its secret has ended', async () => {
    const { pat } = await newTeam(t.baseUrl);
    const key = crypto.randomUUID();
    const body = { content: 'x', expire_mode: 'views', expire_value: 1 };
    const created = await supertest(t.baseUrl).post('/api/v1/secrets').set(bearer(pat)).set('Idempotency-Key', key).send(body).expect(201);
    await supertest(t.baseUrl).delete(`/api/v1/secrets/${created.body.data.id}`).set(bearer(pat)).expect(204);
    const replay = await supertest(t.baseUrl).post('/api/v1/secrets').set(bearer(pat)).set('Idempotency-Key', key).send(body);
    expect([replay.status, replay.headers['idempotent-replayed']]).toEqual([410, 'true']);
    expect(Object.keys(doc.paths['/api/v1/secrets'].post.responses['410'].headers ?? {})).toContain('Idempotent-Replayed');
  });

  it('types every byte count as int64: a pro team’s storage is over 2^31', () => {
    const byteCounts = schemasIn(doc).filter(([name, schema]) => schema.type === 'integer' && /bytes|(^|_)size$/.test(name));
    expect(byteCounts.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'file_storage_bytes',
        'content_bytes_per_month',
        'file_bytes',
        'content_bytes_this_period',
        'file_bytes_held',
        'size',
      ]),
    );
    expect(byteCounts.filter(([, schema]) => schema.format !== 'int64').map(([name]) => name)).toEqual([]);
  });

  it('names every operation for generated clients, and every path parameter in snake case', () => {
    const ids = operations(doc).map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z]+(_[a-z]+)+$/);
    expect(doc.paths['/api/v1/secrets'].post.operationId).toBe('secrets_create');
    // Kept when the route moved to ServiceAccountDeletionController: generated clients keep their method.
    expect(doc.paths['/api/v1/team/service-accounts/{id}'].delete.operationId).toBe('service_accounts_remove');
    const parameters = Object.keys(doc.paths).flatMap((path) => path.match(/\{[^}]+\}/g) ?? []);
    expect(parameters.filter((parameter) => !/^\{[a-z]+(_[a-z]+)*\}$/.test(parameter))).toEqual([]);
  });

  it('spells a nullable model so a strict validator compiles it: null and the model both validate', () => {
    expect(untypedNullables(doc)).toEqual([]);
    const ajv = new Ajv({ strict: false, validateFormats: false });
    ajv.addSchema({ ...doc, $id: 'openapi' });
    for (const name of Object.keys(doc.components.schemas))
      expect([name, ajv.getSchema(`openapi#/components/schemas/${name}`)]).toEqual([name, expect.any(Function)]);
    const file = { name: 'a.txt', size: 2, content_type: 'text/plain', encryption: 'server' };
    for (const model of ['SecretResponse', 'LinkResponse']) {
      const fileOf = ajv.getSchema(`openapi#/components/schemas/${model}/properties/file`)!;
      expect([model, fileOf(null), fileOf(file), fileOf({})]).toEqual([model, true, true, false]);
    }
  });

  it('marks a body optional where the server takes none', async () => {
    const { pat } = await newTeam(t.baseUrl);
    const created = await newSecret(t.baseUrl, {}, pat);
    await supertest(t.baseUrl).put(`/api/v1/secrets/${created.id}`).set(bearer(pat)).expect(200);
    await supertest(t.baseUrl).patch('/api/v1/account').set(bearer(pat)).expect(200);
    expect(doc.paths['/api/v1/secrets/{id}'].put.requestBody?.required).toBe(false);
    expect(doc.paths['/api/v1/account'].patch.requestBody?.required).toBe(false);
    // One with a required field is still required.
    expect(doc.paths['/api/v1/teams'].post.requestBody?.required).toBe(true);
  });

  it('enumerates every error code the server sends as ErrorResponse.code, each one a row of README’s table of codes', () => {
    const codes = (doc.components.schemas.ErrorResponse as SchemaRef).properties!.code.enum;
    expect(codes).toEqual([...ERROR_CODES]);
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `([a-z_]+)` \| [0-9, ]+ \|/gm)].map((row) => row[1]);
    expect(rows.sort()).toEqual([...ERROR_CODES].sort());
  });

  it('lets a PUT replace an encrypted secret’s ciphertext and iv, as create takes them', () => {
    const schemas = doc.components.schemas as Record<string, SchemaRef>;
    const rules = (schema: string, field: string) => ({ ...schemas[schema].properties![field], description: undefined });
    for (const field of ['ciphertext', 'iv']) expect(rules('UpdateSecretDto', field)).toEqual(rules('CreateSecretDto', field));
    expect(rules('UpdateSecretDto', 'iv')).toMatchObject({ format: 'byte', minLength: 16, maxLength: 16 });
  });

  it('describes when a file’s name and type are null', async () => {
    const { pat } = await newTeamOn('pro', t.baseUrl, t.dataSource);
    const file = await uploadFile(
      t.baseUrl,
      pat,
      { expire_mode: 'views', expire_value: '1', passcode: 'open sesame' },
      { name: 'a.txt', type: 'text/plain', data: Buffer.from('hi') },
    );
    const lookup = await supertest(t.baseUrl)
      .get(`/api/v1/links/${String(file.body.data!.token)}`)
      .expect(200);
    expect(lookup.body.data.file).toMatchObject({ name: null, content_type: null, encryption: 'server' });
    const info = doc.components.schemas.FileInfoResponse.properties as Record<string, { description: string }>;
    expect(info.name.description).toMatch(/passcode or a country rule/);
    expect(info.content_type.description).toMatch(/passcode or a country rule/);
  });

  it('declares expires_in_minutes, optional, with its limits, on the JSON create, the file form and the update', () => {
    const schemas = doc.components.schemas as Record<string, { properties: Record<string, unknown>; required?: string[] }>;
    const create = doc.paths['/api/v1/secrets'].post.requestBody!.content as Record<string, { schema: SchemaRef }>;
    const form = create['multipart/form-data'].schema.$ref!.split('/').pop()!;
    for (const name of ['CreateSecretDto', form, 'UpdateSecretDto']) {
      expect([name, schemas[name].properties.expires_in_minutes]).toEqual([
        name,
        expect.objectContaining({ type: 'integer', minimum: 1, maximum: 10080, description: expect.stringMatching(/views/) }),
      ]);
      expect(schemas[name].required ?? []).not.toContain('expires_in_minutes');
    }
  });

  it('describes how long a service account’s first token lives', () => {
    const account = doc.components.schemas.CreateServiceAccountDto.properties as Record<string, { description: string }>;
    expect(account.expires_in_days.description).toMatch(/never after the calling token does/);
  });

  it('documents every list’s paging, and the filter of the secrets list', () => {
    const lists = operations(doc).filter(
      ({ operation }) => operation.responses['200']?.content?.['application/json']?.schema?.properties?.meta,
    );
    expect(lists.length).toBeGreaterThan(8);
    for (const { name, operation } of lists) {
      const query = (operation.parameters ?? []).filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name);
      expect([name, query]).toEqual([name, expect.arrayContaining(['page', 'per_page'])]);
    }
    const secrets = doc.paths['/api/v1/secrets'].get.parameters ?? [];
    expect(secrets.map((parameter) => parameter.name)).toContain('status');
  });

  it('types what a client sends and gets as the server takes it: integers, a file form, and tokens that are not JWTs', () => {
    // The server refuses 1.5 wherever it takes a number, and sends none.
    expect(JSON.stringify(doc).match(/"type":"number"/g)).toBeNull();
    const create = doc.paths['/api/v1/secrets'].post.requestBody!.content as Record<string, { schema: SchemaRef }>;
    const form = doc.components.schemas[create['multipart/form-data'].schema.$ref!.split('/').pop()!].properties!;
    expect(form.file).toMatchObject({ type: 'string', format: 'binary' });
    expect(Object.keys(form)).toEqual(expect.arrayContaining(['expire_mode', 'expire_value', 'encryption']));
    expect(Object.keys(form)).not.toContain('content');
    const scheme = (doc as unknown as { components: { securitySchemes: Record<string, { bearerFormat?: string }> } }).components;
    expect(scheme.securitySchemes.bearer.bearerFormat).toMatch(/^olk_live_/);
  });

  it('lists the file last in the form, as the server takes no field after it, so a form sent in the document’s order is created', async () => {
    const create = doc.paths['/api/v1/secrets'].post.requestBody!.content as Record<string, { schema: SchemaRef }>;
    const form = doc.components.schemas[create['multipart/form-data'].schema.$ref!.split('/').pop()!].properties as Record<
      string,
      SchemaRef & { description?: string }
    >;
    const order = Object.keys(form);
    expect(order.at(-1)).toBe('file');
    expect(form.file.description).toMatch(/last part/);
    const { pat } = await newTeamOn('pro', t.baseUrl, t.dataSource);
    const values: Record<string, string> = {
      expire_mode: 'views',
      expire_value: '1',
      expires_in_minutes: '60',
      passcode: 'open sesame',
      label: 'form order',
      webhook_url: 'https://hooks.example.test/viewed',
      allowed_countries: 'US',
      encryption: 'server',
    };
    const fields = Object.fromEntries(order.filter((name) => name !== 'file').map((name) => [name, values[name]]));
    expect(Object.values(fields)).not.toContain(undefined);
    const res = await uploadFile(t.baseUrl, pat, fields, { name: 'a.txt', type: 'text/plain', data: Buffer.from('hi') });
    expect([res.status, res.body.errors]).toEqual([201, undefined]);
  });

  it('documents a file’s download as bytes, a body the reveal may omit, and the Stripe webhook', () => {
    const reveal = doc.paths['/api/v1/links/{token}/reveal'].post;
    expect(reveal.responses['200'].content?.['application/octet-stream']?.schema).toEqual({ type: 'string', format: 'binary' });
    // A server-mode file comes with the type it was uploaded with.
    expect(reveal.responses['200'].content?.['*/*']?.schema).toEqual({ type: 'string', format: 'binary' });
    expect(Object.keys(reveal.responses['200'].headers ?? {})).toContain('Content-Disposition');
    expect(reveal.requestBody?.required).toBe(false);
    expect(Object.keys(reveal.responses)).toEqual(expect.arrayContaining(['401', '403', '404', '410', '429']));

    const stripe = doc.paths['/api/v1/billing/stripe/webhook']?.post;
    expect(stripe).toBeDefined();
    expect(Object.keys(stripe.responses)).toEqual(expect.arrayContaining(['200', '400', '503']));
    expect(stripe.parameters?.map((parameter) => `${parameter.in} ${parameter.name}`)).toContain('header stripe-signature');
  });

  it('says a file is told from the JSON answer by Content-Disposition: a JSON file is revealed as application/json', async () => {
    const { pat } = await newTeamOn('pro', t.baseUrl, t.dataSource);
    const file = await uploadFile(
      t.baseUrl,
      pat,
      { expire_mode: 'views', expire_value: '1' },
      { name: 'a.json', type: 'application/json', data: Buffer.from('{"a":1}') },
    );
    const revealed = await supertest(t.baseUrl)
      .post(`/api/v1/links/${String(file.body.data!.token)}/reveal`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(revealed.headers['content-type']).toMatch(/^application\/json/);
    expect(revealed.headers['content-disposition']).toMatch(/^attachment/);
    expect((revealed.body as Buffer).toString()).toBe('{"a":1}');
    const reveal = doc.paths['/api/v1/links/{token}/reveal'].post.responses['200'] as Response & { description: string };
    expect(reveal.description).toMatch(/by `Content-Disposition`, not by `Content-Type`/);
  });

  it('documents the share page and the health checks the contract names, outside /api/v1', async () => {
    const page = doc.paths['/s/{token}']?.get;
    expect(Object.keys(page?.responses['200']?.content ?? {})).toEqual(['text/html']);
    expect(doc.paths['/healthz']?.get.responses['200']).toBeDefined();
    expect(Object.keys(doc.paths['/readyz']?.get.responses ?? {}).sort()).toEqual(['200', '503']);
    const ajv = new Ajv({ strict: false, validateFormats: false });
    ajv.addSchema({ ...doc, $id: 'openapi' });
    for (const path of ['/healthz', '/readyz']) {
      const validate = ajv.getSchema(`openapi#/paths/${path.replace(/\//g, '~1')}/get/responses/200/content/application~1json/schema`)!;
      const res = await supertest(t.baseUrl).get(path).expect(200);
      expect([path, validate(res.body) ? [] : validate.errors]).toEqual([path, []]);
    }
    await supertest(t.baseUrl)
      .get('/s/anything')
      .expect(200)
      .expect('Content-Type', /^text\/html/);
  });

  it('answers as it documents: real bodies validate against their schemas, a file that is null too', async () => {
    const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    ajv.addSchema({ ...doc, $id: 'openapi' });
    const check = (path: string, method: string, status: number, body: unknown) => {
      const at = ['paths', path, method, 'responses', String(status), 'content', 'application/json', 'schema'];
      const validate = ajv.getSchema(`openapi#/${at.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`)!;
      expect([method, path, status, validate(body) ? [] : validate.errors]).toEqual([method, path, status, []]);
    };
    const { pat } = await newTeamOn('pro', t.baseUrl, t.dataSource);
    const api = supertest(t.baseUrl);
    const text = await api
      .post('/api/v1/secrets')
      .set(bearer(pat))
      .send({ content: 'x', expire_mode: 'views', expire_value: 2 })
      .expect(201);
    check('/api/v1/secrets', 'post', 201, text.body);
    check('/api/v1/secrets', 'get', 200, (await api.get('/api/v1/secrets').set(bearer(pat)).expect(200)).body);
    check('/api/v1/secrets/{id}', 'get', 200, (await api.get(`/api/v1/secrets/${text.body.data.id}`).set(bearer(pat)).expect(200)).body);
    check('/api/v1/links/{token}', 'get', 200, (await api.get(`/api/v1/links/${text.body.data.token}`).expect(200)).body);
    const revealed = await api.post(`/api/v1/links/${text.body.data.token}/reveal`).send({}).expect(200);
    check('/api/v1/links/{token}/reveal', 'post', 200, revealed.body);
    const file = await uploadFile(
      t.baseUrl,
      pat,
      { expire_mode: 'views', expire_value: '1' },
      { name: 'a.txt', type: 'text/plain', data: Buffer.from('hi') },
    );
    check('/api/v1/secrets', 'post', 201, file.body);
    check('/api/v1/links/{token}', 'get', 200, (await api.get(`/api/v1/links/${String(file.body.data!.token)}`).expect(200)).body);
    check('/api/v1/account', 'get', 200, (await api.get('/api/v1/account').set(bearer(pat)).expect(200)).body);
  });

  it('describes the webhook events as callbacks of what takes a webhook URL: real deliveries validate, with the headers documented', async () => {
    const takers = { '/api/v1/team/webhooks': 'url', '/api/v1/secrets': 'webhook_url' };
    const callbackOf = (path: string) => {
      const expression = `{$request.body#/${takers[path as keyof typeof takers]}}`;
      expect([path, Object.keys(doc.paths[path].post.callbacks ?? {})]).toEqual([path, ['webhookEvent']]);
      expect([path, Object.keys(doc.paths[path].post.callbacks!.webhookEvent)]).toEqual([path, [expression]]);
      return { expression, delivery: doc.paths[path].post.callbacks!.webhookEvent[expression].post };
    };
    for (const path of Object.keys(takers)) {
      expect(callbackOf(path).delivery.requestBody?.content['application/json'].schema?.$ref).toBe('#/components/schemas/WebhookEvent');
    }
    const event = doc.components.schemas.WebhookEvent as SchemaRef;
    expect(event.properties!.type.enum).toEqual([...WEBHOOK_EVENT_TYPES]);
    const webhookUrl = doc.components.schemas.CreateSecretDto.properties!.webhook_url as { description: string };
    for (const type of WEBHOOK_EVENT_TYPES) expect(webhookUrl.description).toContain(type);

    const bodies = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    bodies.addSchema({ ...doc, $id: 'openapi' });
    // A header's value is text: `webhook-timestamp`'s integer is checked as a header parser reads it.
    const headers = new Ajv({ strict: false, validateFormats: false, allErrors: true, coerceTypes: true });
    const { pat } = await newTeamOn('pro', t.baseUrl, t.dataSource);
    const receiver = await startWebhookReceiver();
    try {
      await supertest(t.baseUrl)
        .post('/api/v1/team/webhooks')
        .set(bearer(pat))
        .send({ url: `${receiver.url}/team` })
        .expect(201);
      const viewed = await newSecret(t.baseUrl, { label: 'db', webhook_url: `${receiver.url}/secret` }, pat);
      await supertest(t.baseUrl).post(`/api/v1/links/${viewed.token}/reveal`).send({}).expect(200);
      const deleted = await newSecret(t.baseUrl, { webhook_url: `${receiver.url}/secret` }, pat);
      await supertest(t.baseUrl).delete(`/api/v1/secrets/${deleted.id}`).set(bearer(pat)).expect(204);
      // Its time run out (set back, not waited for) and ended by the purge, as in production.
      const expired = await newSecret(t.baseUrl, { expire_mode: 'minutes', expire_value: 5, webhook_url: `${receiver.url}/secret` }, pat);
      await t.dataSource.query(`UPDATE secrets SET expires_at = now() - interval '1 second' WHERE id = $1`, [expired.id]);
      await t.app.get(SecretPurger).purge();
      // viewed and burned, then deleted, then expired, each to the team endpoint and to the secret's URL.
      expect(await eventually(() => receiver.received.length >= 8, 10)).toBe(true);

      for (const hook of receiver.received) {
        const path = hook.path === '/hook/team' ? '/api/v1/team/webhooks' : '/api/v1/secrets';
        const { expression, delivery } = callbackOf(path);
        const at = [
          'paths',
          path,
          'post',
          'callbacks',
          'webhookEvent',
          expression,
          'post',
          'requestBody',
          'content',
          'application/json',
          'schema',
        ];
        const validate = bodies.getSchema(`openapi#/${at.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`)!;
        const body: unknown = JSON.parse(hook.body);
        expect([hook.path, hook.json.type, validate(body) ? [] : validate.errors]).toEqual([hook.path, hook.json.type, []]);
        // Every field sent is documented, and every documented one sent, nested ones included.
        expect([hook.path, hook.json.type, fieldsApart(doc, body, { $ref: '#/components/schemas/WebhookEvent' }, 'event')]).toEqual([
          hook.path,
          hook.json.type,
          [],
        ]);

        const parameters = (delivery.parameters ?? []).map(({ $ref }) => doc.components.parameters![$ref.split('/').pop()!]);
        expect(parameters.map((parameter) => parameter.name).sort()).toEqual(
          ['Oncelink-Signature', 'webhook-id', 'webhook-signature', 'webhook-timestamp'].sort(),
        );
        for (const parameter of parameters) {
          const value = hook.headers[parameter.name.toLowerCase()];
          expect([parameter.name, parameter.in, parameter.required, typeof value]).toEqual([parameter.name, 'header', true, 'string']);
          const check = headers.compile(parameter.schema);
          expect([parameter.name, value, check(value) ? [] : check.errors]).toEqual([parameter.name, value, []]);
        }
      }
      expect(new Set(receiver.received.map((hook) => `${hook.path} ${hook.json.type}`))).toEqual(
        new Set(['/hook/team', '/hook/secret'].flatMap((at) => [...WEBHOOK_EVENT_TYPES].map((type) => `${at} ${type}`))),
      );
    } finally {
      await receiver.close();
    }
  });

  it('describes what every route answers', () => {
    for (const { name, operation } of operations(doc)) {
      const success = Object.entries(operation.responses).filter(([status]) => /^2\d\d$/.test(status));
      expect([name, success.length > 0]).toEqual([name, true]);
      for (const [status, response] of success) {
        if (status === '204') continue;
        const schema = response.content?.['application/json']?.schema;
        expect([name, status, schema !== undefined]).toEqual([name, status, true]);
        for (const ref of refsIn(schema)) {
          expect([name, ref, Object.keys(doc.components.schemas[ref]?.properties ?? {}).length > 0]).toEqual([name, ref, true]);
        }
      }
    }
  });
});
