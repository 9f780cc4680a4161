import { SecretPurger } from '../src/secrets/secret-purger';
import { bearer, newTeam, newToken } from './support/factories';
import { newSecret, reveal } from './support/secrets';
import { newMember } from './support/teams';
import { startTestApp, TestApp, useTestApp } from './support/test-app';
import { createTestDatabase, databaseMode, TestDatabase } from './support/database';
import { eventually } from './support/eventually';
import { AuditRetention } from '../src/audit/audit-retention';

interface AuditEventBody {
  id: string;
  type: string;
  actor: { type: string; id: string | null; name: string | null };
  target_id: string | null;
  ip: string | null;
  country: string | null;
  created_at: string;
}

describe('GET /api/v1/team/audit-events', () => {
  const t = useTestApp();
  const api = t.http;

  async function events(pat: string): Promise<AuditEventBody[]> {
    const res = await api().get('/api/v1/team/audit-events?per_page=100').set(bearer(pat)).expect(200);
    return res.body.data;
  }

  async function tokenIds(pat: string): Promise<string[]> {
    const res = await api().get('/api/v1/auth/tokens?per_page=100').set(bearer(pat)).expect(200);
    return res.body.data.map((token: { id: string }) => token.id).sort();
  }

  async function revokedIds(pat: string): Promise<string[]> {
    return (await events(pat))
      .filter((event) => event.type === 'token.revoked')
      .map((event) => event.target_id!)
      .sort();
  }

  it('names the actor, the target and the client IP of each member change', async () => {
    const { owner, pat } = await newTeam(t.baseUrl, { name: 'Ada' });
    const { user, pat: memberPat } = await newMember(t.baseUrl, pat, owner.teamId, 'member');
    const memberTokenIds = await tokenIds(memberPat);
    await api().patch(`/api/v1/team/members/${user.id}`).set(bearer(pat)).send({ role: 'admin' }).expect(200);
    await api().delete(`/api/v1/team/members/${user.id}`).set(bearer(pat)).expect(204);

    const memberEvents = (await events(pat)).filter((event) => event.type.startsWith('member.'));
    const actor = { type: 'user', id: owner.id, name: 'Ada' };
    expect(memberEvents).toEqual([
      expect.objectContaining({ type: 'member.removed', actor, target_id: user.id, ip: '127.0.0.1', country: null }),
      expect.objectContaining({ type: 'member.role_changed', actor, target_id: user.id, ip: '127.0.0.1' }),
      expect.objectContaining({ type: 'member.added', actor, target_id: user.id, ip: '127.0.0.1' }),
    ]);
    expect(await revokedIds(pat)).toEqual(memberTokenIds);

    const removals = await api().get('/api/v1/team/audit-events?type=member.removed').set(bearer(pat)).expect(200);
    expect(removals.body.data.map((event: AuditEventBody) => [event.type, event.target_id])).toEqual([['member.removed', user.id]]);
    expect(removals.body.meta.total).toBe(1);
    const refused = await api().get('/api/v1/team/audit-events?type=member.vanished').set(bearer(pat)).expect(422);
    expect(Object.keys(refused.body.errors)).toEqual(['type']);
  });

  it('records a secret’s expiry, by the system, when the purge ends it', async () => {
    const { pat } = await newTeam(t.baseUrl);
    const secret = await newSecret(t.baseUrl, { expire_mode: 'minutes', expire_value: 5 }, pat);
    await t.dataSource.query(`UPDATE secrets SET expires_at = now() - interval '1 second' WHERE id = $1`, [secret.id]);
    await t.app.get(SecretPurger).purge();
    expect((await events(pat)).filter((event) => event.target_id === secret.id).map((event) => [event.type, event.actor])).toEqual([
      ['secret.expired', { type: 'system', id: null, name: null }],
      ['secret.created', expect.objectContaining({ type: 'user' })],
    ]);
  });

  it('records a token created for another team in that team’s trail only', async () => {
    const { owner, pat } = await newTeam(t.baseUrl, { name: 'Bea' });
    const { user } = await newMember(t.baseUrl, pat, owner.teamId, 'admin');
    const before = (await events(pat)).length;
    const userPat = await newToken(t.baseUrl, user, { team_id: owner.teamId });
    const tokens = await api().get('/api/v1/auth/tokens').set(bearer(userPat)).expect(200);

    const [latest, ...rest] = await events(userPat);
    expect(rest).toHaveLength(before);
    expect(latest).toMatchObject({ type: 'token.created', actor: { type: 'user', id: user.id }, target_id: tokens.body.data[0].id });
    const personalPat = await newToken(t.baseUrl, user);
    expect((await events(personalPat)).map((event) => event.target_id)).not.toContain(tokens.body.data[0].id);
  });

  it('keeps a deleted service account’s name on what it did', async () => {
    const { pat } = await newTeam(t.baseUrl, { name: 'Cy' });
    const created = await api()
      .post('/api/v1/team/service-accounts')
      .set(bearer(pat))
      .send({ name: 'nightly-backup', abilities: ['secrets:write'] })
      .expect(201);
    const account = created.body.data;
    const secret = await newSecret(t.baseUrl, {}, account.token);
    const accountTokenIds = await tokenIds(account.token);
    expect(accountTokenIds).toHaveLength(1);
    await api().delete(`/api/v1/team/service-accounts/${account.id}`).set(bearer(pat)).expect(204);
    expect(await revokedIds(pat)).toEqual(accountTokenIds);

    const trail = await events(pat);
    expect(trail.find((event) => event.type === 'secret.created')).toMatchObject({
      target_id: secret.id,
      actor: { type: 'service_account', id: account.id, name: 'nightly-backup' },
    });
    expect(trail.filter((event) => event.target_id === account.id).map((event) => event.type)).toEqual([
      'service_account.deleted',
      'service_account.created',
    ]);
  });

  it('records nothing for a change that was refused', async () => {
    const { owner, pat } = await newTeam(t.baseUrl, { name: 'Dee' });
    const { pat: adminPat } = await newMember(t.baseUrl, pat, owner.teamId, 'admin');
    const before = await events(pat);
    await api().patch(`/api/v1/team/members/${owner.id}`).set(bearer(pat)).send({ role: 'member' }).expect(422);
    await api().delete(`/api/v1/team/members/${owner.id}`).set(bearer(pat)).expect(422);
    await api().delete(`/api/v1/team/members/${owner.id}`).set(bearer(adminPat)).expect(403);
    await api().post('/api/v1/team/members').set(bearer(pat)).send({ email: 'nobody@example.test', role: 'member' }).expect(422);
    await api()
      .post('/api/v1/team/service-accounts')
      .set(bearer(pat))
      .send({ name: 'x', abilities: ['root'] })
      .expect(422);
    expect(await events(pat)).toEqual(before);
  });

  it('records each wrong passcode, and the burn the fifth causes, as the guesser’s', async () => {
    const { pat } = await newTeam(t.baseUrl);
    const secret = await newSecret(t.baseUrl, { passcode: 'right-one', expire_value: 3 }, pat);
    for (let guess = 1; guess <= 5; guess++) await reveal(t.baseUrl, secret.token, { passcode: 'wrong-one' }).expect(401);
    await reveal(t.baseUrl, secret.token, { passcode: 'right-one' }).expect(410);

    const link = { type: 'link', id: null, name: null };
    const trail = (await events(pat)).filter((event) => event.target_id === secret.id && event.actor.type === 'link');
    expect(trail.map(({ type, actor, ip }) => ({ type, actor, ip })).sort((a, b) => a.type.localeCompare(b.type))).toEqual([
      { type: 'secret.burned', actor: link, ip: '127.0.0.1' },
      ...Array.from({ length: 5 }, () => ({ type: 'secret.passcode_failed', actor: link, ip: '127.0.0.1' })),
    ]);
    const shown = await api().get(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).expect(200);
    expect(shown.body.data).toMatchObject({ status: 'burned', views_remaining: 0, views_count: 0 });
  });

  it('never shows content, passcodes, link tokens or access tokens', async () => {
    const { pat } = await newTeam(t.baseUrl, { name: 'Eve' });
    const content = 'hunter2-but-longer-and-unique';
    const passcode = 'open-sesame-4711';
    const secret = await newSecret(t.baseUrl, { content, passcode }, pat);
    await api().post(`/api/v1/links/${secret.token}/reveal`).send({ passcode }).expect(200);
    const account = await api()
      .post('/api/v1/team/service-accounts')
      .set(bearer(pat))
      .send({ name: 'ci', abilities: ['secrets:read'] })
      .expect(201);

    const res = await api().get('/api/v1/team/audit-events').set(bearer(pat)).expect(200);
    expect(res.body.data.map((event: AuditEventBody) => event.type)).toEqual(
      expect.arrayContaining(['secret.created', 'secret.viewed', 'service_account.created', 'token.created']),
    );
    const text = JSON.stringify(res.body);
    for (const leak of [content, passcode, secret.token, pat, account.body.data.token]) expect(text).not.toContain(leak);
  });

  it('is readable by admins and paginated like every list', async () => {
    const { owner, pat } = await newTeam(t.baseUrl, { name: 'Flo' });
    const { pat: adminPat } = await newMember(t.baseUrl, pat, owner.teamId, 'admin');
    const all = await api().get('/api/v1/team/audit-events').set(bearer(adminPat)).expect(200);
    const first = await api().get('/api/v1/team/audit-events?per_page=1').set(bearer(adminPat)).expect(200);
    expect(first.body.meta).toEqual({ current_page: 1, per_page: 1, total: all.body.meta.total, last_page: all.body.meta.total });
    expect(first.body.data).toEqual([all.body.data[0]]);
    const bad = await api().get('/api/v1/team/audit-events?per_page=101').set(bearer(adminPat)).expect(422);
    expect(Object.keys(bad.body.errors)).toEqual(['per_page']);
  });
});

describe('audit retention', () => {
  let db: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  const ages = async (teamId: string) =>
    (
      await t.dataSource.query<{ days: number; n: number }[]>(
        `SELECT round(extract(epoch FROM now() - created_at) / 86400)::int AS days, count(*)::int AS n
           FROM audit_events WHERE team_id = $1 AND type = 'secret.viewed' GROUP BY 1 ORDER BY 1`,
        [teamId],
      )
    ).map(({ days, n }) => [days, n]);

  it('removes the events older than AUDIT_RETENTION_DAYS at start-up, and keeps the rest', async () => {
    const { owner } = await newTeam(t.baseUrl);
    await t.dataSource.query(
      `INSERT INTO audit_events (id, team_id, type, actor_type, ip, created_at)
       SELECT gen_random_uuid(), $1, 'secret.viewed', 'link', '203.0.113.7', now() - make_interval(days => age)
         FROM unnest(ARRAY[10, 100]) AS age, generate_series(1, 30)`,
      [owner.teamId],
    );
    // The default keeps 180 days: both ages stay.
    await t.close();
    t = await startTestApp({ db });
    expect(await ages(owner.teamId)).toEqual([
      [10, 30],
      [100, 30],
    ]);
    await t.close();
    t = await startTestApp({ db, env: { AUDIT_RETENTION_DAYS: '30' } });
    expect(await eventually(async () => (await ages(owner.teamId)).length === 1, 10)).toBe(true);
    expect(await ages(owner.teamId)).toEqual([[10, 30]]);
    // 0 keeps them for good.
    await t.close();
    t = await startTestApp({ db, env: { AUDIT_RETENTION_DAYS: '0' } });
    expect(await t.app.get(AuditRetention).prune()).toBe(0);
  });
});

(databaseMode() === 'embedded' ? describe : describe.skip)('audit retention on the embedded database, which runs no autovacuum', () => {
  const t = useTestApp({ env: { AUDIT_RETENTION_DAYS: '30' } });

  it('summarises the time index before it prunes, so its scan reads the old events’ pages, not the whole trail', async () => {
    const { owner } = await newTeam(t.baseUrl);
    // A trail of 100 days, oldest first as it is written: several of the index's page ranges.
    await t.dataSource.query(
      `INSERT INTO audit_events (id, team_id, type, actor_type, ip, created_at)
       SELECT gen_random_uuid(), $1, 'secret.viewed', 'link', '203.0.113.7', now() - make_interval(secs => (20000 - n) * 432)
         FROM generate_series(1, 20000) AS n`,
      [owner.teamId],
    );
    expect(await t.app.get(AuditRetention).prune()).toBeGreaterThan(0);
    const [{ ranges }] = await t.dataSource.query(`SELECT brin_summarize_new_values('audit_events_created_brin') AS ranges`);
    expect(ranges).toBe(0);
  });
});
