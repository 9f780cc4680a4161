import { Client } from 'pg';
import supertest from 'supertest';
import { databaseMode, dumpDatabase, waitingOnLocks } from './support/database';
import { bearer, newTeam, newToken, newUser, TestUser } from './support/factories';
import { uploadFile } from './support/multipart';
import { newSecret } from './support/secrets';
import { newMember, setPlan } from './support/teams';
import { useTestApp } from './support/test-app';

const login = (baseUrl: string, email: string, password: string) =>
  supertest(baseUrl)
    .post('/api/v1/auth/token')
    .send({ email, password, device_name: 'x', abilities: ['secrets:read'] });

describe('account', () => {
  const t = useTestApp();
  const api = t.http;

  const newServiceAccount = async (pat: string): Promise<string> => {
    const res = await api()
      .post('/api/v1/team/service-accounts')
      .set(bearer(pat))
      .send({ name: 'ci', abilities: ['secrets:read'] })
      .expect(201);
    return res.body.data.token;
  };

  describe('PATCH /api/v1/account', () => {
    let user: TestUser;
    let pat: string;
    beforeEach(async () => {
      ({ owner: user, pat } = await newTeam(t.baseUrl));
    });

    it('answers 401 without a token', async () => {
      await api().patch('/api/v1/account').send({ name: 'New' }).expect(401);
    });

    it('renames the user with a token of any ability, answering GET /account’s user, recorded as account.updated', async () => {
      const weak = await newToken(t.baseUrl, user, { abilities: ['secrets:read'] });
      const res = await api().patch('/api/v1/account').set(bearer(weak)).send({ name: 'Ada Lovelace' }).expect(200);
      const shown = await api().get('/api/v1/account').set(bearer(pat)).expect(200);
      expect(res.body.data).toEqual(shown.body.data.user);
      expect(res.body.data).toMatchObject({ id: user.id, name: 'Ada Lovelace', email: user.email, kind: 'user' });

      const events = await api().get('/api/v1/team/audit-events?type=account.updated').set(bearer(pat)).expect(200);
      expect(events.body.data).toEqual([
        expect.objectContaining({ type: 'account.updated', target_id: user.id, actor: { type: 'user', id: user.id, name: 'Test User' } }),
      ]);
    });

    it('records nothing for the name it already has, and a new password always, with that same name', async () => {
      const count = async () =>
        (await api().get('/api/v1/team/audit-events?type=account.updated').set(bearer(pat)).expect(200)).body.meta.total;
      const res = await api().patch('/api/v1/account').set(bearer(pat)).send({ name: 'Test User' }).expect(200);
      expect(res.body.data).toMatchObject({ id: user.id, name: 'Test User' });
      expect(await count()).toBe(0);
      const password = 'a brand new password';
      await api()
        .patch('/api/v1/account')
        .set(bearer(pat))
        .send({ name: 'Test User', password, current_password: user.password })
        .expect(200);
      expect(await count()).toBe(1);
      await login(t.baseUrl, user.email, password).expect(201);
    });

    it.each([
      ['a blank name', { name: '   ' }, 'name'],
      ['a name over 100 characters', { name: 'x'.repeat(101) }, 'name'],
      ['a new password under 12 characters', { password: 'short', current_password: 'whatever' }, 'password'],
      ['a new password without the current one', { password: 'a long enough password' }, 'current_password'],
      ['a current password without a new one, which it would not check', { name: 'Other', current_password: 'wrong' }, 'current_password'],
      ['an email, which is not changed here', { email: 'new@example.test' }, 'email'],
    ])('answers 422 for %s, changing nothing', async (_case, body, field) => {
      const res = await api().patch('/api/v1/account').set(bearer(pat)).send(body).expect(422);
      expect(Object.keys(res.body.errors)).toEqual([field]);
      expect((await api().get('/api/v1/account').set(bearer(pat)).expect(200)).body.data.user.name).toBe('Test User');
    });

    it('changes the password when the current one confirms it: the old one no longer signs in, the new one does', async () => {
      const password = 'a brand new password';
      await api().patch('/api/v1/account').set(bearer(pat)).send({ password, current_password: user.password }).expect(200);
      await login(t.baseUrl, user.email, user.password).expect(401);
      await login(t.baseUrl, user.email, password).expect(201);

      const [event] = await t.dataSource.query(
        `SELECT e::text AS row FROM audit_events e WHERE type = 'account.updated' AND team_id = $1`,
        [user.teamId],
      );
      expect(event.row).not.toContain(password);
      expect(event.row).not.toContain(user.password);
    });

    it('answers 401 password_incorrect for a wrong current password, without the token’s challenge, and keeps the password', async () => {
      const res = await api()
        .patch('/api/v1/account')
        .set(bearer(pat))
        .send({ name: 'Changed', password: 'a brand new password', current_password: 'not the password' })
        .expect(401);
      expect(res.body).toEqual({
        message: 'The password is incorrect.',
        code: 'password_incorrect',
        errors: { current_password: ['The password is incorrect.'] },
      });
      expect(res.headers['www-authenticate']).toBeUndefined();
      const refused = await api()
        .patch('/api/v1/account')
        .set(bearer(`${pat}x`))
        .send({ name: 'Changed' })
        .expect(401);
      expect([refused.headers['www-authenticate'], refused.body.code]).toEqual([
        'Bearer realm="oncelink", error="invalid_token"',
        undefined,
      ]);
      await login(t.baseUrl, user.email, user.password).expect(201);
      expect((await api().get('/api/v1/account').set(bearer(pat)).expect(200)).body.data.user.name).toBe('Test User');
    });

    it('takes the longest fields it allows written all in JSON escapes (about 26 KiB), not a 413 for the body', async () => {
      // As Python's json.dumps writes text by default: 12 bytes for each astral character.
      const escaped = (value: object) =>
        JSON.stringify(value).replace(/[\u0080-\uffff]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
      const body = escaped({ name: '😀'.repeat(100), password: '😀'.repeat(1024), current_password: '😃'.repeat(1024) });
      expect(Buffer.byteLength(body)).toBeGreaterThan(25 * 1024);
      const res = await api().patch('/api/v1/account').set(bearer(pat)).set('content-type', 'application/json').send(body).expect(401);
      expect(res.body.errors).toEqual({ current_password: ['The password is incorrect.'] });
    });

    it('answers 422 to a service account’s password (it has none) and lets it change its name', async () => {
      const machine = await newServiceAccount(pat);
      const res = await api()
        .patch('/api/v1/account')
        .set(bearer(machine))
        .send({ password: 'a brand new password', current_password: 'anything at all' })
        .expect(422);
      expect(Object.keys(res.body.errors)).toEqual(['password']);
      const renamed = await api().patch('/api/v1/account').set(bearer(machine)).send({ name: 'deployer' }).expect(200);
      expect(renamed.body.data).toMatchObject({ kind: 'service_account', name: 'deployer', email: null });
    });
  });

  describe('DELETE /api/v1/account', () => {
    it('answers 401 without a token', async () => {
      await api().delete('/api/v1/account').send({ password: 'whatever' }).expect(401);
    });

    it('answers 401 password_incorrect for a wrong password, without the token’s challenge, and 422 for none, deleting nothing', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const res = await api().delete('/api/v1/account').set(bearer(pat)).send({ password: 'not the password' }).expect(401);
      expect(res.body).toEqual({
        message: 'The password is incorrect.',
        code: 'password_incorrect',
        errors: { password: ['The password is incorrect.'] },
      });
      expect(res.headers['www-authenticate']).toBeUndefined();
      await api().delete('/api/v1/account').set(bearer(pat)).send({}).expect(422);
      await api().get('/api/v1/account').set(bearer(pat)).expect(200);
      await login(t.baseUrl, owner.email, owner.password).expect(201);
    });

    it('answers 403 to a service account: an admin deletes those', async () => {
      const { pat } = await newTeam(t.baseUrl);
      const machine = await newServiceAccount(pat);
      await api().delete('/api/v1/account').set(bearer(machine)).send({ password: 'anything at all' }).expect(403);
      await api().get('/api/v1/account').set(bearer(machine)).expect(200);
    });

    it('answers 422 naming the teams the user is the last owner of, until another member owns them', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const created = await api().post('/api/v1/teams').set(bearer(pat)).send({ name: 'Acme' }).expect(201);
      const acmeId: string = created.body.data.id;
      const acmePat = await newToken(t.baseUrl, owner, { team_id: acmeId });
      const { user: colleague } = await newMember(t.baseUrl, acmePat, acmeId, 'admin');

      const refused = await api().delete('/api/v1/account').set(bearer(pat)).send({ password: owner.password }).expect(422);
      // The contract's error shape, nothing beside it: the teams are named in errors.account.
      expect(refused.body).toEqual({
        message: 'You are the last owner of other teams: make another member an owner of each first.',
        errors: { account: [`You are the last owner of team ${acmeId}.`] },
        code: 'last_owner',
      });
      await api().get('/api/v1/account').set(bearer(pat)).expect(200);

      await api().patch(`/api/v1/team/members/${colleague.id}`).set(bearer(acmePat)).send({ role: 'owner' }).expect(200);
      await api().delete('/api/v1/account').set(bearer(pat)).send({ password: owner.password }).expect(204);
    });

    it('answers 422 subscription_active while Stripe still bills the personal team, as DELETE /team does', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      await t.dataSource.query(
        `INSERT INTO team_subscriptions (subscription_id, team_id, plan, status, event_at, event_rank) VALUES ($1, $2, 'pro', 'active', now(), 0)`,
        [`sub_${owner.teamId}`, owner.teamId],
      );
      const refused = await api().delete('/api/v1/account').set(bearer(pat)).send({ password: owner.password }).expect(422);
      expect(refused.body).toMatchObject({ code: 'subscription_active', errors: { subscription: [expect.any(String)] } });
      await api().get('/api/v1/account').set(bearer(pat)).expect(200);
      await t.dataSource.query(`UPDATE team_subscriptions SET status = 'canceled' WHERE team_id = $1`, [owner.teamId]);
      await api().delete('/api/v1/account').set(bearer(pat)).send({ password: owner.password }).expect(204);
    });

    it('erases the user and their personal team, keeps what they made in other teams, and frees the email', async () => {
      const { owner, pat } = await newTeam(t.baseUrl, { name: 'Grace Hopper' });
      const other = await newTeam(t.baseUrl);
      // The owner joins another team and makes a secret there.
      await api().post('/api/v1/team/members').set(bearer(other.pat)).send({ email: owner.email, role: 'member' }).expect(201);
      const patInOther = await newToken(t.baseUrl, owner, { team_id: other.owner.teamId });
      const kept = await newSecret(t.baseUrl, { content: 'kept by the other team' }, patInOther);
      // And in their personal team, a text secret and a file secret (files take a paid plan).
      await setPlan(t.dataSource, owner.teamId, 'pro');
      const personal = await newSecret(t.baseUrl, { content: 'personal material 7f3a' }, pat);
      const file = await uploadFile(
        t.baseUrl,
        pat,
        { expire_mode: 'views', expire_value: '1' },
        { name: 'notes.txt', type: 'text/plain', data: Buffer.from('personal file bytes 9c1e') },
      );
      expect(file.status).toBe(201);

      await api().delete('/api/v1/account').set(bearer(pat)).send({ password: owner.password }).expect(204);

      // Every token of the user stops working, in every team.
      await api().get('/api/v1/account').set(bearer(pat)).expect(401);
      await api().get('/api/v1/account').set(bearer(patInOther)).expect(401);
      await login(t.baseUrl, owner.email, owner.password).expect(401);

      const members = await api().get('/api/v1/team/members').set(bearer(other.pat)).expect(200);
      expect(members.body.data.map((m: { user_id: string }) => m.user_id)).not.toContain(owner.id);
      const secret = await api().get(`/api/v1/secrets/${kept.id}`).set(bearer(other.pat)).expect(200);
      expect(secret.body.data).toMatchObject({ id: kept.id, created_by: null });
      const events = await api().get('/api/v1/team/audit-events?type=secret.created').set(bearer(other.pat)).expect(200);
      expect(events.body.data).toEqual([
        expect.objectContaining({ target_id: kept.id, actor: expect.objectContaining({ name: 'Grace Hopper' }) }),
      ]);

      const dump = await dumpDatabase(t.db);
      expect(dump).not.toContain(owner.email);
      expect(dump).not.toContain(owner.teamId);
      expect(dump).not.toContain(personal.id);
      expect(dump).not.toContain(file.body.data!.id as string);
      expect(dump).toContain(kept.id);
      const [parts] = await t.dataSource.query(`SELECT count(*)::int AS n FROM secret_file_parts WHERE secret_id = $1`, [
        file.body.data!.id,
      ]);
      expect(parts.n).toBe(0);

      const again = await newUser(t.baseUrl, { email: owner.email });
      await login(t.baseUrl, owner.email, again.password).expect(201);
    });

    it('forgets what the user’s Idempotency-Keys kept on secrets they made in other teams, as no one can replay them now', async () => {
      const bob = await newTeam(t.baseUrl);
      const alice = await newTeam(t.baseUrl);
      await api().post('/api/v1/team/members').set(bearer(alice.pat)).send({ email: bob.owner.email, role: 'member' }).expect(201);
      const patInAlices = await newToken(t.baseUrl, bob.owner, { team_id: alice.owner.teamId });
      const created = await api()
        .post('/api/v1/secrets')
        .set(bearer(patInAlices))
        .set('Idempotency-Key', 'BOBIDEM')
        .send({ content: 'made under a key', expire_mode: 'views', expire_value: 1 })
        .expect(201);
      const keptOf = async () =>
        (
          await t.dataSource.query('SELECT created_by, idempotency_key, idempotency_digest, idempotency_link FROM secrets WHERE id = $1', [
            created.body.data.id,
          ])
        )[0];
      expect(await keptOf()).toMatchObject({ created_by: bob.owner.id, idempotency_key: 'BOBIDEM' });

      await api().delete('/api/v1/account').set(bearer(bob.pat)).send({ password: bob.owner.password }).expect(204);

      expect(await keptOf()).toEqual({ created_by: null, idempotency_key: null, idempotency_digest: null, idempotency_link: null });
    });

    it('records in each other team the user leaving, and their tokens there revoked, as leaving would', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const { user: grace, pat: gracePat } = await newMember(t.baseUrl, pat, owner.teamId, 'member');
      const graceToken = await api().get('/api/v1/auth/tokens').set(bearer(gracePat)).expect(200);
      const graceTokenIds: string[] = graceToken.body.data.map((token: { id: string }) => token.id);
      expect(graceTokenIds).toHaveLength(1);
      const gracePersonalPat = await newToken(t.baseUrl, grace);

      await api().delete('/api/v1/account').set(bearer(gracePersonalPat)).send({ password: grace.password }).expect(204);

      const res = await api().get('/api/v1/team/audit-events?per_page=100').set(bearer(pat)).expect(200);
      // One transaction writes them, at one time: sorted by type, not by the trail's order.
      const left = res.body.data
        .filter((event: { type: string }) => ['member.removed', 'token.revoked'].includes(event.type))
        .sort((a: { type: string }, b: { type: string }) => a.type.localeCompare(b.type));
      const actor = { type: 'user', id: grace.id, name: grace.name };
      expect(left).toEqual([
        expect.objectContaining({ type: 'member.removed', actor, target_id: grace.id, ip: '127.0.0.1' }),
        expect.objectContaining({ type: 'token.revoked', actor, target_id: graceTokenIds[0], ip: '127.0.0.1' }),
      ]);
    });

    // Two deletions need two connections, which PGlite does not serve.
    (databaseMode() === 'postgresql' ? it : it.skip)('lets one of two deletions at once through, answering the other 401', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const second = await newToken(t.baseUrl, owner);
      const holder = new Client({ connectionString: t.db.url });
      const watcher = new Client({ connectionString: t.db.url });
      await Promise.all([holder.connect(), watcher.connect()]);
      try {
        // Both deletions queue behind this lock on the user's membership, then go one after the other.
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM team_members WHERE user_id = $1 FOR UPDATE', [owner.id]);
        const deletions = [pat, second].map((token) =>
          api()
            .delete('/api/v1/account')
            .set(bearer(token))
            .send({ password: owner.password })
            .then((res) => res.status),
        );
        await waitingOnLocks(watcher, 2);
        await holder.query('COMMIT');
        expect((await Promise.all(deletions)).sort()).toEqual([204, 401]);
      } finally {
        await Promise.all([holder.end(), watcher.end()]);
      }
      const [left] = await t.dataSource.query(`SELECT count(*)::int AS n FROM users WHERE id = $1`, [owner.id]);
      expect(left.n).toBe(0);
    });

    (databaseMode() === 'postgresql' ? it : it.skip)(
      'answers an admin adding a user whose deletion commits meanwhile 422 on email, not 500',
      async () => {
        const { pat } = await newTeam(t.baseUrl);
        const leaving = await newUser(t.baseUrl);
        const holder = new Client({ connectionString: t.db.url });
        const watcher = new Client({ connectionString: t.db.url });
        await Promise.all([holder.connect(), watcher.connect()]);
        try {
          // The account's deletion, uncommitted: the add still finds the user, and its membership insert waits on the row.
          await holder.query('BEGIN');
          await holder.query('DELETE FROM users WHERE id = $1', [leaving.id]);
          const added = api().post('/api/v1/team/members').set(bearer(pat)).send({ email: leaving.email, role: 'member' });
          const answer = added.then((res) => res);
          await waitingOnLocks(watcher);
          await holder.query('COMMIT');
          const res = await answer;
          expect({ status: res.status, body: res.body }).toEqual({
            status: 422,
            body: { message: expect.any(String), errors: { email: ['No registered user has this email.'] } },
          });
        } finally {
          await Promise.all([holder.end(), watcher.end()]);
        }
      },
    );

    describe('racing the changes that make a team its user’s', () => {
      // Two transactions at once need two connections, which PGlite does not serve.
      const pgIt = databaseMode() === 'postgresql' ? it : it.skip;
      let holder: Client;
      let watcher: Client;
      beforeEach(async () => {
        holder = new Client({ connectionString: t.db.url });
        watcher = new Client({ connectionString: t.db.url });
        await Promise.all([holder.connect(), watcher.connect()]);
      });
      afterEach(async () => {
        await Promise.all([holder.end(), watcher.end()]);
      });
      // Of the teams `userId` made (another test here deletes a user's row alone, leaving theirs).
      const teamsWithoutMembers = async (userId: string) =>
        (
          await t.dataSource.query(
            `SELECT count(*)::int AS n FROM teams t
              WHERE t.created_by = $1 AND NOT EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = t.id)`,
            [userId],
          )
        )[0].n;

      pgIt(
        'counts a team its user created while the deletion waited for the user: 422 last_owner, never a team without members',
        async () => {
          const { owner, pat } = await newTeam(t.baseUrl);
          // Holds the deletion between locking the memberships and locking the user; a create passes it (KEY SHARE).
          await holder.query('BEGIN');
          await holder.query('SELECT 1 FROM users WHERE id = $1 FOR KEY SHARE', [owner.id]);
          const deletion = api()
            .delete('/api/v1/account')
            .set(bearer(pat))
            .send({ password: owner.password })
            .then((res) => res);
          expect(await waitingOnLocks(watcher, 1)).toBe(true);
          const created = await api().post('/api/v1/teams').set(bearer(pat)).send({ name: 'Meanwhile' }).expect(201);
          await holder.query('COMMIT');
          const res = await deletion;
          expect({ status: res.status, code: res.body.code, errors: res.body.errors }).toEqual({
            status: 422,
            code: 'last_owner',
            errors: { account: [`You are the last owner of team ${created.body.data.id}.`] },
          });
          expect(await teamsWithoutMembers(owner.id)).toBe(0);
        },
      );

      pgIt('answers a team created while its user’s deletion commits 401, leaving no team behind', async () => {
        const { owner, pat } = await newTeam(t.baseUrl);
        await holder.query('BEGIN');
        await holder.query('DELETE FROM team_members WHERE user_id = $1', [owner.id]);
        await holder.query('DELETE FROM teams WHERE id = $1', [owner.teamId]);
        await holder.query('DELETE FROM users WHERE id = $1', [owner.id]);
        const create = api()
          .post('/api/v1/teams')
          .set(bearer(pat))
          .send({ name: 'Meanwhile' })
          .then((res) => res);
        // The create, and the guard's record of the token's use.
        expect(await waitingOnLocks(watcher, 2)).toBe(true);
        await holder.query('COMMIT');
        expect((await create).status).toBe(401);
        expect(await t.dataSource.query(`SELECT 1 FROM teams WHERE created_by = $1`, [owner.id])).toEqual([]);
      });

      pgIt('sees an ownership granted while it waited, deleting the account rather than answering a false 422 last_owner', async () => {
        const { owner: other, pat: otherPat } = await newTeam(t.baseUrl);
        const teamId: string = (await api().post('/api/v1/teams').set(bearer(otherPat)).send({ name: 'Shared' }).expect(201)).body.data.id;
        const teamPat = await newToken(t.baseUrl, other, { team_id: teamId });
        const { user } = await newMember(t.baseUrl, teamPat, teamId, 'admin');
        const userPat = await newToken(t.baseUrl, user);
        // The other owner's promotion of the user, not yet committed when the deletion starts.
        await holder.query('BEGIN');
        await holder.query(`UPDATE team_members SET role = 'owner' WHERE team_id = $1 AND user_id = $2`, [teamId, user.id]);
        const deletion = api()
          .delete('/api/v1/account')
          .set(bearer(userPat))
          .send({ password: user.password })
          .then((res) => res);
        expect(await waitingOnLocks(watcher, 1)).toBe(true);
        await holder.query('COMMIT');
        expect((await deletion).status).toBe(204);
        const owners = await t.dataSource.query(`SELECT user_id FROM team_members WHERE team_id = $1 AND role = 'owner'`, [teamId]);
        expect(owners).toEqual([{ user_id: other.id }]);
      });
    });
  });
});

describe('account passwords and the login budget', () => {
  const t = useTestApp({
    env: {
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_LOGIN_PER_MINUTE: '3',
      RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE: '100',
      RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE: '100',
    },
  });

  it.each([
    [
      'PATCH',
      (pat: string) =>
        supertest(t.baseUrl)
          .patch('/api/v1/account')
          .set(bearer(pat))
          .send({ password: 'a brand new password', current_password: 'wrong guess!' }),
    ],
    ['DELETE', (pat: string) => supertest(t.baseUrl).delete('/api/v1/account').set(bearer(pat)).send({ password: 'wrong guess!' })],
  ])('counts %s /account’s password guesses against POST /auth/token’s budget for the account', async (_method, guess) => {
    const user = await newUser(t.baseUrl);
    const pat = await newToken(t.baseUrl, user);
    const answers = [];
    // The login that made the token spent one of the three.
    for (let i = 0; i < 3; i++) answers.push(await guess(pat));
    expect(answers.map((res) => res.status)).toEqual([401, 401, 429]);
    // The refusal's headers are the login window's that refused, as on every 429: none of it is left.
    const refused = answers[2].headers;
    expect(refused).toMatchObject({ 'x-ratelimit-limit': '3', 'x-ratelimit-remaining': '0' });
    expect(Number(refused['retry-after'])).toBeGreaterThan(0);
    expect(refused['x-ratelimit-reset']).toBe(refused['retry-after']);
    await login(t.baseUrl, user.email, user.password).expect(429);
  });
});
