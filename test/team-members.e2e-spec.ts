import supertest from 'supertest';
import { Client } from 'pg';
import type { EntitySubscriberInterface } from 'typeorm';
import { TeamMember } from '../src/teams/team-member.entity';
import { databaseMode, waitingOnLocks } from './support/database';
import { bearer, newTeam, newToken, newUser } from './support/factories';
import { newSecret } from './support/secrets';
import { newMember, newTeamOf, setPlan } from './support/teams';
import { useTestApp } from './support/test-app';

describe('team members', () => {
  const t = useTestApp();
  const api = t.http;

  describe('POST /api/v1/team/members', () => {
    it('adds a registered user, who can then get a token for the team and see its secrets', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const secret = await newSecret(t.baseUrl, {}, pat);
      const user = await newUser(t.baseUrl, { name: 'Mia' });
      const res = await api().post('/api/v1/team/members').set(bearer(pat)).send({ email: user.email, role: 'member' }).expect(201);
      expect(res.body.data).toMatchObject({ user_id: user.id, name: 'Mia', email: user.email, kind: 'user', role: 'member' });
      const memberPat = await newToken(t.baseUrl, user, { team_id: owner.teamId });
      const list = await api().get('/api/v1/secrets').set(bearer(memberPat)).expect(200);
      expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([secret.id]);
      const members = await api().get('/api/v1/team/members').set(bearer(memberPat)).expect(200);
      expect(members.body.meta.total).toBe(2);
    });

    it('finds a user by their email in either Unicode composition (ó as one code point or as o and an accent)', async () => {
      const { pat } = await newTeam(t.baseUrl);
      const user = await newUser(t.baseUrl, { email: 'j\u00f3n-members@compose.test' });
      const res = await api()
        .post('/api/v1/team/members')
        .set(bearer(pat))
        .send({ email: 'jo\u0301n-members@compose.test', role: 'member' })
        .expect(201);
      expect(res.body.data).toMatchObject({ user_id: user.id, email: user.email });
    });

    it.each([
      [
        'ΟΔΟΣ for οδοσ',
        '\u03bf\u03b4\u03bf\u03c3-members@fold.test',
        '\u039f\u0394\u039f\u03a3-MEMBERS@FOLD.TEST',
        '\u03bf\u03b4\u03bf\u03c3-members@fold.test',
      ],
      ['ԵՒ for և', '\u0587-members@fold.test', '\u0535\u0552-MEMBERS@FOLD.TEST', '\u0565\u0582-members@fold.test'],
    ])('finds a user by their email in any case, as Unicode folds it (%s)', async (_case, registered, added, stored) => {
      const { pat } = await newTeam(t.baseUrl);
      const user = await newUser(t.baseUrl, { email: registered });
      const res = await api().post('/api/v1/team/members').set(bearer(pat)).send({ email: added, role: 'member' }).expect(201);
      expect(res.body.data).toMatchObject({ user_id: user.id, email: stored });
    });

    it('refuses an address with a compatibility form (fullwidth ａ) with 422 on email, even one an account holds from before', async () => {
      const { pat } = await newTeam(t.baseUrl);
      const user = await newUser(t.baseUrl, { email: 'a-member@compat.test' });
      await t.dataSource.query(`UPDATE users SET email = $2 WHERE id = $1`, [user.id, '\uff41-member@compat.test']);
      const [before] = await t.dataSource.query('SELECT count(*)::int AS n FROM team_members');
      const res = await api()
        .post('/api/v1/team/members')
        .set(bearer(pat))
        .send({ email: '\uff41-member@compat.test', role: 'member' })
        .expect(422);
      expect(res.body.errors).toEqual({
        email: ['The email field must be typed in plain characters, not fullwidth letters, ligatures or other compatibility forms.'],
      });
      expect(await t.dataSource.query('SELECT count(*)::int AS n FROM team_members')).toEqual([before]);
    });

    it('refuses unknown emails, existing members and bad roles with 422', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const unknown = await api()
        .post('/api/v1/team/members')
        .set(bearer(pat))
        .send({ email: 'nobody@example.test', role: 'member' })
        .expect(422);
      expect(unknown.body.errors).toEqual({ email: ['No registered user has this email.'] });
      const twice = await api().post('/api/v1/team/members').set(bearer(pat)).send({ email: owner.email, role: 'admin' }).expect(422);
      expect(Object.keys(twice.body.errors)).toEqual(['email']);
      const role = await api().post('/api/v1/team/members').set(bearer(pat)).send({ email: owner.email, role: 'king' }).expect(422);
      expect(Object.keys(role.body.errors)).toEqual(['role']);
    });

    it('lets only owners make owners', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const { pat: adminPat } = await newMember(t.baseUrl, pat, owner.teamId, 'admin');
      const user = await newUser(t.baseUrl);
      await api().post('/api/v1/team/members').set(bearer(adminPat)).send({ email: user.email, role: 'owner' }).expect(403);
      await api().post('/api/v1/team/members').set(bearer(adminPat)).send({ email: user.email, role: 'member' }).expect(201);
    });

    it('adds members only with a token holding every ability, since the member may mint such tokens', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const narrow = await newToken(t.baseUrl, owner, { abilities: ['team:read', 'team:write'] });
      const attacker = await newUser(t.baseUrl);
      for (const role of ['owner', 'admin', 'member']) {
        const res = await api().post('/api/v1/team/members').set(bearer(narrow)).send({ email: attacker.email, role }).expect(403);
        expect(res.body.message).toBe(
          'Adding a member or raising a role needs a token with every ability: the member may mint such tokens.',
        );
      }
      // Refused before the look-up: an email nobody registered gets the same 403, so it tells nothing.
      await api().post('/api/v1/team/members').set(bearer(narrow)).send({ email: 'nobody@example.test', role: 'member' }).expect(403);
      const members = await api().get('/api/v1/team/members').set(bearer(pat)).expect(200);
      expect(members.body.meta.total).toBe(1);
      await api().post('/api/v1/team/members').set(bearer(pat)).send({ email: attacker.email, role: 'member' }).expect(201);
    });

    it('stops at the plan’s member limit with plan_limit', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      for (let i = 0; i < 4; i++) await newMember(t.baseUrl, pat, owner.teamId, 'member');
      const extra = await newUser(t.baseUrl);
      const res = await api().post('/api/v1/team/members').set(bearer(pat)).send({ email: extra.email, role: 'member' }).expect(403);
      expect(res.body).toMatchObject({ code: 'plan_limit' });
    });

    it('never lets concurrent additions of people and service accounts pass the plan’s member limit', async () => {
      const { pat } = await newTeam(t.baseUrl);
      const users = await Promise.all(Array.from({ length: 5 }, () => newUser(t.baseUrl)));
      const statuses = await Promise.all([
        ...users.map((user) => api().post('/api/v1/team/members').set(bearer(pat)).send({ email: user.email, role: 'member' })),
        ...['ci', 'deploy', 'backup'].map((name) =>
          api()
            .post('/api/v1/team/service-accounts')
            .set(bearer(pat))
            .send({ name, abilities: ['secrets:read'] }),
        ),
      ]).then((responses) => responses.map((res) => res.status).sort());
      expect(statuses).toEqual([201, 201, 201, 201, 403, 403, 403, 403]);
      const members = await api().get('/api/v1/team/members').set(bearer(pat)).expect(200);
      expect(members.body.meta.total).toBe(5);
    });

    // The downgrade holds the team's row on a connection of its own, which PGlite does not serve.
    (databaseMode() === 'postgresql' ? it : it.skip)(
      'counts additions that waited for a downgrade against the new plan, keeping the members already over its limit',
      async () => {
        const { owner, pat } = await newTeam(t.baseUrl);
        await setPlan(t.dataSource, owner.teamId, 'pro');
        const people = [pat];
        for (let i = 0; i < 4; i++) people.push((await newMember(t.baseUrl, pat, owner.teamId, 'member')).pat);
        const robot = await api()
          .post('/api/v1/team/service-accounts')
          .set(bearer(pat))
          .send({ name: 'ci', abilities: ['secrets:read'] })
          .expect(201);
        // Six members: one over free's five.
        const tokens: string[] = [...people, robot.body.data.token];
        const user = await newUser(t.baseUrl);
        const addUser = () => api().post('/api/v1/team/members').set(bearer(pat)).send({ email: user.email, role: 'member' });

        const downgrade = new Client({ connectionString: t.db.url });
        const watcher = new Client({ connectionString: t.db.url });
        await Promise.all([downgrade.connect(), watcher.connect()]);
        try {
          // As the Stripe webhook's: the team's row locked and on free, not yet committed.
          await downgrade.query('BEGIN');
          await downgrade.query(`UPDATE teams SET plan = 'free' WHERE id = $1`, [owner.teamId]);
          const additions = [
            addUser(),
            api()
              .post('/api/v1/team/service-accounts')
              .set(bearer(pat))
              .send({ name: 'deploy', abilities: ['secrets:read'] }),
          ].map((request) => request.then((res) => [res.status, res.body.code]));
          expect(await waitingOnLocks(watcher, additions.length)).toBe(true);
          await downgrade.query('COMMIT');
          expect(await Promise.all(additions)).toEqual([
            [403, 'plan_limit'],
            [403, 'plan_limit'],
          ]);
        } finally {
          await Promise.all([downgrade.end(), watcher.end()]);
        }

        // The members over the new limit stay and keep working; only additions are refused.
        expect((await api().get('/api/v1/team/members').set(bearer(pat)).expect(200)).body.meta.total).toBe(6);
        for (const token of tokens) await api().get('/api/v1/secrets').set(bearer(token)).expect(200);
        expect((await addUser().expect(403)).body.code).toBe('plan_limit');
      },
    );
  });

  describe('GET /api/v1/team/members', () => {
    it('pages members with the total, on a page past the last too', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const { user } = await newMember(t.baseUrl, pat, owner.teamId, 'member');
      const second = await api().get('/api/v1/team/members?page=2&per_page=1').set(bearer(pat)).expect(200);
      expect(second.body.data.map((member: { user_id: string }) => member.user_id)).toEqual([user.id]);
      expect(second.body.meta).toEqual({ current_page: 2, per_page: 1, total: 2, last_page: 2 });
      const past = await api().get('/api/v1/team/members?page=3&per_page=1').set(bearer(pat)).expect(200);
      expect(past.body).toEqual({ data: [], meta: { current_page: 3, per_page: 1, total: 2, last_page: 2 } });
    });

    // A subscriber on the app's own pool deletes a member once the list has read its row, as a
    // race would; the deletion takes a second connection, which PGlite does not serve.
    (databaseMode() === 'postgresql' ? it : it.skip)('answers whole members, as many as its total, while one is deleted', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const created = await api()
        .post('/api/v1/team/service-accounts')
        .set(bearer(pat))
        .send({ name: 'ci', abilities: ['secrets:read'] })
        .expect(201);
      const accountId: string = created.body.data.id;
      let deletion: Promise<supertest.Response> | undefined;
      const deleteOnLoad: EntitySubscriberInterface<TeamMember> = {
        listenTo: () => TeamMember,
        afterLoad: (member) => {
          if (member.userId !== accountId || deletion) return;
          deletion = api()
            .delete(`/api/v1/team/service-accounts/${accountId}`)
            .set(bearer(pat))
            .then((res) => res);
          return deletion;
        },
      };
      t.dataSource.subscribers.push(deleteOnLoad);
      let res: supertest.Response;
      try {
        res = await api().get('/api/v1/team/members').set(bearer(pat));
      } finally {
        t.dataSource.subscribers.splice(t.dataSource.subscribers.indexOf(deleteOnLoad), 1);
      }
      expect((await deletion)?.status).toBe(204);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual([
        expect.objectContaining({ user_id: owner.id, name: owner.name, kind: 'user' }),
        expect.objectContaining({ user_id: accountId, name: 'ci', kind: 'service_account' }),
      ]);
      expect(res.body.meta.total).toBe(2);
      const after = await api().get('/api/v1/team/members').set(bearer(pat)).expect(200);
      expect(after.body.meta.total).toBe(1);
    });
  });

  describe('PATCH /api/v1/team/members/{user_id}', () => {
    it('changes a role with effect on the very next request', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const { user, pat: adminPat } = await newMember(t.baseUrl, pat, owner.teamId, 'admin');
      await api().get('/api/v1/team/audit-events').set(bearer(adminPat)).expect(200);
      const res = await api().patch(`/api/v1/team/members/${user.id}`).set(bearer(pat)).send({ role: 'member' }).expect(200);
      expect(res.body.data.role).toBe('member');
      await api().get('/api/v1/team/audit-events').set(bearer(adminPat)).expect(403);
    });

    it('never demotes the last owner, and lets a second owner step down', async () => {
      const owner = await newUser(t.baseUrl);
      const { teamId, pat } = await newTeamOf(t.baseUrl, owner);
      const res = await api().patch(`/api/v1/team/members/${owner.id}`).set(bearer(pat)).send({ role: 'admin' }).expect(422);
      expect(res.body.errors).toEqual({ role: ['The team must keep at least one owner.'] });
      const { user: second } = await newMember(t.baseUrl, pat, teamId, 'owner');
      await api().patch(`/api/v1/team/members/${owner.id}`).set(bearer(pat)).send({ role: 'admin' }).expect(200);
      const again = await newToken(t.baseUrl, second, { team_id: teamId });
      await api().patch(`/api/v1/team/members/${second.id}`).set(bearer(again)).send({ role: 'member' }).expect(422);
    });

    it('raises a role only with a token holding every ability, and lowers one with team:write', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const narrow = await newToken(t.baseUrl, owner, { abilities: ['team:write'] });
      const { user: member } = await newMember(t.baseUrl, pat, owner.teamId, 'member');
      for (const role of ['admin', 'owner']) {
        await api().patch(`/api/v1/team/members/${member.id}`).set(bearer(narrow)).send({ role }).expect(403);
      }
      await api().patch(`/api/v1/team/members/${member.id}`).set(bearer(pat)).send({ role: 'admin' }).expect(200);
      await api().patch(`/api/v1/team/members/${member.id}`).set(bearer(narrow)).send({ role: 'member' }).expect(200);
    });

    it('records a role change only when the role changes', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const { user: member } = await newMember(t.baseUrl, pat, owner.teamId, 'member');
      for (const role of ['member', 'member', 'admin', 'admin']) {
        const res = await api().patch(`/api/v1/team/members/${member.id}`).set(bearer(pat)).send({ role }).expect(200);
        expect(res.body.data.role).toBe(role);
      }
      const events = await api().get('/api/v1/team/audit-events').set(bearer(pat)).expect(200);
      expect(events.body.data.filter((event: { type: string }) => event.type === 'member.role_changed')).toHaveLength(1);
    });

    it('lets an admin neither promote to nor demote from owner', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const { pat: adminPat } = await newMember(t.baseUrl, pat, owner.teamId, 'admin');
      const { user: member } = await newMember(t.baseUrl, pat, owner.teamId, 'member');
      await api().patch(`/api/v1/team/members/${member.id}`).set(bearer(adminPat)).send({ role: 'owner' }).expect(403);
      await api().patch(`/api/v1/team/members/${owner.id}`).set(bearer(adminPat)).send({ role: 'member' }).expect(403);
      await api().patch(`/api/v1/team/members/${member.id}`).set(bearer(adminPat)).send({ role: 'admin' }).expect(200);
    });
  });

  describe('DELETE /api/v1/team/members/{user_id}', () => {
    it('removes a member whose tokens for the team fail with 401 from the next request', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const { user, pat: memberPat } = await newMember(t.baseUrl, pat, owner.teamId, 'member');
      const personalPat = await newToken(t.baseUrl, user);
      await api().get('/api/v1/secrets').set(bearer(memberPat)).expect(200);
      await api().delete(`/api/v1/team/members/${user.id}`).set(bearer(pat)).expect(204);
      await api().get('/api/v1/secrets').set(bearer(memberPat)).expect(401);
      await api().get('/api/v1/secrets').set(bearer(personalPat)).expect(200);
      const [left] = await t.dataSource.query('SELECT count(*)::int AS n FROM access_tokens WHERE team_id = $1 AND user_id = $2', [
        owner.teamId,
        user.id,
      ]);
      expect(left.n).toBe(0);
    });

    // The row lock that lines the two up needs a second connection, which PGlite does not serve.
    (databaseMode() === 'postgresql' ? it.each : it.skip.each)([
      ['the token', 201],
      ['the removal', 403],
    ] as const)(
      'leaves no token of a removed member when a token is being made for them meanwhile (%s queued first)',
      async (first, mintStatus) => {
        const { owner, pat } = await newTeam(t.baseUrl);
        const { user } = await newMember(t.baseUrl, pat, owner.teamId, 'member');
        const holder = new Client({ connectionString: t.db.url });
        const watcher = new Client({ connectionString: t.db.url });
        await Promise.all([holder.connect(), watcher.connect()]);
        try {
          await holder.query('BEGIN');
          await holder.query('SELECT 1 FROM team_members WHERE team_id = $1 AND user_id = $2 FOR UPDATE', [owner.teamId, user.id]);
          const mint = () =>
            api()
              .post('/api/v1/auth/token')
              .send({
                email: user.email,
                password: user.password,
                device_name: 'racing',
                abilities: ['secrets:read'],
                team_id: owner.teamId,
              })
              .then((res) => res);
          const remove = () =>
            api()
              .delete(`/api/v1/team/members/${user.id}`)
              .set(bearer(pat))
              .then((res) => res);
          const queued = [];
          for (const send of first === 'the token' ? [mint, remove] : [remove, mint]) {
            queued.push(send());
            expect(await waitingOnLocks(watcher, queued.length)).toBe(true);
          }
          await holder.query('ROLLBACK');
          const answers = await Promise.all(queued);
          const [minted, removed] = first === 'the token' ? answers : answers.reverse();
          expect([minted.status, removed.status]).toEqual([mintStatus, 204]);
          const [left] = await t.dataSource.query('SELECT count(*)::int AS n FROM access_tokens WHERE team_id = $1 AND user_id = $2', [
            owner.teamId,
            user.id,
          ]);
          expect(left.n).toBe(0);
          // Added back, they get in only with a new token.
          await api().post('/api/v1/team/members').set(bearer(pat)).send({ email: user.email, role: 'member' }).expect(201);
          if (minted.status === 201) await api().get('/api/v1/account').set(bearer(minted.body.data.token)).expect(401);
        } finally {
          await Promise.all([holder.end(), watcher.end()]);
        }
      },
    );

    it('never removes the last owner', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const res = await api().delete(`/api/v1/team/members/${owner.id}`).set(bearer(pat)).expect(422);
      expect(res.body.errors).toEqual({ user_id: ['The team must keep at least one owner.'] });
    });

    it('answers 404 for a user of another team, exactly as for one that never existed', async () => {
      const { pat } = await newTeam(t.baseUrl);
      const other = await newTeam(t.baseUrl);
      const foreign = await api().delete(`/api/v1/team/members/${other.owner.id}`).set(bearer(pat)).expect(404);
      const missing = await api().delete('/api/v1/team/members/00000000-0000-4000-8000-000000000000').set(bearer(pat)).expect(404);
      expect(foreign.body).toEqual(missing.body);
      await api().patch(`/api/v1/team/members/${other.owner.id}`).set(bearer(pat)).send({ role: 'member' }).expect(404);
      await api().delete('/api/v1/team/members/not-an-id').set(bearer(pat)).expect(404);
      await api().get('/api/v1/secrets').set(bearer(other.pat)).expect(200);
    });
  });

  describe('DELETE /api/v1/team/membership', () => {
    it('lets a member added unasked leave: their tokens for the team fail from the next request, the event is in the trail', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const { user, pat: memberPat } = await newMember(t.baseUrl, pat, owner.teamId, 'member');
      const personalPat = await newToken(t.baseUrl, user);
      await api().delete('/api/v1/team/membership').set(bearer(memberPat)).expect(204);
      await api().get('/api/v1/secrets').set(bearer(memberPat)).expect(401);
      await api().get('/api/v1/secrets').set(bearer(personalPat)).expect(200);
      const members = await api().get('/api/v1/team/members').set(bearer(pat)).expect(200);
      expect(members.body.data.map((member: { user_id: string }) => member.user_id)).toEqual([owner.id]);
      const [event] = await t.dataSource.query(
        `SELECT actor_id, target_id FROM audit_events WHERE team_id = $1 AND type = 'member.removed'`,
        [owner.teamId],
      );
      expect(event).toEqual({ actor_id: user.id, target_id: user.id });
    });

    it('lets an owner leave while another owner stays, never the last one', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const refused = await api().delete('/api/v1/team/membership').set(bearer(pat)).expect(422);
      expect(refused.body).toEqual({
        message: 'The given data was invalid.',
        errors: { membership: ['The team must keep at least one owner.'] },
      });
      const { pat: secondPat } = await newMember(t.baseUrl, pat, owner.teamId, 'owner');
      await api().delete('/api/v1/team/membership').set(bearer(secondPat)).expect(204);
      await api().delete('/api/v1/team/membership').set(bearer(pat)).expect(422);
    });

    it('needs team:write, and is not how a service account goes', async () => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const { user } = await newMember(t.baseUrl, pat, owner.teamId, 'member');
      const readOnly = await newToken(t.baseUrl, user, { team_id: owner.teamId, abilities: ['secrets:read', 'team:read'] });
      await api().delete('/api/v1/team/membership').set(bearer(readOnly)).expect(403);
      const account = await api()
        .post('/api/v1/team/service-accounts')
        .set(bearer(pat))
        .send({ name: 'ci', abilities: ['team:write', 'team:read'] })
        .expect(201);
      await api().delete('/api/v1/team/membership').set(bearer(account.body.data.token)).expect(403);
      const members = await api().get('/api/v1/team/members').set(bearer(pat)).expect(200);
      expect(members.body.meta.total).toBe(3);
    });
  });

  describe('the user whose personal team it is', () => {
    const KEPT = 'A personal team keeps its user as its owner: it is part of their account.';

    /** A's personal team, where A made B an owner too: B's token for it. */
    async function sharedPersonalTeam() {
      const { owner, pat } = await newTeam(t.baseUrl);
      const { user: other, pat: otherPat } = await newMember(t.baseUrl, pat, owner.teamId, 'owner');
      return { owner, pat, other, otherPat };
    }

    it('is never removed, even by another owner, and still gets tokens for it', async () => {
      const { owner, otherPat } = await sharedPersonalTeam();
      const res = await api().delete(`/api/v1/team/members/${owner.id}`).set(bearer(otherPat)).expect(422);
      expect(res.body).toEqual({ message: 'The given data was invalid.', errors: { user_id: [KEPT] } });
      const token = await api()
        .post('/api/v1/auth/token')
        .send({ email: owner.email, password: owner.password, device_name: 'x', abilities: ['secrets:read'] })
        .expect(201);
      expect(token.body.data.team_id).toBe(owner.teamId);
    });

    it('cannot leave it, while the other owner may', async () => {
      const { pat, otherPat } = await sharedPersonalTeam();
      const res = await api().delete('/api/v1/team/membership').set(bearer(pat)).expect(422);
      expect(res.body.errors).toEqual({ membership: [KEPT] });
      await api().delete('/api/v1/team/membership').set(bearer(otherPat)).expect(204);
    });

    it('is demoted neither by themself nor by another owner, who may be', async () => {
      const { owner, pat, other, otherPat } = await sharedPersonalTeam();
      for (const by of [pat, otherPat]) {
        for (const role of ['admin', 'member']) {
          const res = await api().patch(`/api/v1/team/members/${owner.id}`).set(bearer(by)).send({ role }).expect(422);
          expect(res.body.errors).toEqual({ role: [KEPT] });
        }
      }
      await api().patch(`/api/v1/team/members/${other.id}`).set(bearer(pat)).send({ role: 'member' }).expect(200);
      const members = await api().get('/api/v1/team/members').set(bearer(pat)).expect(200);
      expect(members.body.data.map((member: { user_id: string; role: string }) => [member.user_id, member.role])).toEqual([
        [owner.id, 'owner'],
        [other.id, 'member'],
      ]);
    });
  });

  /**
   * Another owner demotes `userId` to `role` in a transaction that commits once `request` (sent
   * with the token of the user as they were) waits on its locks; answers the request's response.
   */
  const demotedWhileWaiting = async (teamId: string, userId: string, role: string, request: () => supertest.Test) => {
    const holder = new Client({ connectionString: t.db.url });
    const watcher = new Client({ connectionString: t.db.url });
    await Promise.all([holder.connect(), watcher.connect()]);
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT user_id FROM team_members WHERE team_id = $1 AND role = 'owner' FOR UPDATE`, [teamId]);
      await holder.query(`UPDATE team_members SET role = $3 WHERE team_id = $1 AND user_id = $2`, [teamId, userId, role]);
      const answer = request().then((res) => res);
      await Promise.race([answer, waitingOnLocks(watcher)]);
      await holder.query('COMMIT');
      return await answer;
    } finally {
      await Promise.all([holder.end(), watcher.end()]);
    }
  };

  // Two transactions at once need two connections, which PGlite does not serve.
  (databaseMode() === 'postgresql' ? describe : describe.skip)('an owner demoted while their request runs', () => {
    const requests: [string, (pat: string, target: { id: string }, newcomer: { email: string }) => supertest.Test][] = [
      [
        'demoting another owner',
        (pat, target) => api().patch(`/api/v1/team/members/${target.id}`).set(bearer(pat)).send({ role: 'member' }),
      ],
      ['removing another owner', (pat, target) => api().delete(`/api/v1/team/members/${target.id}`).set(bearer(pat))],
      [
        'adding an owner',
        (pat, _target, newcomer) => api().post('/api/v1/team/members').set(bearer(pat)).send({ email: newcomer.email, role: 'owner' }),
      ],
    ];

    it.each(requests)('is refused %s with 403, as an owner no longer', async (_case, request) => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const { user: demoted, pat: demotedPat } = await newMember(t.baseUrl, pat, owner.teamId, 'owner');
      const { user: target } = await newMember(t.baseUrl, pat, owner.teamId, 'owner');
      const newcomer = await newUser(t.baseUrl);
      const answer = await demotedWhileWaiting(owner.teamId, demoted.id, 'admin', () => request(demotedPat, target, newcomer));
      expect(answer.status).toBe(403);
      const members: { user_id: string; role: string }[] = await t.dataSource.query(
        `SELECT user_id, role FROM team_members WHERE team_id = $1`,
        [owner.teamId],
      );
      expect(members.find((member) => member.user_id === target.id)?.role).toBe('owner');
      expect(members.some((member) => member.user_id === newcomer.id)).toBe(false);
    });
  });

  // Two transactions at once need two connections, which PGlite does not serve.
  (databaseMode() === 'postgresql' ? describe : describe.skip)('an admin demoted while their request runs', () => {
    interface Targets {
      member: { id: string };
      newcomer: { email: string };
      account: { id: string; tokenId: string };
      endpointId: string;
      deliveryId: string;
    }
    const requests: [string, (pat: string, targets: Targets) => supertest.Test][] = [
      [
        'raising a member to admin',
        (pat, { member }) => api().patch(`/api/v1/team/members/${member.id}`).set(bearer(pat)).send({ role: 'admin' }),
      ],
      [
        'adding a member',
        (pat, { newcomer }) => api().post('/api/v1/team/members').set(bearer(pat)).send({ email: newcomer.email, role: 'member' }),
      ],
      ['removing a member', (pat, { member }) => api().delete(`/api/v1/team/members/${member.id}`).set(bearer(pat))],
      [
        'creating a service account',
        (pat) =>
          api()
            .post('/api/v1/team/service-accounts')
            .set(bearer(pat))
            .send({ name: 'lasting', abilities: ['secrets:write'] }),
      ],
      [
        'minting a service account token',
        (pat, { account }) =>
          api()
            .post(`/api/v1/team/service-accounts/${account.id}/tokens`)
            .set(bearer(pat))
            .send({ abilities: ['secrets:write'] }),
      ],
      [
        'revoking a service account token',
        (pat, { account }) => api().delete(`/api/v1/team/service-accounts/${account.id}/tokens/${account.tokenId}`).set(bearer(pat)),
      ],
      ['deleting a service account', (pat, { account }) => api().delete(`/api/v1/team/service-accounts/${account.id}`).set(bearer(pat))],
      ['renaming the team', (pat) => api().patch('/api/v1/team').set(bearer(pat)).send({ name: 'Renamed' })],
      ['rotating the webhook secret', (pat) => api().post('/api/v1/team/webhook-secret/rotate').set(bearer(pat))],
      ['deleting a webhook endpoint', (pat, { endpointId }) => api().delete(`/api/v1/team/webhooks/${endpointId}`).set(bearer(pat))],
      [
        'retrying a webhook delivery',
        (pat, { deliveryId }) => api().post(`/api/v1/webhook-deliveries/${deliveryId}/retry`).set(bearer(pat)),
      ],
    ];
    const eventsBy = async (actorId: string): Promise<number> =>
      (await t.dataSource.query(`SELECT count(*)::int AS n FROM audit_events WHERE actor_id = $1`, [actorId]))[0].n;

    it.each(requests)('is refused %s with 403, as an admin no longer', async (_case, request) => {
      const { owner, pat } = await newTeam(t.baseUrl);
      const { user: demoted, pat: demotedPat } = await newMember(t.baseUrl, pat, owner.teamId, 'admin');
      const { user: member } = await newMember(t.baseUrl, pat, owner.teamId, 'member');
      const newcomer = await newUser(t.baseUrl);
      const created = await api()
        .post('/api/v1/team/service-accounts')
        .set(bearer(pat))
        .send({ name: 'deploys', abilities: ['secrets:write'] })
        .expect(201);
      const tokens = await api().get(`/api/v1/team/service-accounts/${created.body.data.id}/tokens`).set(bearer(pat)).expect(200);
      const account = { id: created.body.data.id, tokenId: tokens.body.data[0].id };
      const [endpoint] = await t.dataSource.query(
        `INSERT INTO webhook_endpoints (id, team_id, url, events) VALUES (gen_random_uuid(), $1, 'https://example.com/hook', '{secret.created}') RETURNING id`,
        [owner.teamId],
      );
      // Retries are a webhooks feature: on free they would be refused for the plan, whatever the role.
      await t.dataSource.query(`UPDATE teams SET plan = 'pro' WHERE id = $1`, [owner.teamId]);
      const [delivery] = await t.dataSource.query(
        `INSERT INTO webhook_deliveries (id, event_id, team_id, secret_id, endpoint_id, type, url, data, status)
         VALUES (gen_random_uuid(), 'evt_demoted', $1, gen_random_uuid(), $2, 'secret.created', 'https://example.com/hook', '{}', 'failed') RETURNING id`,
        [owner.teamId, endpoint.id],
      );
      const eventsBefore = await eventsBy(demoted.id);
      const answer = await demotedWhileWaiting(owner.teamId, demoted.id, 'member', () =>
        request(demotedPat, { member, newcomer, account, endpointId: endpoint.id, deliveryId: delivery.id }),
      );
      expect(answer.status).toBe(403);
      // Each of these writes records its event in its own transaction: none more means nothing was written.
      expect(await eventsBy(demoted.id)).toBe(eventsBefore);
      const [role] = await t.dataSource.query(`SELECT role FROM team_members WHERE team_id = $1 AND user_id = $2`, [
        owner.teamId,
        member.id,
      ]);
      expect(role).toEqual({ role: 'member' });
    });
  });
});
