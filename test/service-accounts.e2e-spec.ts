import { bearer, newTeam, newToken, newUser, TestUser } from './support/factories';
import { newSecret, reveal } from './support/secrets';
import { newMember, newTeamOn } from './support/teams';
import { useTestApp } from './support/test-app';

describe('service accounts and the audit trail', () => {
  const t = useTestApp();
  const api = t.http;
  let owner: TestUser;
  let ownerPat: string;

  beforeAll(async () => {
    ({ owner, pat: ownerPat } = await newTeam(t.baseUrl, { name: 'Olivia' }));
  });

  it('lives from creation to deletion, acting under its own name, its token revoked with it', async () => {
    const created = await api()
      .post('/api/v1/team/service-accounts')
      .set(bearer(ownerPat))
      .send({ name: 'terraform', abilities: ['secrets:read', 'secrets:write'] })
      .expect(201);
    const account = created.body.data;
    expect(account).toMatchObject({ id: expect.any(String), name: 'terraform', abilities: ['secrets:read', 'secrets:write'] });
    expect(account.token).toMatch(/^olk_live_/);

    const secret = await newSecret(t.baseUrl, { content: 'made by a machine' }, account.token);
    expect(secret.created_by).toBe(account.id);
    const listed = await api().get('/api/v1/team/service-accounts').set(bearer(ownerPat)).expect(200);
    expect(listed.body.data).toEqual([
      { id: account.id, name: 'terraform', abilities: ['secrets:read', 'secrets:write'], created_at: expect.any(String) },
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(account.token);
    const members = await api().get('/api/v1/team/members').set(bearer(ownerPat)).expect(200);
    expect(members.body.data).toContainEqual(
      expect.objectContaining({ user_id: account.id, kind: 'service_account', role: 'member', email: null }),
    );
    await api().post('/api/v1/teams').set(bearer(account.token)).send({ name: 'no' }).expect(403);

    const events = await api().get('/api/v1/team/audit-events').set(bearer(ownerPat)).expect(200);
    const created_event = events.body.data.find(
      (e: { type: string; target_id: string }) => e.type === 'secret.created' && e.target_id === secret.id,
    );
    expect(created_event.actor).toEqual({ type: 'service_account', id: account.id, name: 'terraform' });

    await api().delete(`/api/v1/team/service-accounts/${account.id}`).set(bearer(ownerPat)).expect(204);
    await api().get('/api/v1/secrets').set(bearer(account.token)).expect(401);
    await api().delete(`/api/v1/team/service-accounts/${account.id}`).set(bearer(ownerPat)).expect(404);
    expect((await api().get('/api/v1/team/service-accounts').set(bearer(ownerPat)).expect(200)).body.meta.total).toBe(0);
  });

  it('leaves its secrets with no creator, nor what its Idempotency-Keys kept, once deleted', async () => {
    const account = (
      await api()
        .post('/api/v1/team/service-accounts')
        .set(bearer(ownerPat))
        .send({ name: 'deploy-bot', abilities: ['secrets:read', 'secrets:write'] })
        .expect(201)
    ).body.data;
    const created = await api()
      .post('/api/v1/secrets')
      .set(bearer(account.token))
      .set('Idempotency-Key', 'deploy-42')
      .send({ content: 'made by a machine', expire_mode: 'views', expire_value: 1 })
      .expect(201);
    const id: string = created.body.data.id;
    const kept = `SELECT created_by, idempotency_digest IS NOT NULL AS digest, idempotency_link IS NOT NULL AS link FROM secrets WHERE id = $1`;
    expect(await t.dataSource.query(kept, [id])).toEqual([{ created_by: account.id, digest: true, link: true }]);

    await api().delete(`/api/v1/team/service-accounts/${account.id}`).set(bearer(ownerPat)).expect(204);
    expect(await t.dataSource.query(kept, [id])).toEqual([{ created_by: null, digest: false, link: false }]);
    expect((await api().get(`/api/v1/secrets/${id}`).set(bearer(ownerPat)).expect(200)).body.data.created_by).toBeNull();
  });

  it('stays a member: the role it has is taken as for anyone (no change, no event), any other refused', async () => {
    const account = (
      await api()
        .post('/api/v1/team/service-accounts')
        .set(bearer(ownerPat))
        .send({ name: 'ansible', abilities: ['secrets:read'] })
        .expect(201)
    ).body.data;
    const same = await api().patch(`/api/v1/team/members/${account.id}`).set(bearer(ownerPat)).send({ role: 'member' }).expect(200);
    expect(same.body.data).toMatchObject({ user_id: account.id, role: 'member', kind: 'service_account' });
    for (const role of ['admin', 'owner']) {
      const refused = await api().patch(`/api/v1/team/members/${account.id}`).set(bearer(ownerPat)).send({ role }).expect(422);
      expect(refused.body.errors).toEqual({ role: ['Service accounts are always members.'] });
    }
    const events = (await api().get('/api/v1/team/audit-events').set(bearer(ownerPat)).expect(200)).body.data;
    expect(
      events.filter((e: { type: string; target_id: string }) => e.type === 'member.role_changed' && e.target_id === account.id),
    ).toEqual([]);
    // Its seat goes back for the specs after this one.
    await api().delete(`/api/v1/team/service-accounts/${account.id}`).set(bearer(ownerPat)).expect(204);
  });

  it('gets another token to rotate to, the old one then revoked, keeping its seat and name', async () => {
    const created = await api()
      .post('/api/v1/team/service-accounts')
      .set(bearer(ownerPat))
      .send({ name: 'ci-rotating', abilities: ['secrets:read', 'secrets:write'] })
      .expect(201);
    const account = created.body.data;
    // Made by a token that does not expire, without expires_in_days: neither does its first.
    expect(account.token_expires_at).toBeNull();
    const minted = await api()
      .post(`/api/v1/team/service-accounts/${account.id}/tokens`)
      .set(bearer(ownerPat))
      .send({ abilities: ['secrets:write'], expires_in_days: 30 })
      .expect(201);
    expect(minted.body.data).toMatchObject({ name: 'ci-rotating', abilities: ['secrets:write'], team_id: owner.teamId, mode: 'live' });
    expect(Date.parse(minted.body.data.expires_at) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const tokens: { id: string }[] = (await api().get('/api/v1/auth/tokens').set(bearer(account.token)).expect(200)).body.data;
    expect(tokens).toHaveLength(2);
    const old = tokens.find((token) => token.id !== minted.body.data.id)!;
    await api().delete(`/api/v1/auth/tokens/${old.id}`).set(bearer(account.token)).expect(204);
    await api().get('/api/v1/secrets').set(bearer(account.token)).expect(401);
    const secret = await newSecret(t.baseUrl, { content: 'after the rotation' }, minted.body.data.token);
    expect(secret.created_by).toBe(account.id);
    const events = await api().get('/api/v1/team/audit-events').set(bearer(ownerPat)).expect(200);
    expect(events.body.data).toContainEqual(expect.objectContaining({ type: 'token.created', target_id: minted.body.data.id }));
  });

  it('shows an admin its tokens, and lets one revoke them, and no one else’s', async () => {
    const { owner: teamOwner, pat: teamPat } = await newTeam(t.baseUrl, { name: 'Rhea' });
    const created = await api()
      .post('/api/v1/team/service-accounts')
      .set(bearer(teamPat))
      .send({ name: 'deploy-bot', abilities: ['secrets:read'] })
      .expect(201);
    const account = created.body.data;
    const minted = await api()
      .post(`/api/v1/team/service-accounts/${account.id}/tokens`)
      .set(bearer(teamPat))
      .send({ abilities: ['secrets:read'] })
      .expect(201);
    const listed = await api().get(`/api/v1/team/service-accounts/${account.id}/tokens`).set(bearer(teamPat)).expect(200);
    expect(listed.body.meta).toMatchObject({ total: 2 });
    expect(listed.body.data.map((token: { prefix: string }) => token.prefix).sort()).toEqual(
      [account.token.slice(0, 13), minted.body.data.token.slice(0, 13)].sort(),
    );
    expect(JSON.stringify(listed.body)).not.toContain(account.token);
    const old = listed.body.data.find((token: { id: string }) => token.id !== minted.body.data.id);

    await api().delete(`/api/v1/team/service-accounts/${account.id}/tokens/${old.id}`).set(bearer(teamPat)).expect(204);
    await api().get('/api/v1/secrets').set(bearer(account.token)).expect(401);
    await api().get('/api/v1/secrets').set(bearer(minted.body.data.token)).expect(200);
    await api().delete(`/api/v1/team/service-accounts/${account.id}/tokens/${old.id}`).set(bearer(teamPat)).expect(404);
    const events = await api().get('/api/v1/team/audit-events').set(bearer(teamPat)).expect(200);
    expect(events.body.data).toContainEqual(
      expect.objectContaining({ type: 'token.revoked', target_id: old.id, actor: expect.objectContaining({ id: teamOwner.id }) }),
    );

    const ownerTokenId = (await api().get('/api/v1/auth/tokens').set(bearer(teamPat)).expect(200)).body.data[0].id;
    await api().delete(`/api/v1/team/service-accounts/${account.id}/tokens/${ownerTokenId}`).set(bearer(teamPat)).expect(404);
    await api().delete(`/api/v1/team/service-accounts/${teamOwner.id}/tokens/${ownerTokenId}`).set(bearer(teamPat)).expect(404);
    await api().get(`/api/v1/team/service-accounts/${teamOwner.id}/tokens`).set(bearer(teamPat)).expect(404);
    await api().get('/api/v1/account').set(bearer(teamPat)).expect(200);
    const other = await newTeam(t.baseUrl);
    await api().get(`/api/v1/team/service-accounts/${account.id}/tokens`).set(bearer(other.pat)).expect(404);
    const { pat: memberPat } = await newMember(t.baseUrl, teamPat, teamOwner.teamId, 'member');
    await api().get(`/api/v1/team/service-accounts/${account.id}/tokens`).set(bearer(memberPat)).expect(403);
    const newId = minted.body.data.id;
    await api().delete(`/api/v1/team/service-accounts/${account.id}/tokens/${newId}`).set(bearer(memberPat)).expect(403);
    await api().get('/api/v1/secrets').set(bearer(minted.body.data.token)).expect(200);
  });

  it('mints no token stronger than the caller’s, nor for a person or another team’s account', async () => {
    const created = await api()
      .post('/api/v1/team/service-accounts')
      .set(bearer(ownerPat))
      .send({ name: 'ci-narrow', abilities: ['secrets:read'] })
      .expect(201);
    const readOnly = await newToken(t.baseUrl, owner, { abilities: ['team:write', 'secrets:read'] });
    await api()
      .post(`/api/v1/team/service-accounts/${created.body.data.id}/tokens`)
      .set(bearer(readOnly))
      .send({ abilities: ['secrets:write'] })
      .expect(403);
    const { user } = await newMember(t.baseUrl, ownerPat, owner.teamId, 'member');
    await api()
      .post(`/api/v1/team/service-accounts/${user.id}/tokens`)
      .set(bearer(ownerPat))
      .send({ abilities: ['secrets:read'] })
      .expect(404);
    const other = await newTeam(t.baseUrl);
    await api()
      .post(`/api/v1/team/service-accounts/${created.body.data.id}/tokens`)
      .set(bearer(other.pat))
      .send({ abilities: ['secrets:read'] })
      .expect(404);
  });

  it('can never be given abilities the creating token lacks', async () => {
    const limited = await newToken(t.baseUrl, owner, { abilities: ['team:write', 'secrets:read'] });
    const res = await api()
      .post('/api/v1/team/service-accounts')
      .set(bearer(limited))
      .send({ name: 'greedy', abilities: ['secrets:read', 'secrets:write'] })
      .expect(403);
    expect(res.body.message).toBe('A token cannot grant abilities it does not hold itself.');
    await api()
      .post('/api/v1/team/service-accounts')
      .set(bearer(limited))
      .send({ name: 'modest', abilities: ['secrets:read'] })
      .expect(201);
    const bad = await api()
      .post('/api/v1/team/service-accounts')
      .set(bearer(ownerPat))
      .send({ name: '', abilities: ['root'] })
      .expect(422);
    expect(Object.keys(bad.body.errors).sort()).toEqual(['abilities', 'name']);
  });

  it('answers 404 for another team’s service account', async () => {
    const other = await newUser(t.baseUrl);
    const otherPat = await newToken(t.baseUrl, other);
    const theirs = await api()
      .post('/api/v1/team/service-accounts')
      .set(bearer(otherPat))
      .send({ name: 'theirs', abilities: ['secrets:read'] })
      .expect(201);
    await api().delete(`/api/v1/team/service-accounts/${theirs.body.data.id}`).set(bearer(ownerPat)).expect(404);
    await api().get('/api/v1/secrets').set(bearer(theirs.body.data.token)).expect(200);
  });

  it('records every kind of action, newest first, without secret material or tokens', async () => {
    const team = await newUser(t.baseUrl, { name: 'Audra' });
    const pat = await newToken(t.baseUrl, team);
    const { user: member } = await newMember(t.baseUrl, pat, team.teamId, 'member');
    await api().patch(`/api/v1/team/members/${member.id}`).set(bearer(pat)).send({ role: 'admin' }).expect(200);
    await api().delete(`/api/v1/team/members/${member.id}`).set(bearer(pat)).expect(204);
    const content = 'audit must never see this';
    const secret = await newSecret(t.baseUrl, { content, expire_value: 2 }, pat);
    await reveal(t.baseUrl, secret.token).expect(200);
    await api().put(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).send({ label: 'renamed' }).expect(200);
    await api().delete(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).expect(204);
    const account = await api()
      .post('/api/v1/team/service-accounts')
      .set(bearer(pat))
      .send({ name: 'bot', abilities: ['secrets:read'] })
      .expect(201);
    await api().delete(`/api/v1/team/service-accounts/${account.body.data.id}`).set(bearer(pat)).expect(204);
    const spare = await newToken(t.baseUrl, team);
    const tokens = await api().get('/api/v1/auth/tokens?per_page=100').set(bearer(spare)).expect(200);
    const spareId = tokens.body.data.find((row: { prefix: string }) => row.prefix === spare.slice(0, 13)).id;
    await api().delete(`/api/v1/auth/tokens/${spareId}`).set(bearer(pat)).expect(204);

    const res = await api().get('/api/v1/team/audit-events?per_page=100').set(bearer(pat)).expect(200);
    const types = res.body.data.map((e: { type: string }) => e.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'token.created',
        'token.revoked',
        'member.added',
        'member.role_changed',
        'member.removed',
        'secret.created',
        'secret.viewed',
        'secret.updated',
        'secret.deleted',
        'service_account.created',
        'service_account.deleted',
      ]),
    );
    const times = res.body.data.map((e: { created_at: string }) => e.created_at);
    expect([...times].sort().reverse()).toEqual(times);
    expect(res.body.data[0]).toEqual({
      id: expect.any(String),
      type: 'token.revoked',
      actor: { type: 'user', id: team.id, name: 'Audra' },
      target_id: spareId,
      ip: '127.0.0.1',
      country: null,
      created_at: expect.any(String),
    });
    const text = JSON.stringify(res.body);
    for (const leak of [content, secret.token, pat, spare, account.body.data.token]) expect(text).not.toContain(leak);
    const page = await api().get('/api/v1/team/audit-events?per_page=2&page=2').set(bearer(pat)).expect(200);
    expect(page.body.meta).toMatchObject({ current_page: 2, per_page: 2, total: res.body.meta.total });
    const foreign = await api().get('/api/v1/team/audit-events?per_page=100').set(bearer(ownerPat)).expect(200);
    expect(foreign.body.data.map((e: { target_id: string }) => e.target_id)).not.toContain(secret.id);
  });
  it.each([
    ['an account', 'service_account.created', () => '/api/v1/team/service-accounts'],
    ['a token of one', 'token.created', (accountId: string) => `/api/v1/team/service-accounts/${accountId}/tokens`],
  ])('does not make %s for an admin removed while the request was under way', async (_what, recorded, path) => {
    const { owner: teamOwner, pat } = await newTeamOn('pro', t.baseUrl, t.dataSource);
    const { user: admin, pat: adminPat } = await newMember(t.baseUrl, pat, teamOwner.teamId, 'admin');
    const account = await api()
      .post('/api/v1/team/service-accounts')
      .set(bearer(pat))
      .send({ name: 'kept', abilities: ['secrets:read'] })
      .expect(201);
    type Event = { id: string; type: string; target_id: string; actor: { id: string } };
    const trail = async (): Promise<Event[]> =>
      (await api().get('/api/v1/team/audit-events?per_page=100').set(bearer(pat)).expect(200)).body.data;
    // The admin's own token was recorded as theirs too.
    const earlier = new Set((await trail()).map((e) => e.id));
    const create = (i: number) =>
      api()
        .post(path(account.body.data.id))
        .set(bearer(adminPat))
        .send({ name: `late-${i}`, abilities: ['secrets:read'] });
    // Creates on both sides of the removal, so some pass the guard before it and reach their transaction after it.
    const answers = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => create(i)),
      api().delete(`/api/v1/team/members/${admin.id}`).set(bearer(pat)),
      ...Array.from({ length: 10 }, (_, i) => create(10 + i)),
    ]);
    expect(answers[10].status).toBe(204);
    const creates = answers.filter((_, i) => i !== 10);
    for (const res of creates) expect([201, 401]).toContain(res.status);
    const events = await trail();
    const removed = events.findIndex((e) => e.type === 'member.removed' && e.target_id === admin.id);
    const made = events.filter((e) => e.type === recorded && e.actor.id === admin.id && !earlier.has(e.id));
    expect(made).toHaveLength(creates.filter((res) => res.status === 201).length);
    // Newest first: everything the admin made was made before they were removed. The trail's
    // times are transaction starts, which only the embedded database (one transaction at a time)
    // keeps in commit order: on PostgreSQL a create that began later may still commit first.
    if (t.db.embedded) for (const event of made) expect(events.indexOf(event)).toBeGreaterThan(removed);
  });

  // The races below show on PostgreSQL (TEST_DATABASE_URL): the embedded database's one connection runs transactions one at a time.
  describe('its tokens', () => {
    const createAccount = async (pat: string, name = 'bot') =>
      (
        await api()
          .post('/api/v1/team/service-accounts')
          .set(bearer(pat))
          .send({ name, abilities: ['secrets:read'] })
          .expect(201)
      ).body.data as { id: string; token: string };
    const mint = (pat: string, id: string, body: object = {}) =>
      api()
        .post(`/api/v1/team/service-accounts/${id}/tokens`)
        .set(bearer(pat))
        .send({ abilities: ['secrets:read'], ...body });

    it('never outlive the token that made them, the account’s first included', async () => {
      const { owner: teamOwner, pat } = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const shortLived = await newToken(t.baseUrl, teamOwner, { expires_in_days: 1 });
      const account = await api()
        .post('/api/v1/team/service-accounts')
        .set(bearer(shortLived))
        .send({ name: 'long-lived', abilities: ['secrets:read'], expires_in_days: 3650 })
        .expect(201);
      const callerExpiry = new Date(account.headers['oncelink-token-expiration']).toISOString();
      expect(account.body.data.token_expires_at).toBe(callerExpiry);
      const id = account.body.data.id;
      const forever = await mint(shortLived, id).expect(201);
      const decade = await mint(shortLived, id, { expires_in_days: 3650 }).expect(201);
      expect([forever.body.data.expires_at, decade.body.data.expires_at]).toEqual([callerExpiry, callerExpiry]);
      const tokens = await api().get(`/api/v1/team/service-accounts/${id}/tokens`).set(bearer(pat)).expect(200);
      expect(tokens.body.data.map((token: { expires_at: string }) => token.expires_at)).toEqual([callerExpiry, callerExpiry, callerExpiry]);
      // A token that does not expire still gives what was asked.
      const asked = await mint(pat, id, { expires_in_days: 3650 }).expect(201);
      expect(Date.parse(asked.body.data.expires_at) - Date.now()).toBeGreaterThan(3649 * 86_400_000);
    });

    it('show in the account list only while they have not expired', async () => {
      const { pat } = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const account = await createAccount(pat);
      const minted = await mint(pat, account.id, { abilities: ['team:read'], expires_in_days: 1 }).expect(201);
      const listed = async () =>
        (await api().get('/api/v1/team/service-accounts').set(bearer(pat)).expect(200)).body.data[0].abilities as string[];
      expect(await listed()).toEqual(['secrets:read', 'team:read']);
      await t.dataSource.query(`UPDATE access_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [minted.body.data.id]);
      expect(await listed()).toEqual(['secrets:read']);
    });

    it('are at most 50 active ones, even when the last are asked for at once, the rest refused in the account’s words', async () => {
      const { pat } = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const account = await createAccount(pat);
      // One at a time up to 45, so the burst stays short enough for a loaded machine's connection wait.
      for (let i = 1; i < 45; i++) await mint(pat, account.id).expect(201);
      const answers = await Promise.all(Array.from({ length: 20 }, () => mint(pat, account.id)));
      expect(answers.filter((res) => res.status === 201)).toHaveLength(5);
      const refused = answers.filter((res) => res.status === 422);
      expect(refused).toHaveLength(15);
      // The account's limit, not the admin's, and on a field the body has.
      expect(refused[0].body.errors).toEqual({ abilities: ['This service account already holds 50 active tokens; revoke one first.'] });
      const listed = await api().get(`/api/v1/team/service-accounts/${account.id}/tokens`).set(bearer(pat)).expect(200);
      expect(listed.body.meta.total).toBe(50);
    }, 120_000);

    it('answer a mint racing the account’s deletion 201 or 404, never 500', async () => {
      const { pat } = await newTeamOn('pro', t.baseUrl, t.dataSource);
      for (let round = 0; round < 15; round++) {
        const account = await createAccount(pat, `doomed-${round}`);
        const remove = () => api().delete(`/api/v1/team/service-accounts/${account.id}`).set(bearer(pat));
        const answers = await Promise.all([
          mint(pat, account.id),
          remove(),
          mint(pat, account.id),
          mint(pat, account.id),
          remove(),
          mint(pat, account.id),
        ]);
        const mints = answers.filter((_, i) => i !== 1 && i !== 4);
        for (const res of mints) expect([201, 404]).toContain(res.status);
        for (const res of mints.filter((res) => res.status === 404)) expect(res.body).toEqual({ message: 'Service account not found.' });
        expect([answers[1].status, answers[4].status].sort()).toEqual([204, 404]);
      }
    }, 120_000);
  });
});
