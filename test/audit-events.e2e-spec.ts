import { Client } from 'pg';
import { SecretPurger } from '../src/secrets/secret-purger';
import { bearer, newTeam, newToken } from './support/factories';
import { newSecret, reveal } from './support/secrets';
import { newMember, setPlan } from './support/teams';
import { startTestApp, TestApp, useTestApp } from './support/test-app';
import { createTestDatabase, databaseMode, TestDatabase, waitingOnLocks } from './support/database';
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

  it('records a secret’s expiry, by the system, when the purge ends it, stamped when it expired', async () => {
    const { pat } = await newTeam(t.baseUrl);
    const secret = await newSecret(t.baseUrl, { expire_mode: 'minutes', expire_value: 5 }, pat);
    // Made two hours ago, and the purge comes by an hour late (no instance was up): the event still says when it expired.
    await t.dataSource.query(`UPDATE audit_events SET created_at = created_at - interval '2 hours' WHERE target_id = $1`, [secret.id]);
    await t.dataSource.query(`UPDATE secrets SET expires_at = now() - interval '1 hour' WHERE id = $1`, [secret.id]);
    await t.app.get(SecretPurger).purge();
    expect((await events(pat)).filter((event) => event.target_id === secret.id).map((event) => [event.type, event.actor])).toEqual([
      ['secret.expired', { type: 'system', id: null, name: null }],
      ['secret.created', expect.objectContaining({ type: 'user' })],
    ]);
    const [stamp] = await t.dataSource.query(
      `SELECT e.created_at = s.expires_at AS at_expiry FROM audit_events e JOIN secrets s ON s.id = e.target_id
        WHERE e.target_id = $1 AND e.type = 'secret.expired'`,
      [secret.id],
    );
    expect(stamp).toEqual({ at_expiry: true });
  });

  // Two transactions at once need two connections, which PGlite does not serve.
  (databaseMode() === 'postgresql' ? it : it.skip)(
    'stamps a delete that waited on a lock after the events committed during the wait',
    async () => {
      const { pat } = await newTeam(t.baseUrl);
      const secret = await newSecret(t.baseUrl, {}, pat);
      const holder = new Client({ connectionString: t.db.url });
      const watcher = new Client({ connectionString: t.db.url });
      await Promise.all([holder.connect(), watcher.connect()]);
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM secrets WHERE id = $1 FOR UPDATE', [secret.id]);
        const deleted = api()
          .delete(`/api/v1/secrets/${secret.id}`)
          .set(bearer(pat))
          .then((res) => res.status);
        expect(await waitingOnLocks(watcher)).toBe(true);
        const during = await newSecret(t.baseUrl, {}, pat);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await holder.query('COMMIT');
        expect(await deleted).toBe(204);
        const trail = await events(pat);
        const at = (type: string, id: string) => trail.find((event) => event.type === type && event.target_id === id)!.created_at;
        expect(at('secret.deleted', secret.id) > at('secret.created', during.id)).toBe(true);
        expect(trail.slice(0, 2).map((event) => event.type)).toEqual(['secret.deleted', 'secret.created']);
      } finally {
        await Promise.all([holder.end(), watcher.end()]);
      }
    },
  );

  it('lists the events from `since` (inclusive) to `until` (exclusive) and of one `actor_id`, of the team alone', async () => {
    const { owner, pat } = await newTeam(t.baseUrl, { name: 'Gil' });
    const other = await newTeam(t.baseUrl);
    // Whole hours of yesterday, within the retention; the other team's event has the same time and actor.
    const hour = (n: number) => new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 86_400_000 + n * 3_600_000);
    const rows: [string, string | null, number][] = [
      [owner.teamId, owner.id, 0],
      [owner.teamId, owner.id, 1],
      [owner.teamId, null, 1],
      [owner.teamId, owner.id, 2],
      [other.owner.teamId, owner.id, 1],
    ];
    for (const [teamId, actorId, n] of rows) {
      await t.dataSource.query(
        `INSERT INTO audit_events (id, team_id, type, actor_type, actor_id, target_id, created_at)
         VALUES (gen_random_uuid(), $1, 'team.updated', $2, $3, $1, $4)`,
        [teamId, actorId ? 'user' : 'link', actorId, hour(n)],
      );
    }
    const listed = async (query: string) => {
      const res = await api().get(`/api/v1/team/audit-events?per_page=100&${query}`).set(bearer(pat)).expect(200);
      expect(res.body.meta.total).toBe(res.body.data.length);
      for (const event of res.body.data) expect(event.target_id).not.toBe(other.owner.teamId);
      return res.body.data.map((event: AuditEventBody) => [event.created_at, event.actor.id]);
    };
    const iso = (n: number) => hour(n).toISOString();
    expect(await listed(`since=${iso(1)}&until=${iso(2)}`)).toEqual(
      expect.arrayContaining([
        [iso(1), owner.id],
        [iso(1), null],
      ]),
    );
    expect(await listed(`since=${iso(1)}&until=${iso(2)}`)).toHaveLength(2);
    expect(await listed(`since=${iso(0)}&until=${iso(1)}`)).toEqual([[iso(0), owner.id]]);
    // A millisecond on either side of an event's time, and the same instant at another offset.
    expect(await listed(`since=${encodeURIComponent(new Date(hour(2).getTime() + 1).toISOString())}&until=${iso(3)}`)).toEqual([]);
    expect(await listed(`since=${iso(0)}&until=${encodeURIComponent(new Date(hour(0).getTime() + 1).toISOString())}`)).toEqual([
      [iso(0), owner.id],
    ]);
    const plusTwo = new Date(hour(2).getTime() + 7_200_000).toISOString().replace('Z', '+02:00');
    expect(await listed(`since=${encodeURIComponent(plusTwo)}&until=${iso(3)}`)).toEqual([[iso(2), owner.id]]);
    expect(await listed(`actor_id=${owner.id}&until=${iso(3)}`)).toEqual([
      [iso(2), owner.id],
      [iso(1), owner.id],
      [iso(0), owner.id],
    ]);
    // A date alone is midnight UTC; since after until is no event, not an error.
    expect(await listed(`until=${iso(3).slice(0, 10)}&since=${iso(0)}`)).toEqual(
      (await listed(`since=${iso(0)}&until=${iso(3)}`)).filter(([at]: [string]) => at < `${iso(3).slice(0, 10)}T`),
    );
    expect(await listed(`since=${iso(3)}&until=${iso(0)}`)).toEqual([]);
    expect((await listed(`actor_id=${owner.id}`)).length).toBeGreaterThan(3);

    for (const [query, field, message] of [
      ['since=yesterday', 'since', 'The since field must be a valid date.'],
      ['since=2026-02-30', 'since', 'The since field must be a valid date.'],
      // Already in the form the filter compares in, but no instant: still the field's 422, never PostgreSQL's error.
      ['since=2026-02-30T00:00:00.000000Z', 'since', 'The since field must be a valid date.'],
      ['until=2026-05-01T24:30:00.000000Z', 'until', 'The until field must be a valid date.'],
      [`until=${iso(0).slice(0, 19)}`, 'until', 'The until field must be a valid date.'],
      [`until=${iso(0)}&until=${iso(1)}`, 'until', 'The until field must be a valid date.'],
      ['since=', 'since', 'The since field must be a valid date.'],
      ['actor_id=not-an-id', 'actor_id', 'The actor id field must be a valid id.'],
    ]) {
      const res = await api().get(`/api/v1/team/audit-events?${query}`).set(bearer(pat)).expect(422);
      expect(res.body).toEqual({ message: 'The given data was invalid.', errors: { [field]: [message] } });
    }
  });

  it('compares `since` and `until` with an event’s time to the microsecond, as it is stored, at any offset', async () => {
    const { owner, pat } = await newTeam(t.baseUrl, { name: 'Mia' });
    await t.dataSource.query(
      `INSERT INTO audit_events (id, team_id, type, actor_type, target_id, created_at)
       VALUES (gen_random_uuid(), $1, 'team.updated', 'link', $1, now() - interval '1 day' - interval '0.3 seconds')`,
      [owner.teamId],
    );
    const [{ at }] = await t.dataSource.query(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS at FROM audit_events WHERE team_id = $1 AND actor_type = 'link'`,
      [owner.teamId],
    );
    // `at` plus `micros` microseconds (and `tail` more digits), written in UTC or at +02:00.
    const shifted = (micros: number, tail = '', offset = 'Z') => {
      const [whole, fraction] = at.split('.');
      const base = Date.parse(`${whole}Z`) * 1000 + Number(fraction) + micros;
      const ms = Math.floor(base / 1000) + (offset === 'Z' ? 0 : 7_200_000);
      const text = new Date(ms).toISOString().slice(0, 23) + String(base % 1000).padStart(3, '0') + tail;
      return encodeURIComponent(offset === 'Z' ? `${text}Z` : `${text}+02:00`);
    };
    const count = async (query: string) => {
      const res = await api().get(`/api/v1/team/audit-events?type=team.updated&${query}`).set(bearer(pat));
      expect(res.status).toBe(200);
      return res.body.data.filter((event: AuditEventBody) => event.actor.type === 'link').length;
    };
    expect(await count(`since=${shifted(0)}`)).toBe(1);
    expect(await count(`since=${shifted(1)}`)).toBe(0);
    expect(await count(`since=${shifted(0, '001')}`)).toBe(0);
    expect(await count(`since=${shifted(0, '', '+02:00')}`)).toBe(1);
    expect(await count(`until=${shifted(0)}`)).toBe(0);
    expect(await count(`until=${shifted(0, '001')}`)).toBe(1);
    expect(await count(`until=${shifted(1, '', '+02:00')}`)).toBe(1);
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

  it('records the revocation of a removed member’s unexpired tokens only: an expired one had already ended', async () => {
    const { owner, pat } = await newTeam(t.baseUrl, { name: 'Hal' });
    const { user, pat: memberPat } = await newMember(t.baseUrl, pat, owner.teamId, 'member');
    const [live] = await tokenIds(memberPat);
    await newToken(t.baseUrl, user, { team_id: owner.teamId, expires_in_days: 1 });
    const [{ id: lapsed }] = await t.dataSource.query(
      `UPDATE access_tokens SET expires_at = now() - interval '1 minute' WHERE user_id = $1 AND team_id = $2 AND id <> $3 RETURNING id`,
      [user.id, owner.teamId, live],
    );
    await api().delete(`/api/v1/team/members/${user.id}`).set(bearer(pat)).expect(204);
    expect(await revokedIds(pat)).toEqual([live]);
    const [{ n }] = await t.dataSource.query('SELECT count(*)::int AS n FROM access_tokens WHERE id = ANY($1::uuid[])', [[live, lapsed]]);
    expect(n).toBe(0);
  });

  it('records the revocation of one token only while it worked: an expired one is deleted, 204, and no event', async () => {
    const { owner, pat } = await newTeam(t.baseUrl, { name: 'Ida' });
    const [current] = await tokenIds(pat);
    await newToken(t.baseUrl, owner, { expires_in_days: 1 });
    await newToken(t.baseUrl, owner, { expires_in_days: 1 });
    const [lapsedOwn, liveOwn] = (await tokenIds(pat)).filter((id) => id !== current);
    const account = (
      await api()
        .post('/api/v1/team/service-accounts')
        .set(bearer(pat))
        .send({ name: 'deployer', abilities: ['secrets:write'] })
        .expect(201)
    ).body.data;
    const [lapsedAccount] = await tokenIds(account.token);
    await t.dataSource.query(`UPDATE access_tokens SET expires_at = now() - interval '1 minute' WHERE id = ANY($1::uuid[])`, [
      [lapsedOwn, lapsedAccount],
    ]);

    await api().delete(`/api/v1/auth/tokens/${lapsedOwn}`).set(bearer(pat)).expect(204);
    await api().delete(`/api/v1/auth/tokens/${liveOwn}`).set(bearer(pat)).expect(204);
    await api().delete(`/api/v1/team/service-accounts/${account.id}/tokens/${lapsedAccount}`).set(bearer(pat)).expect(204);
    expect(await revokedIds(pat)).toEqual([liveOwn]);
    const [{ n }] = await t.dataSource.query('SELECT count(*)::int AS n FROM access_tokens WHERE id = ANY($1::uuid[])', [
      [lapsedOwn, lapsedAccount],
    ]);
    expect(n).toBe(0);
  });

  it('records a reveal refused for its country as the link holder’s secret.access_denied, spending nothing', async () => {
    const { owner, pat } = await newTeam(t.baseUrl);
    await setPlan(t.dataSource, owner.teamId, 'pro');
    const secret = await newSecret(t.baseUrl, { allowed_countries: ['FR'] }, pat);
    expect((await reveal(t.baseUrl, secret.token).expect(403)).body.code).toBe('geo_blocked');
    const denied = (await events(pat)).filter((event) => event.target_id === secret.id && event.type === 'secret.access_denied');
    expect(denied).toEqual([expect.objectContaining({ actor: { type: 'link', id: null, name: null }, ip: '127.0.0.1', country: null })]);
    const shown = await api().get(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).expect(200);
    expect(shown.body.data).toMatchObject({ status: 'active', views_count: 0 });
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
