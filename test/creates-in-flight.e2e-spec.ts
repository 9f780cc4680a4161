import { PasswordHasher } from '../src/auth/password-hasher';
import { SecretsService } from '../src/secrets/secrets.service';
import { eventually } from './support/eventually';
import { bearer } from './support/factories';
import { generatedBytes, uploadFile, UploadResult } from './support/multipart';
import { newMember, newTeamOf, newTeamOn, setPlan } from './support/teams';
import { useTestApp } from './support/test-app';

const MIB = 1024 * 1024;

/**
 * Creates already past the guard when what let them in changes: the member removed, the token
 * revoked, the team downgraded. Each is an upload held open mid-body, so it is surely under way.
 */
describe('creates in flight', () => {
  const t = useTestApp();
  const api = t.http;

  const partsStored = async () => Number((await t.dataSource.query('SELECT count(*) AS n FROM secret_file_parts'))[0].n);

  /** A 4 MiB upload that stops after 2 MiB (a part or more stored) until `finish` sends the rest. */
  async function heldUpload(pat: string): Promise<{ finish: () => Promise<UploadResult> }> {
    const before = await partsStored();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    async function* body() {
      let sent = 0;
      for (const chunk of generatedBytes(4 * MIB, 'held')) {
        if (sent === 2 * MIB) await released;
        sent += chunk.length;
        yield chunk;
      }
    }
    const result = uploadFile(
      t.baseUrl,
      pat,
      { expire_mode: 'views', expire_value: '1' },
      { name: 'held.bin', type: 'application/octet-stream', data: body(), size: 4 * MIB },
    );
    expect(await eventually(async () => (await partsStored()) > before, 10)).toBe(true);
    return {
      finish: () => {
        release();
        return result;
      },
    };
  }

  async function proTeamWithMember() {
    const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
    const member = await newMember(t.baseUrl, team.pat, team.owner.teamId, 'member');
    return { team, member };
  }

  const secretsBy = async (userId: string) =>
    Number((await t.dataSource.query('SELECT count(*) AS n FROM secrets WHERE created_by = $1', [userId]))[0].n);

  it("answers a removed member's upload 401 when it finishes after the removal, and writes nothing", async () => {
    const { team, member } = await proTeamWithMember();
    const parts = await partsStored();
    const upload = await heldUpload(member.pat);
    await api().delete(`/api/v1/team/members/${member.user.id}`).set(bearer(team.pat)).expect(204);
    const res = await upload.finish();
    expect(res.status).toBe(401);
    expect(await secretsBy(member.user.id)).toBe(0);
    expect(await partsStored()).toBe(parts);
  });

  it("answers a removed member's creates still waiting on their passcodes' hashes 401, and writes none of them", async () => {
    const { team, member } = await proTeamWithMember();
    // Every create is held at its passcode's hash, so all eight are past the guard when the removal commits.
    const hasher = t.app.get(PasswordHasher, { strict: false });
    const hash = hasher.hashPasscode.bind(hasher);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const held = jest.spyOn(hasher, 'hashPasscode').mockImplementation(async (...args) => {
      await released;
      return hash(...args);
    });
    try {
      const body = { content: 'x', expire_mode: 'views', expire_value: 1, passcode: 'abcd' };
      const creates = Array.from({ length: 8 }, () =>
        api()
          .post('/api/v1/secrets')
          .set(bearer(member.pat))
          .send(body)
          .then((res) => res.status),
      );
      expect(await eventually(() => held.mock.calls.length === 8, 10)).toBe(true);
      await api().delete(`/api/v1/team/members/${member.user.id}`).set(bearer(team.pat)).expect(204);
      release();
      expect(await Promise.all(creates)).toEqual(Array(8).fill(401));
      expect(await secretsBy(member.user.id)).toBe(0);
    } finally {
      held.mockRestore();
    }
  });

  it('answers an upload whose token was revoked meanwhile 401, and writes nothing', async () => {
    const { member } = await proTeamWithMember();
    const [{ id }] = await t.dataSource.query('SELECT id FROM access_tokens WHERE user_id = $1', [member.user.id]);
    const parts = await partsStored();
    const upload = await heldUpload(member.pat);
    await api().delete(`/api/v1/auth/tokens/${id}`).set(bearer(member.pat)).expect(204);
    const res = await upload.finish();
    expect(res.status).toBe(401);
    expect(await secretsBy(member.user.id)).toBe(0);
    expect(await partsStored()).toBe(parts);
  });

  it("still writes a member's upload that finishes while they stay", async () => {
    const { member } = await proTeamWithMember();
    const upload = await heldUpload(member.pat);
    expect((await upload.finish()).status).toBe(201);
    expect(await secretsBy(member.user.id)).toBe(1);
  });

  it('answers an upload whose team was deleted after its last part was stored 401, and keeps none of it', async () => {
    const { owner } = await newTeamOn('pro', t.baseUrl, t.dataSource);
    const team = await newTeamOf(t.baseUrl, owner);
    await setPlan(t.dataSource, team.teamId, 'pro');
    const parts = await partsStored();
    // The deletion lands between the upload's last part and its final check (fileRoom's second call).
    const secrets = t.app.get(SecretsService, { strict: false });
    const room = secrets.fileRoom.bind(secrets);
    let calls = 0;
    const spy = jest.spyOn(secrets, 'fileRoom').mockImplementation(async (teamId) => {
      if (++calls === 2) await api().delete('/api/v1/team').set(bearer(team.pat)).expect(204);
      return room(teamId);
    });
    try {
      const res = await uploadFile(
        t.baseUrl,
        team.pat,
        { expire_mode: 'views', expire_value: '1' },
        { name: 'late.bin', type: 'application/octet-stream', data: Buffer.alloc(64 * 1024, 1) },
      );
      expect(calls).toBe(2);
      expect(res.status).toBe(401);
      expect(await partsStored()).toBe(parts);
    } finally {
      spy.mockRestore();
    }
  });

  it('refuses an upload begun on Pro and finished after a downgrade to Free: 403 plan_limit, no parts kept', async () => {
    const { team } = await proTeamWithMember();
    const parts = await partsStored();
    const upload = await heldUpload(team.pat);
    await setPlan(t.dataSource, team.owner.teamId, 'free');
    const res = await upload.finish();
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('plan_limit');
    expect(await secretsBy(team.owner.id)).toBe(0);
    expect(await partsStored()).toBe(parts);
  });
});
