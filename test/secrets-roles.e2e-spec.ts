import { bearer, newTeam, newToken, newUser, TestUser } from './support/factories';
import { newSecret } from './support/secrets';
import { useTestApp } from './support/test-app';

describe('secrets by role', () => {
  const t = useTestApp();
  const api = t.http;
  let owner: TestUser;
  let ownerPat: string;
  let memberPat: string;
  let colleaguePat: string;

  /** Puts `user` in the owner's team with `role` (the teams API is specified separately). */
  async function join(user: TestUser, role: 'admin' | 'member'): Promise<string> {
    await t.dataSource.query(`INSERT INTO team_members (team_id, user_id, role) VALUES ($1, $2, $3)`, [owner.teamId, user.id, role]);
    return newToken(t.baseUrl, user, { team_id: owner.teamId });
  }

  beforeAll(async () => {
    ({ owner, pat: ownerPat } = await newTeam(t.baseUrl));
    memberPat = await join(await newUser(t.baseUrl), 'member');
    colleaguePat = await join(await newUser(t.baseUrl), 'member');
  });

  it('lets every member list the team’s secrets', async () => {
    const secret = await newSecret(t.baseUrl, {}, ownerPat);
    const res = await api().get('/api/v1/secrets').set(bearer(memberPat)).expect(200);
    expect(res.body.data.map((s: { id: string }) => s.id)).toContain(secret.id);
  });

  it('lets a member update and delete their own secrets but not a colleague’s', async () => {
    const mine = await newSecret(t.baseUrl, {}, memberPat);
    const theirs = await newSecret(t.baseUrl, {}, colleaguePat);
    await api().put(`/api/v1/secrets/${mine.id}`).set(bearer(memberPat)).send({ label: 'mine' }).expect(200);
    const denied = await api().put(`/api/v1/secrets/${theirs.id}`).set(bearer(memberPat)).send({ label: 'not mine' }).expect(403);
    expect(denied.body).toEqual({ message: 'Members may only change secrets they created.' });
    await api().delete(`/api/v1/secrets/${theirs.id}`).set(bearer(memberPat)).expect(403);
    await api().delete(`/api/v1/secrets/${mine.id}`).set(bearer(memberPat)).expect(204);
    const [row] = await t.dataSource.query('SELECT status, label FROM secrets WHERE id = $1', [theirs.id]);
    expect(row).toEqual({ status: 'active', label: null });
  });

  it('lets owners and admins update and delete any secret of the team', async () => {
    const adminPat = await join(await newUser(t.baseUrl), 'admin');
    const a = await newSecret(t.baseUrl, {}, memberPat);
    const b = await newSecret(t.baseUrl, {}, colleaguePat);
    await api().put(`/api/v1/secrets/${a.id}`).set(bearer(adminPat)).send({ label: 'moderated' }).expect(200);
    await api().delete(`/api/v1/secrets/${a.id}`).set(bearer(adminPat)).expect(204);
    await api().delete(`/api/v1/secrets/${b.id}`).set(bearer(ownerPat)).expect(204);
  });

  it('takes a role change into account on the very next request', async () => {
    const secret = await newSecret(t.baseUrl, {}, colleaguePat);
    const promoted = await newUser(t.baseUrl);
    const pat = await join(promoted, 'member');
    await api().put(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).send({ label: 'x' }).expect(403);
    await t.dataSource.query(`UPDATE team_members SET role = 'admin' WHERE user_id = $1`, [promoted.id]);
    await api().put(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).send({ label: 'x' }).expect(200);
  });
});
