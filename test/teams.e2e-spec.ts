import { bearer, newTeam, newToken, TestUser } from './support/factories';
import { newMember } from './support/teams';
import { useTestApp } from './support/test-app';

describe('teams', () => {
  const t = useTestApp();
  const api = t.http;
  let owner: TestUser;
  let ownerPat: string;
  let memberPat: string;

  beforeAll(async () => {
    ({ owner, pat: ownerPat } = await newTeam(t.baseUrl, { name: 'Olivia' }));
    memberPat = (await newMember(t.baseUrl, ownerPat, owner.teamId, 'member')).pat;
  });

  it.each([
    ['get', '/api/v1/teams'],
    ['post', '/api/v1/teams'],
    ['get', '/api/v1/team'],
    ['patch', '/api/v1/team'],
    ['delete', '/api/v1/team'],
    ['get', '/api/v1/team/members'],
    ['post', '/api/v1/team/members'],
    ['patch', '/api/v1/team/members/00000000-0000-4000-8000-000000000000'],
    ['delete', '/api/v1/team/members/00000000-0000-4000-8000-000000000000'],
    ['post', '/api/v1/team/service-accounts'],
    ['get', '/api/v1/team/service-accounts'],
    ['delete', '/api/v1/team/service-accounts/00000000-0000-4000-8000-000000000000'],
    ['get', '/api/v1/team/webhook-secret'],
    ['post', '/api/v1/team/webhook-secret/rotate'],
    ['get', '/api/v1/team/audit-events'],
  ] as const)('%s %s answers 401 without a token', async (method, path) => {
    await api()[method](path).expect(401);
  });

  it.each([
    ['post', '/api/v1/teams', 'team:write', { name: 'x' }],
    ['get', '/api/v1/team', 'team:read', undefined],
    ['patch', '/api/v1/team', 'team:write', { name: 'x' }],
    ['delete', '/api/v1/team', 'team:write', undefined],
    ['get', '/api/v1/team/members', 'team:read', undefined],
    ['post', '/api/v1/team/members', 'team:write', { email: 'x@example.test', role: 'member' }],
    ['patch', '/api/v1/team/members/00000000-0000-4000-8000-000000000000', 'team:write', { role: 'member' }],
    ['delete', '/api/v1/team/members/00000000-0000-4000-8000-000000000000', 'team:write', undefined],
    ['post', '/api/v1/team/service-accounts', 'team:write', { name: 'ci', abilities: ['secrets:read'] }],
    ['get', '/api/v1/team/service-accounts', 'team:read', undefined],
    ['delete', '/api/v1/team/service-accounts/00000000-0000-4000-8000-000000000000', 'team:write', undefined],
    ['get', '/api/v1/team/webhook-secret', 'team:write', undefined],
    ['post', '/api/v1/team/webhook-secret/rotate', 'team:write', undefined],
    ['get', '/api/v1/team/audit-events', 'team:read', undefined],
  ] as const)('%s %s answers 403 to a token without %s', async (method, path, _ability, body) => {
    const weak = await newToken(t.baseUrl, owner, { abilities: ['secrets:read', 'secrets:write'] });
    const res = await api()[method](path).set(bearer(weak)).send(body).expect(403);
    expect(res.body.message).toMatch(/ability/);
  });

  it.each([
    ['patch', '/api/v1/team', { name: 'x' }],
    ['delete', '/api/v1/team', undefined],
    ['post', '/api/v1/team/members', { email: 'x@example.test', role: 'member' }],
    ['patch', '/api/v1/team/members/00000000-0000-4000-8000-000000000000', { role: 'member' }],
    ['delete', '/api/v1/team/members/00000000-0000-4000-8000-000000000000', undefined],
    ['post', '/api/v1/team/service-accounts', { name: 'ci', abilities: ['secrets:read'] }],
    ['get', '/api/v1/team/service-accounts', undefined],
    ['delete', '/api/v1/team/service-accounts/00000000-0000-4000-8000-000000000000', undefined],
    ['get', '/api/v1/team/webhook-secret', undefined],
    ['post', '/api/v1/team/webhook-secret/rotate', undefined],
    ['get', '/api/v1/team/audit-events', undefined],
  ] as const)('%s %s answers 403 to a member where an admin is needed', async (method, path, body) => {
    const res = await api()[method](path).set(bearer(memberPat)).send(body).expect(403);
    expect(res.body.message).toBe('Only owners and admins of the team may do this.');
  });

  describe('GET /api/v1/teams, POST /api/v1/teams, GET /api/v1/team', () => {
    it('creates a team with the caller as owner and lists the caller’s teams', async () => {
      const created = await api().post('/api/v1/teams').set(bearer(ownerPat)).send({ name: 'Platform' }).expect(201);
      expect(created.body.data).toMatchObject({ name: 'Platform', plan: 'free', role: 'owner', personal: false });
      const list = await api().get('/api/v1/teams').set(bearer(ownerPat)).expect(200);
      expect(list.body.meta.total).toBe(2);
      expect(list.body.data.map((team: { name: string }) => team.name)).toEqual(["Olivia's team", 'Platform']);

      const teamPat = await newToken(t.baseUrl, owner, { team_id: created.body.data.id });
      const team = await api().get('/api/v1/team').set(bearer(teamPat)).expect(200);
      expect(team.body.data).toMatchObject({ id: created.body.data.id, name: 'Platform', role: 'owner', members: 1 });
    });

    it('starts the new team’s trail with its team.created, by the creator, from their address; the caller’s team records nothing', async () => {
      const before = await api().get('/api/v1/team/audit-events').set(bearer(ownerPat)).expect(200);
      const created = await api().post('/api/v1/teams').set(bearer(ownerPat)).send({ name: 'Founded' }).expect(201);
      const teamPat = await newToken(t.baseUrl, owner, { team_id: created.body.data.id });
      const founded = await api().get('/api/v1/team/audit-events?type=team.created').set(bearer(teamPat)).expect(200);
      expect(founded.body.data).toEqual([
        expect.objectContaining({
          type: 'team.created',
          actor: { type: 'user', id: owner.id, name: 'Olivia' },
          target_id: created.body.data.id,
          ip: '127.0.0.1',
          country: null,
        }),
      ]);
      const after = await api().get('/api/v1/team/audit-events').set(bearer(ownerPat)).expect(200);
      expect(after.body.meta.total).toBe(before.body.meta.total);
    });

    it('validates the name', async () => {
      const res = await api().post('/api/v1/teams').set(bearer(ownerPat)).send({ name: '' }).expect(422);
      expect(Object.keys(res.body.errors)).toEqual(['name']);
    });

    it('lets a user make 20 teams, their personal one included, however many are asked for at once', async () => {
      const { owner: maker, pat } = await newTeam(t.baseUrl);
      const answers = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          api()
            .post('/api/v1/teams')
            .set(bearer(pat))
            .send({ name: `Team ${i}` }),
        ),
      );
      expect(answers.map((res) => res.status).sort()).toEqual([...Array(19).fill(201), ...Array(6).fill(422)]);
      expect(answers.find((res) => res.status === 422)!.body).toEqual({
        message: 'The given data was invalid.',
        errors: { name: ['A user may create at most 20 teams.'] },
        code: 'team_limit',
      });
      const [count] = await t.dataSource.query('SELECT count(*)::int AS n FROM teams WHERE created_by = $1', [maker.id]);
      expect(count.n).toBe(20);
      // Being added to another team is not making one.
      const { pat: otherPat } = await newTeam(t.baseUrl);
      await api().post('/api/v1/team/members').set(bearer(otherPat)).send({ email: maker.email, role: 'member' }).expect(201);
    });
  });

  describe('PATCH /api/v1/team', () => {
    it('renames the team for an admin, answers it as GET /team does, and records team.updated', async () => {
      const created = await api().post('/api/v1/teams').set(bearer(ownerPat)).send({ name: 'Before' }).expect(201);
      const teamPat = await newToken(t.baseUrl, owner, { team_id: created.body.data.id });
      const admin = await newMember(t.baseUrl, teamPat, created.body.data.id, 'admin');
      const renamed = await api().patch('/api/v1/team').set(bearer(admin.pat)).send({ name: 'After' }).expect(200);
      const shown = await api().get('/api/v1/team').set(bearer(admin.pat)).expect(200);
      expect(renamed.body.data).toEqual(shown.body.data);
      expect(shown.body.data).toMatchObject({ id: created.body.data.id, name: 'After', role: 'admin', members: 2 });
      const events = await api().get('/api/v1/team/audit-events?type=team.updated').set(bearer(teamPat)).expect(200);
      expect(events.body.data).toEqual([
        expect.objectContaining({
          type: 'team.updated',
          target_id: created.body.data.id,
          actor: expect.objectContaining({ id: admin.user.id }),
        }),
      ]);
    });

    it('renames a personal team too, and records nothing when the name is the same', async () => {
      const { owner: someone, pat } = await newTeam(t.baseUrl);
      await api().patch('/api/v1/team').set(bearer(pat)).send({ name: 'Mine' }).expect(200);
      const again = await api().patch('/api/v1/team').set(bearer(pat)).send({ name: 'Mine' }).expect(200);
      expect(again.body.data).toMatchObject({ id: someone.teamId, name: 'Mine', personal: true });
      const events = await api().get('/api/v1/team/audit-events?type=team.updated').set(bearer(pat)).expect(200);
      expect(events.body.meta.total).toBe(1);
    });

    it.each([
      ['empty', { name: '' }],
      ['white space', { name: '   ' }],
      ['too long', { name: 'x'.repeat(101) }],
      ['missing', {}],
    ])('validates the name as POST /teams does (%s)', async (_case, body) => {
      const res = await api().patch('/api/v1/team').set(bearer(ownerPat)).send(body).expect(422);
      expect(Object.keys(res.body.errors)).toEqual(['name']);
      const created = await api().post('/api/v1/teams').set(bearer(ownerPat)).send(body).expect(422);
      expect(created.body.errors).toEqual(res.body.errors);
    });
  });
});
