import supertest from 'supertest';
import { ABILITIES, Ability } from '../src/auth/ability';
import { bearer, newTeam, newToken } from './support/factories';
import { newMember } from './support/teams';
import { useTestApp } from './support/test-app';

interface Operation {
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: { 'application/json'?: { schema?: SchemaRef } } }>;
  'x-ability'?: Ability | 'any';
  'x-admin'?: boolean;
}

interface SchemaRef {
  $ref?: string;
  properties?: Record<string, SchemaRef>;
  items?: SchemaRef;
  oneOf?: SchemaRef[];
}

interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
}

/** Every documented operation, with a concrete path (any id is a fresh UUID: no route may look before it checks). */
function operations(doc: Document) {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      name: `${method.toUpperCase()} ${path}`,
      method: method as 'get' | 'post' | 'put' | 'patch' | 'delete',
      url: path.replace(/\{[^}]+\}/g, () => crypto.randomUUID()),
      operation,
    })),
  );
}

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

describe('/api/openapi.json', () => {
  const t = useTestApp();
  let doc: Document;
  beforeAll(async () => {
    doc = (await supertest(t.baseUrl).get('/api/openapi.json').expect(200)).body as Document;
  });

  const send = (op: ReturnType<typeof operations>[number], token?: string) => {
    const request = supertest(t.baseUrl)[op.method](op.url);
    if (token) request.set(bearer(token));
    return ['post', 'put', 'patch'].includes(op.method) ? request.send({}) : request;
  };

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

  it('answers 401 without a token on every route that needs one', async () => {
    const guarded = operations(doc).filter(({ operation }) => needsToken(operation) && !allowsAnonymous(operation));
    for (const op of guarded) {
      const res = await send(op);
      expect([op.name, res.status]).toEqual([op.name, 401]);
    }
  });

  it('answers 403 to a token without the route’s ability, and to a member on admin routes', async () => {
    const { owner, pat: ownerPat } = await newTeam(t.baseUrl);
    const { pat: memberPat } = await newMember(t.baseUrl, ownerPat, owner.teamId, 'member', [...ABILITIES]);
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
      if (op.operation['x-admin']) {
        const res = await send(op, memberPat);
        expect([op.name, 'member', res.status]).toEqual([op.name, 'member', 403]);
      }
    }
    expect(checked.length).toBeGreaterThan(15);
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
