import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import supertest from 'supertest';
import { createTestDatabase, databaseMode, dumpDatabase, TestDatabase, waitingOnLocks } from './support/database';
import { eventually } from './support/eventually';
import { bearer, newTeam, newToken, newUser, TestUser } from './support/factories';
import { generatedBytes, uploadFile } from './support/multipart';
import { newSecret, reveal } from './support/secrets';
import { logEntries, ServerProcess, serverEnvOn, startServerProcess } from './support/server-process';
import { newMember, newTeamOf, setPlan, setPlanAt } from './support/teams';
import { useTestApp } from './support/test-app';

describe('DELETE /api/v1/team', () => {
  const t = useTestApp({ env: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_DELAYS: '3600' } });
  const api = t.http;
  let owner: TestUser;

  beforeAll(async () => {
    ({ owner } = await newTeam(t.baseUrl, { name: 'Olivia' }));
  });

  /** Rows that name the team, in every table with a team_id column. */
  async function rowsOfTeam(teamId: string): Promise<Record<string, number>> {
    const tables: { table_name: string }[] = await t.dataSource.query(
      `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'team_id' ORDER BY table_name`,
    );
    const counts: Record<string, number> = {};
    for (const { table_name } of tables) {
      const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM "${table_name}" WHERE team_id = $1`, [teamId]);
      counts[table_name] = row.n;
    }
    return counts;
  }

  it('refuses an admin and a member: only owners delete a team', async () => {
    const team = await newTeamOf(t.baseUrl, owner);
    const admin = await newMember(t.baseUrl, team.pat, team.teamId, 'admin');
    const member = await newMember(t.baseUrl, team.pat, team.teamId, 'member');
    const byAdmin = await api().delete('/api/v1/team').set(bearer(admin.pat)).expect(403);
    expect(byAdmin.body).toEqual({ message: 'Only owners of the team may delete it.' });
    const byMember = await api().delete('/api/v1/team').set(bearer(member.pat)).expect(403);
    expect(byMember.body.message).toBe('Only owners and admins of the team may do this.');
    await api().get('/api/v1/team').set(bearer(admin.pat)).expect(200);
  });

  it('refuses an owner whose role was taken away after the token was made', async () => {
    const team = await newTeamOf(t.baseUrl, owner);
    const demoted = await newMember(t.baseUrl, team.pat, team.teamId, 'owner');
    await api().patch(`/api/v1/team/members/${demoted.user.id}`).set(bearer(team.pat)).send({ role: 'admin' }).expect(200);
    await api().delete('/api/v1/team').set(bearer(demoted.pat)).expect(403);
  });

  it('refuses a personal team with 422 on team', async () => {
    const { pat } = await newTeam(t.baseUrl);
    const res = await api().delete('/api/v1/team').set(bearer(pat)).expect(422);
    expect(res.body).toEqual({
      message: 'The given data was invalid.',
      errors: { team: ['A personal team cannot be deleted: it is part of its user’s account.'] },
    });
    await api().get('/api/v1/team').set(bearer(pat)).expect(200);
  });

  // Stripe can still collect on an unpaid, incomplete or paused subscription: it bills until it has ended.
  it.each(['active', 'trialing', 'past_due', 'unpaid', 'incomplete', 'paused'])(
    'refuses a team whose Stripe subscription is %s with 422 subscription_active',
    async (status) => {
      const team = await newTeamOf(t.baseUrl, owner);
      await t.dataSource.query(
        `INSERT INTO team_subscriptions (subscription_id, team_id, plan, status, event_at, event_rank) VALUES ($1, $2, 'pro', $3, now(), 0)`,
        [`sub_${randomBytes(6).toString('hex')}`, team.teamId, status],
      );
      const res = await api().delete('/api/v1/team').set(bearer(team.pat)).expect(422);
      expect(res.body).toEqual({
        message: 'The given data was invalid.',
        errors: { subscription: ['Cancel the team’s subscription before deleting the team.'] },
        code: 'subscription_active',
      });
      await api().get('/api/v1/team').set(bearer(team.pat)).expect(200);
    },
  );

  it.each(['canceled', 'incomplete_expired'])('deletes a team whose subscription has ended as %s', async (status) => {
    const team = await newTeamOf(t.baseUrl, owner);
    await t.dataSource.query(
      `INSERT INTO team_subscriptions (subscription_id, team_id, plan, status, event_at, event_rank) VALUES ($1, $2, 'free', $3, now(), 0)`,
      [`sub_${randomBytes(6).toString('hex')}`, team.teamId, status],
    );
    await api().delete('/api/v1/team').set(bearer(team.pat)).expect(204);
    expect(Object.values(await rowsOfTeam(team.teamId)).every((n) => n === 0)).toBe(true);
  });

  it('takes a body as no other route without one does: 422', async () => {
    const team = await newTeamOf(t.baseUrl, owner);
    await api().delete('/api/v1/team').set(bearer(team.pat)).send({ confirm: true }).expect(422);
    await api().get('/api/v1/team').set(bearer(team.pat)).expect(200);
  });

  it('destroys the team and everything of it: secrets, files, access, tokens, service accounts, webhooks, trail', async () => {
    const team = await newTeamOf(t.baseUrl, owner, 'Project Nightjar');
    await setPlan(t.dataSource, team.teamId, 'pro');
    const admin = await newMember(t.baseUrl, team.pat, team.teamId, 'admin');
    const account = (
      await api()
        .post('/api/v1/team/service-accounts')
        .set(bearer(team.pat))
        .send({ name: 'nightjar-deployer', abilities: ['secrets:read', 'secrets:write'] })
        .expect(201)
    ).body.data;
    await api().get('/api/v1/team/webhook-secret').set(bearer(team.pat)).expect(200);
    // Nothing listens there and a retry waits an hour: deliveries stay pending.
    await api().post('/api/v1/team/webhooks').set(bearer(team.pat)).send({ url: 'http://127.0.0.1:9/hooks' }).expect(201);
    const text = await newSecret(t.baseUrl, { content: 'nightjar launch codes', expire_value: 2 }, team.pat);
    await reveal(t.baseUrl, text.token).expect(200);
    await api().post(`/api/v1/links/${text.token}/report`).send({ reason: 'looks like phishing' }).expect(202);
    const file = await uploadFile(
      t.baseUrl,
      admin.pat,
      { expire_mode: 'views', expire_value: '1' },
      { name: 'nightjar.pem', type: 'application/x-pem-file', data: randomBytes(64 * 1024) },
    );
    expect(file.status).toBe(201);
    const fileSecret = file.body.data as { id: string; token: string };
    const [stored] = await t.dataSource.query(`SELECT encode(substr(ciphertext, 1, 24), 'hex') AS hex FROM secrets WHERE id = $1`, [
      text.id,
    ]);
    const [part] = await t.dataSource.query(
      `SELECT encode(substr(data, 100, 24), 'hex') AS hex FROM secret_file_parts WHERE secret_id = $1 AND seq = 0`,
      [fileSecret.id],
    );
    expect(await rowsOfTeam(team.teamId)).toMatchObject({ webhook_deliveries: expect.any(Number), audit_events: expect.any(Number) });
    expect((await rowsOfTeam(team.teamId)).webhook_deliveries).toBeGreaterThan(0);

    await api().delete('/api/v1/team').set(bearer(team.pat)).expect(204);

    for (const pat of [team.pat, admin.pat, account.token]) {
      const res = await api().get('/api/v1/team').set(bearer(pat)).expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="oncelink", error="invalid_token"');
    }
    for (const { token } of [text, fileSecret]) {
      await api().get(`/api/v1/links/${token}`).expect(404);
      await reveal(t.baseUrl, token).expect(404);
    }
    // People keep their accounts and other teams; the team's service account goes with it.
    const teams = await api()
      .get('/api/v1/teams')
      .set(bearer(await newToken(t.baseUrl, owner)))
      .expect(200);
    expect(teams.body.data.map((one: { id: string }) => one.id)).not.toContain(team.teamId);
    await api()
      .get('/api/v1/team')
      .set(bearer(await newToken(t.baseUrl, admin.user)))
      .expect(200);

    expect(Object.values(await rowsOfTeam(team.teamId)).every((n) => n === 0)).toBe(true);
    const dump = await dumpDatabase(t.db);
    for (const trace of [team.teamId, 'Project Nightjar', account.id, 'nightjar-deployer', text.id, fileSecret.id, stored.hex, part.hex]) {
      expect(dump).not.toContain(trace);
    }
    expect(dump).not.toContain('looks like phishing');
  });

  it('takes what an upload under way has stored, and refuses the rest of it 401: none of its parts stay', async () => {
    const team = await newTeamOf(t.baseUrl, owner);
    await setPlan(t.dataSource, team.teamId, 'pro');
    const mib = 1024 * 1024;
    // A client sending 20 MiB at about 1.6 MiB/s, until told to stop.
    let sending = true;
    async function* paced() {
      for (const chunk of generatedBytes(20 * mib, 'deleted mid-upload')) {
        if (!sending) return;
        yield chunk;
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    }
    const upload = uploadFile(
      t.baseUrl,
      team.pat,
      { expire_mode: 'views', expire_value: '1' },
      { name: 'big.bin', type: 'application/octet-stream', data: paced() },
      { declareLength: false },
    );
    try {
      // The upload, once it has stored two parts: the only parts no secret owns.
      let uploading: string | undefined;
      const stored = await eventually(async () => {
        const rows: { secret_id: string }[] = await t.dataSource.query(
          `SELECT secret_id FROM secret_file_parts p WHERE seq = 1 AND NOT EXISTS (SELECT 1 FROM secrets s WHERE s.id = p.secret_id)`,
        );
        uploading = rows[0]?.secret_id;
        return uploading !== undefined;
      }, 10);
      expect(stored).toBe(true);
      const parts = async () =>
        (await t.dataSource.query(`SELECT count(*)::int AS n FROM secret_file_parts WHERE secret_id = $1`, [uploading]))[0].n as number;

      await api().delete('/api/v1/team').set(bearer(team.pat)).expect(204);

      expect(await eventually(async () => (await parts()) === 0, 10)).toBe(true);
      // Its next part finds the team gone: answered while the client is still sending.
      const answered = await Promise.race([upload, new Promise<null>((resolve) => setTimeout(() => resolve(null), 5000))]);
      expect(sending).toBe(true);
      expect(answered?.status).toBe(401);
      expect(answered?.headers['www-authenticate']).toBe('Bearer realm="oncelink", error="invalid_token"');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await parts()).toBe(0);
      expect(await rowsOfTeam(team.teamId)).toMatchObject({ secret_file_parts: 0 });
    } finally {
      sending = false;
      await upload;
    }
  });

  // Two transactions at once need two connections, which PGlite does not serve.
  (databaseMode() === 'postgresql' ? describe : describe.skip)('answering requests that waited on the deletion 401', () => {
    /** Starts `request` while the team's deletion holds its rows, commits the deletion once the request waits, and answers its status. */
    async function racingTheDeletion(teamId: string, request: () => supertest.Test): Promise<number> {
      const holder = new Client({ connectionString: t.db.url });
      const watcher = new Client({ connectionString: t.db.url });
      await Promise.all([holder.connect(), watcher.connect()]);
      try {
        await holder.query('BEGIN');
        await holder.query('DELETE FROM teams WHERE id = $1', [teamId]);
        const answer = request().then((res) => res.status);
        const waiting = waitingOnLocks(watcher);
        await Promise.race([answer, waiting]);
        await holder.query('COMMIT');
        return await answer;
      } finally {
        await Promise.all([holder.end(), watcher.end()]);
      }
    }

    it('answers a second DELETE /team by its owner 401 once the first commits, not 403', async () => {
      const team = await newTeamOf(t.baseUrl, owner);
      expect(await racingTheDeletion(team.teamId, () => api().delete('/api/v1/team').set(bearer(team.pat)))).toBe(401);
    });

    it('answers a create that waited on the deletion 401 and leaves no secret of the team', async () => {
      const team = await newTeamOf(t.baseUrl, owner);
      const create = () =>
        api()
          .post('/api/v1/secrets')
          .set(bearer(team.pat))
          .send({ content: 'made as the team goes', expire_mode: 'views', expire_value: 1 });
      expect(await racingTheDeletion(team.teamId, create)).toBe(401);
      expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM secrets WHERE team_id = $1`, [team.teamId])).toEqual([{ n: 0 }]);
    });

    it('answers a member leaving the team as it is deleted 401, not 404', async () => {
      const team = await newTeamOf(t.baseUrl, owner);
      const { pat } = await newMember(t.baseUrl, team.pat, team.teamId, 'member');
      expect(await racingTheDeletion(team.teamId, () => api().delete('/api/v1/team/membership').set(bearer(pat)))).toBe(401);
    });

    it.each([
      ['showing the webhook secret for the first time', 'get', '/api/v1/team/webhook-secret'],
      ['rotating the webhook secret before it was ever shown', 'post', '/api/v1/team/webhook-secret/rotate'],
    ] as const)('answers %s 401, not 500', async (_case, method, path) => {
      const team = await newTeamOf(t.baseUrl, owner);
      expect(await racingTheDeletion(team.teamId, () => api()[method](path).set(bearer(team.pat)))).toBe(401);
    });

    it('answers rotating an existing webhook secret 401, not 500, and records nothing for the team', async () => {
      const team = await newTeamOf(t.baseUrl, owner);
      await api().get('/api/v1/team/webhook-secret').set(bearer(team.pat)).expect(200);
      expect(await racingTheDeletion(team.teamId, () => api().post('/api/v1/team/webhook-secret/rotate').set(bearer(team.pat)))).toBe(401);
      const events = await t.dataSource.query(`SELECT 1 FROM audit_events WHERE team_id = $1 AND type = 'webhook_secret.rotated'`, [
        team.teamId,
      ]);
      expect(events).toEqual([]);
    });
  });
});

/**
 * Creates racing the deletion, on server processes (PostgreSQL: two of them, so requests run on
 * their own connections). PGlite serves one connection, which orders every statement anyway.
 */
describe('DELETE /api/v1/team under concurrency', () => {
  let db: TestDatabase;
  let server: ServerProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServerProcess(serverEnvOn(db, { LOG_LEVEL: 'info', WEBHOOK_ALLOW_PRIVATE: 'true' }));
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  it('logs one line naming the team id, who deleted it with which token and from where, never its name', async () => {
    const { owner } = await newTeam(server.baseUrl);
    const team = await newTeamOf(server.baseUrl, owner, 'Secret Codename Heron');
    const tokens = await supertest(server.baseUrl).get('/api/v1/auth/tokens').set(bearer(team.pat)).expect(200);
    await supertest(server.baseUrl).delete('/api/v1/team').set(bearer(team.pat)).set('X-Request-Id', 'delete-heron').expect(204);
    await eventually(() => server.output().includes(`Team ${team.teamId} deleted`), 5);
    // Under its request's id, as a field (`jq 'select(.req.id == …)'` finds it), beside its access line.
    const line = logEntries(server.output()).find((entry) => entry.msg.startsWith(`Team ${team.teamId} deleted`));
    expect(line).toMatchObject({
      req: { id: 'delete-heron' },
      msg: `Team ${team.teamId} deleted by user ${owner.id} with token ${tokens.body.data[0].id} from 127.0.0.1 (country unknown)`,
    });
    expect(server.output().match(new RegExp(team.teamId, 'g'))).toHaveLength(1);
    expect(server.output()).not.toContain('Heron');
  });

  (databaseMode() === 'postgresql' ? it : it.skip)(
    'answers creates racing the deletion 201 until they get 401, never 500, and leaves none of their rows behind',
    async () => {
      const { owner } = await newTeam(server.baseUrl);
      const team = await newTeamOf(server.baseUrl, owner);
      await setPlanAt(db.url, team.teamId, 'pro');
      const create = () =>
        fetch(`${server.baseUrl}/api/v1/secrets`, {
          method: 'POST',
          headers: { ...bearer(team.pat), 'content-type': 'application/json' },
          body: JSON.stringify({ content: 'racing the deletion', expire_mode: 'views', expire_value: 1 }),
        }).then((res) => res.status);
      // Eight clients create until they are refused: some creates run as the deletion does.
      let started = 0;
      const clients = Array.from({ length: 8 }, async () => {
        const statuses: number[] = [];
        for (let i = 0; i < 500 && statuses.at(-1) !== 401 && statuses.at(-1) !== 500; i++) {
          statuses.push(await create());
          started++;
        }
        return statuses;
      });
      await eventually(() => started >= 16, 10);
      const deleted = await fetch(`${server.baseUrl}/api/v1/team`, { method: 'DELETE', headers: bearer(team.pat) });
      expect(deleted.status).toBe(204);
      for (const statuses of await Promise.all(clients)) {
        expect(statuses.filter((status) => status !== 201)).toEqual([401]);
      }
      const dump = await dumpDatabase(db);
      expect(dump).not.toContain(team.teamId);
    },
  );
  /** One write of a kind and its undoing, by HTTP status: the kinds of thing a team's admins make. */
  type Step = () => Promise<number>;
  const call = (method: string, path: string, pat: string, body?: unknown) =>
    fetch(`${server.baseUrl}/api/v1${path}`, {
      method,
      headers: { ...bearer(pat), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const createdId = async (res: Response): Promise<string | undefined> => (res.status === 201 ? (await res.json()).data.id : undefined);

  (databaseMode() === 'postgresql' ? it : it.skip)(
    'answers the other creates racing the deletion (members, service accounts, their tokens, webhook endpoints) 2xx until 401, never 5xx',
    async () => {
      const { owner } = await newTeam(server.baseUrl);
      const team = await newTeamOf(server.baseUrl, owner);
      await setPlanAt(db.url, team.teamId, 'enterprise');
      const others = await Promise.all([1, 2].map(() => newUser(server.baseUrl)));
      const account = await call('POST', '/team/service-accounts', team.pat, { name: 'minted', abilities: ['secrets:read'] });
      const accountId = (await account.json()).data.id as string;
      // Each client makes a thing and takes it away again, so no count limit ends its loop.
      const kinds: Record<string, Step[]> = {
        member: others.map((user) => async () => {
          const added = await call('POST', '/team/members', team.pat, { email: user.email, role: 'member' });
          if (added.status !== 201) return added.status;
          return (await call('DELETE', `/team/members/${user.id}`, team.pat)).status;
        }),
        service_account: [1, 2].map(() => async () => {
          const created = await call('POST', '/team/service-accounts', team.pat, { name: 'racer', abilities: ['secrets:read'] });
          const id = await createdId(created);
          return id ? (await call('DELETE', `/team/service-accounts/${id}`, team.pat)).status : created.status;
        }),
        token: [1, 2].map(() => async () => {
          const minted = await call('POST', `/team/service-accounts/${accountId}/tokens`, team.pat, {
            name: 'racer',
            abilities: ['secrets:read'],
          });
          const id = await createdId(minted);
          return id ? (await call('DELETE', `/team/service-accounts/${accountId}/tokens/${id}`, team.pat)).status : minted.status;
        }),
        webhook: [1, 2].map((n) => async () => {
          const created = await call('POST', '/team/webhooks', team.pat, { url: `http://127.0.0.1:9/racer-${n}` });
          const id = await createdId(created);
          return id ? (await call('DELETE', `/team/webhooks/${id}`, team.pat)).status : created.status;
        }),
      };
      let started = 0;
      const clients = Object.entries(kinds).flatMap(([kind, steps]) =>
        steps.map(async (step) => {
          const statuses: number[] = [];
          for (let i = 0; i < 300 && (statuses.length === 0 || statuses.at(-1)! < 300); i++) {
            statuses.push(await step());
            started++;
          }
          return { kind, statuses };
        }),
      );
      await eventually(() => started >= 24, 10);
      // Under this storm of writes the deletion may give way (its lock waits are bounded) and ask
      // for a retry, as a 503 with Retry-After; a client tries again.
      let deleted = await call('DELETE', '/team', team.pat);
      for (let retries = 0; deleted.status === 503 && retries < 10; retries++) {
        expect(deleted.headers.get('retry-after')).toMatch(/^\d+$/);
        await new Promise((resolve) => setTimeout(resolve, 500));
        deleted = await call('DELETE', '/team', team.pat);
      }
      expect(deleted.status).toBe(204);
      for (const { kind, statuses } of await Promise.all(clients)) {
        // A thing made a moment before the deletion may already be gone with the team when its undoing runs (404).
        expect(`${kind}: ${statuses.at(-1)}`).toMatch(/: 40[14]$/);
      }
      const dump = await dumpDatabase(db);
      expect(dump).not.toContain(team.teamId);
    },
  );
});
