import type { Response } from 'supertest';
import { bearer, newTeam, newToken, newUser, TestUser } from './support/factories';
import { clientEncrypt, newSecret, reveal } from './support/secrets';
import { useTestApp } from './support/test-app';

describe('secrets', () => {
  const t = useTestApp({ env: { PUBLIC_URL: 'https://links.example.test' } });
  const api = t.http;
  let owner: TestUser;
  let pat: string;

  beforeAll(async () => {
    ({ owner, pat } = await newTeam(t.baseUrl));
  });

  describe('POST /api/v1/secrets', () => {
    it('creates a text secret and returns its link once, with no-store', async () => {
      const res = await api()
        .post('/api/v1/secrets')
        .set(bearer(pat))
        .send({ content: 's3cr3t', expire_mode: 'views', expire_value: 2, label: 'db password' })
        .expect(201);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.message).toBe('Secret created successfully.');
      const data = res.body.data;
      expect(data).toMatchObject({
        kind: 'text',
        label: 'db password',
        expire_mode: 'views',
        expire_value: 2,
        views_remaining: 2,
        views_count: 0,
        has_passcode: false,
        status: 'active',
        created_by: owner.id,
        allowed_countries: null,
        webhook_url: null,
        last_viewed_at: null,
      });
      expect(data.token).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(data.url).toBe(`https://links.example.test/s/${data.token}`);
      expect(JSON.stringify(res.body)).not.toContain('s3cr3t');
      const lifetime = new Date(data.expires_at).getTime() - Date.now();
      expect(lifetime).toBeGreaterThan(7 * 24 * 3600_000 - 60_000);
      expect(lifetime).toBeLessThanOrEqual(7 * 24 * 3600_000);
    });

    it('gives a minutes secret exactly that many minutes and no view budget', async () => {
      const data = await newSecret(t.baseUrl, { expire_mode: 'minutes', expire_value: 90 }, pat);
      expect(data.views_remaining).toBeNull();
      const lifetime = new Date(data.expires_at as string).getTime() - Date.now();
      expect(lifetime).toBeGreaterThan(89 * 60_000);
      expect(lifetime).toBeLessThanOrEqual(90 * 60_000);
    });

    it('counts a passcode secret’s lifetime from its creation, not from before the passcode was hashed', async () => {
      for (const [fields, minutes] of [
        [{ expire_mode: 'minutes', expire_value: 1 }, 1],
        [{ expire_mode: 'views', expire_value: 1 }, 7 * 24 * 60],
      ] as const) {
        const data = await newSecret(t.baseUrl, { ...fields, passcode: 'slow to hash on purpose' }, pat);
        const lifetime = new Date(data.expires_at as string).getTime() - new Date(data.created_at as string).getTime();
        expect([fields.expire_mode, lifetime]).toEqual([fields.expire_mode, minutes * 60_000]);
      }
    });

    it('ends a views secret after its expires_in_minutes window, views left, while one without a window still opens', async () => {
      const windowed = await newSecret(t.baseUrl, { content: 'one view within a minute', expire_value: 2, expires_in_minutes: 1 }, pat);
      const plain = await newSecret(t.baseUrl, { content: 'one view within the plan', expire_value: 1 }, pat);
      expect(windowed).toMatchObject({ expire_mode: 'views', expire_value: 2, views_remaining: 2 });
      // Exactly the window from the statement's clock, as a minutes secret's lifetime is; no new field in the Secret.
      expect(new Date(windowed.expires_at as string).getTime() - new Date(windowed.created_at as string).getTime()).toBe(60_000);
      expect(Object.keys(windowed).sort()).toEqual(Object.keys(plain).sort());
      await reveal(t.baseUrl, windowed.token).expect(200);
      // A minute and a second later, on the database's clock: both secrets aged alike.
      await t.dataSource.query(
        `UPDATE secrets SET created_at = created_at - interval '61 seconds', expires_at = expires_at - interval '61 seconds' WHERE id = ANY($1)`,
        [[windowed.id, plain.id]],
      );
      expect((await reveal(t.baseUrl, windowed.token).expect(410)).body).toEqual({
        message: 'This secret has expired.',
        code: 'secret_expired',
      });
      expect((await reveal(t.baseUrl, plain.token).expect(200)).body.data.content).toBe('one view within the plan');
    });

    it('stores a zero-knowledge secret verbatim and hands it back on reveal', async () => {
      const sealed = clientEncrypt('only the client can read this');
      const data = await newSecret(t.baseUrl, { content: undefined, ciphertext: sealed.ciphertext, iv: sealed.iv }, pat);
      expect(data.kind).toBe('encrypted');
      const res = await reveal(t.baseUrl, data.token).expect(200);
      expect(res.body.data).toEqual({ kind: 'encrypted', ciphertext: sealed.ciphertext, iv: sealed.iv });
    });

    it('creates anonymous secrets without an Authorization header', async () => {
      const data = await newSecret(t.baseUrl, { content: 'anon' });
      expect(data.created_by).toBeNull();
      const res = await reveal(t.baseUrl, data.token).expect(200);
      expect(res.body.data).toEqual({ kind: 'text', content: 'anon' });
    });

    it('still answers 401 to a bad token, even though anonymous creation is allowed', async () => {
      await api()
        .post('/api/v1/secrets')
        .set(bearer('olk_live_nope'))
        .send({ content: 'x', expire_mode: 'views', expire_value: 1 })
        .expect(401);
    });

    it('answers 403 to a token without secrets:write', async () => {
      const readOnly = await newToken(t.baseUrl, owner, { abilities: ['secrets:read'] });
      await api().post('/api/v1/secrets').set(bearer(readOnly)).send({ content: 'x', expire_mode: 'views', expire_value: 1 }).expect(403);
    });

    it.each([
      ['expire_mode', { expire_mode: 'hours' }, 'The selected expire mode is invalid.'],
      ['expire_mode', { expire_mode: undefined }, 'The expire mode field is required.'],
      ['expire_value', { expire_value: 0 }, undefined],
      ['expire_value', { expire_value: 10081 }, undefined],
      ['expire_value', { expire_value: '5' }, undefined],
      ['expire_value', { expire_value: 2.5 }, undefined],
      ['content', { content: undefined }, 'The content field is required when ciphertext is not present.'],
      ['content', { ciphertext: 'AAAAAAAAAAAAAAAAAAAAAA==', iv: 'AAAAAAAAAAAAAAAA' }, undefined],
      ['content', { content: '' }, undefined],
      ['iv', { content: undefined, ciphertext: 'AAAAAAAAAAAAAAAAAAAAAA==' }, undefined],
      ['iv', { content: undefined, ciphertext: 'AAAAAAAAAAAAAAAAAAAAAA==', iv: 'AAAA' }, 'The iv field must be 12 bytes.'],
      ['ciphertext', { content: undefined, ciphertext: 'not base64!', iv: 'AAAAAAAAAAAAAAAA' }, undefined],
      ['passcode', { passcode: 'abc' }, undefined],
      ['passcode', { passcode: 'x'.repeat(129) }, undefined],
      ['label', { label: 'x'.repeat(101) }, undefined],
      ['label', { label: 'nul\u0000inside' }, 'The label field must not contain NUL characters.'],
      ['allowed_countries', { allowed_countries: ['XX1'] }, undefined],
      ['allowed_countries', { allowed_countries: ['DE', 'de'] }, 'The allowed countries field has a duplicate value.'],
      ['allowed_countries', { allowed_countries: [] }, 'The allowed countries field must have at least 1 item.'],
      ['allowed_countries', { allowed_countries: Array.from({ length: 251 }, (_, i) => `C${i}`) }, undefined],
      ['token', { token: 'mine' }, 'The token field is not allowed.'],
      [
        'expires_in_minutes',
        { expire_mode: 'minutes', expire_value: 5, expires_in_minutes: 5 },
        'The expires in minutes field is for views secrets only: a minutes secret lasts its expire_value.',
      ],
      ['expires_in_minutes', { expires_in_minutes: 10081 }, 'The expires in minutes field must not be greater than 10080.'],
      ['expires_in_minutes', { expires_in_minutes: 0 }, 'The expires in minutes field must be at least 1.'],
      ['expires_in_minutes', { expires_in_minutes: null }, 'The expires in minutes field must be an integer.'],
      ['expires_in_minutes', { expires_in_minutes: '60' }, 'The expires in minutes field must be an integer.'],
      ['expires_in_minutes', { expires_in_minutes: 1.5 }, 'The expires in minutes field must be an integer.'],
    ])('answers 422 naming %s', async (field, patch, message) => {
      const before = (await t.dataSource.query('SELECT count(*)::int AS n FROM secrets'))[0].n;
      const res = await api()
        .post('/api/v1/secrets')
        .set(bearer(pat))
        .send({ content: 'valid content', expire_mode: 'views', expire_value: 1, ...patch })
        .expect(422);
      expect(res.body.message).toBe('The given data was invalid.');
      expect(Object.keys(res.body.errors)).toEqual([field]);
      if (message) expect(res.body.errors[field]).toEqual([message]);
      expect(JSON.stringify(res.body)).not.toContain('valid content');
      expect((await t.dataSource.query('SELECT count(*)::int AS n FROM secrets'))[0].n).toBe(before);
    });

    it('answers 413 with plan_limit for content over the free plan’s 64 KiB', async () => {
      const res = await api()
        .post('/api/v1/secrets')
        .set(bearer(pat))
        .send({ content: 'x'.repeat(64 * 1024 + 1), expire_mode: 'views', expire_value: 1 })
        .expect(413);
      expect(res.body).toMatchObject({ code: 'plan_limit', message: expect.stringContaining('free') });
      await api()
        .post('/api/v1/secrets')
        .set(bearer(pat))
        .send({ content: 'x'.repeat(64 * 1024), expire_mode: 'views', expire_value: 1 })
        .expect(201);
    });

    it.each([
      ['webhook_url', { webhook_url: 'https://hooks.example.test/viewed' }],
      ['allowed_countries', { allowed_countries: ['FR'] }],
    ])('answers 403 plan_limit for %s on the free plan', async (_feature, patch) => {
      const res = await api()
        .post('/api/v1/secrets')
        .set(bearer(pat))
        .send({ content: 'x', expire_mode: 'views', expire_value: 1, ...patch })
        .expect(403);
      expect(res.body).toMatchObject({ code: 'plan_limit', message: expect.stringContaining('pro') });
    });
  });

  describe('GET /api/v1/secrets', () => {
    let team: TestUser;
    let teamPat: string;
    beforeAll(async () => {
      team = await newUser(t.baseUrl);
      teamPat = await newToken(t.baseUrl, team);
    });

    it('answers 401 without a token and 403 without secrets:read', async () => {
      await api().get('/api/v1/secrets').expect(401);
      const writeOnly = await newToken(t.baseUrl, team, { abilities: ['secrets:write'] });
      await api().get('/api/v1/secrets').set(bearer(writeOnly)).expect(403);
    });

    it('lists the team’s secrets newest first, metadata only, never a token', async () => {
      const first = await newSecret(t.baseUrl, { content: 'first content', label: 'one' }, teamPat);
      const second = await newSecret(t.baseUrl, { content: 'second content', label: 'two' }, teamPat);
      const res = await api().get('/api/v1/secrets').set(bearer(teamPat)).expect(200);
      expect(res.body.meta).toEqual({ current_page: 1, per_page: 15, total: 2, last_page: 1 });
      expect(res.body.data.map((s: { id: string }) => s.id)).toEqual([second.id, first.id]);
      const text = JSON.stringify(res.body);
      for (const secret of [first, second]) expect(text).not.toContain(secret.token);
      expect(text).not.toContain('first content');
      expect(res.body.data[0]).toMatchObject({ token: null, url: null, token_prefix: second.token.slice(0, 4) });
    });

    it('links a page to its neighbours (Link, as GitHub), so a paginator that follows rel="next" walks the whole list', async () => {
      const user = await newUser(t.baseUrl);
      const pat = await newToken(t.baseUrl, user);
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.unshift((await newSecret(t.baseUrl, {}, pat)).id);
      const base = `${t.config.publicUrl}/api/v1/secrets`;
      const middle = await api().get('/api/v1/secrets?status=active&per_page=2&page=2').set(bearer(pat)).expect(200);
      expect(middle.headers.link).toBe(
        [
          `<${base}?status=active&per_page=2&page=1>; rel="first"`,
          `<${base}?status=active&per_page=2&page=1>; rel="prev"`,
          `<${base}?status=active&per_page=2&page=3>; rel="next"`,
          `<${base}?status=active&per_page=2&page=3>; rel="last"`,
        ].join(', '),
      );
      const only = await api().get('/api/v1/secrets?per_page=100').set(bearer(pat)).expect(200);
      expect(only.headers.link).toBeUndefined();

      const walked: string[] = [];
      let next: string | undefined = `${base}?per_page=2`;
      while (next) {
        const page: Response = await api()
          .get(new URL(next).pathname + new URL(next).search)
          .set(bearer(pat))
          .expect(200);
        walked.push(...page.body.data.map((secret: { id: string }) => secret.id));
        next = /<([^>]+)>; rel="next"/.exec(page.headers.link ?? '')?.[1];
      }
      expect(walked).toEqual(made);
    });

    it('filters by status', async () => {
      const burned = await newSecret(t.baseUrl, {}, teamPat);
      await reveal(t.baseUrl, burned.token).expect(200);
      const deleted = await newSecret(t.baseUrl, {}, teamPat);
      await api().delete(`/api/v1/secrets/${deleted.id}`).set(bearer(teamPat)).expect(204);
      const ids = async (status: string) =>
        (await api().get(`/api/v1/secrets?status=${status}&per_page=100`).set(bearer(teamPat)).expect(200)).body.data.map(
          (s: { id: string }) => s.id,
        );
      expect(await ids('burned')).toEqual([burned.id]);
      expect(await ids('deleted')).toEqual([deleted.id]);
      expect(await ids('active')).not.toContain(burned.id);
      const bad = await api().get('/api/v1/secrets?status=gone').set(bearer(teamPat)).expect(422);
      expect(Object.keys(bad.body.errors)).toEqual(['status']);
    });

    it('never shows another team’s secrets', async () => {
      const other = await newUser(t.baseUrl);
      const otherPat = await newToken(t.baseUrl, other);
      const res = await api().get('/api/v1/secrets').set(bearer(otherPat)).expect(200);
      expect(res.body.meta.total).toBe(0);
    });
  });

  describe('GET /api/v1/secrets/{id}', () => {
    it('shows metadata without spending a view', async () => {
      const secret = await newSecret(t.baseUrl, { content: 'metadata only' }, pat);
      const res = await api().get(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).expect(200);
      expect(res.body.data).toMatchObject({ id: secret.id, views_remaining: 1, token: null, status: 'active' });
      expect(JSON.stringify(res.body)).not.toContain('metadata only');
      await reveal(t.baseUrl, secret.token).expect(200);
    });

    it('answers 404 for another team’s id, a missing id and a malformed id alike', async () => {
      const secret = await newSecret(t.baseUrl, {}, pat);
      const other = await newUser(t.baseUrl);
      const otherPat = await newToken(t.baseUrl, other);
      const foreign = await api().get(`/api/v1/secrets/${secret.id}`).set(bearer(otherPat)).expect(404);
      const missing = await api().get('/api/v1/secrets/00000000-0000-4000-8000-000000000000').set(bearer(otherPat)).expect(404);
      await api().get('/api/v1/secrets/nope').set(bearer(otherPat)).expect(404);
      expect(foreign.body).toEqual(missing.body);
      await api().put(`/api/v1/secrets/${secret.id}`).set(bearer(otherPat)).send({ label: 'mine now' }).expect(404);
      await api().delete(`/api/v1/secrets/${secret.id}`).set(bearer(otherPat)).expect(404);
      await reveal(t.baseUrl, secret.token).expect(200);
    });
  });

  describe('PUT /api/v1/secrets/{id}', () => {
    it('replaces content and label', async () => {
      const secret = await newSecret(t.baseUrl, { content: 'old', expire_value: 3 }, pat);
      const res = await api().put(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).send({ content: 'new', label: 'rotated' }).expect(200);
      expect(res.body.data).toMatchObject({ label: 'rotated', views_remaining: 3 });
      expect((await reveal(t.baseUrl, secret.token).expect(200)).body.data.content).toBe('new');
    });

    it('starts a new budget from now when expire_value changes', async () => {
      const secret = await newSecret(t.baseUrl, { expire_value: 3 }, pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      const res = await api().put(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).send({ expire_value: 5 }).expect(200);
      expect(res.body.data.views_remaining).toBe(5);
      const minutes = await api()
        .put(`/api/v1/secrets/${secret.id}`)
        .set(bearer(pat))
        .send({ expire_mode: 'minutes', expire_value: 10 })
        .expect(200);
      expect(minutes.body.data.views_remaining).toBeNull();
      expect(new Date(minutes.body.data.expires_at).getTime() - Date.now()).toBeLessThanOrEqual(10 * 60_000);
      const [row] = await t.dataSource.query('SELECT expires_at - updated_at AS lifetime FROM secrets WHERE id = $1', [secret.id]);
      expect(row.lifetime).toMatchObject({ minutes: 10 });
      expect(row.lifetime.seconds ?? 0).toBe(0);
      expect(row.lifetime.milliseconds ?? 0).toBe(0);
    });

    it('keeps a views secret’s window on a new expire_value, takes a new one from now, and drops it for minutes', async () => {
      const lifetimeOf = async (id: string) => {
        const [row] = await t.dataSource.query(
          `SELECT extract(epoch FROM expires_at - updated_at)::int AS seconds, views_remaining FROM secrets WHERE id = $1`,
          [id],
        );
        return row as { seconds: number; views_remaining: number | null };
      };
      const secret = await newSecret(t.baseUrl, { expire_value: 3, expires_in_minutes: 30 }, pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      const renewed = await api().put(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).send({ expire_value: 5 }).expect(200);
      expect(renewed.body.data).toMatchObject({ expire_mode: 'views', expire_value: 5, views_remaining: 5 });
      expect(await lifetimeOf(secret.id)).toEqual({ seconds: 30 * 60, views_remaining: 5 });
      // A new window alone: from now, on the views left.
      await reveal(t.baseUrl, secret.token).expect(200);
      await api().put(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).send({ expires_in_minutes: 10 }).expect(200);
      expect(await lifetimeOf(secret.id)).toEqual({ seconds: 10 * 60, views_remaining: 4 });
      await api().put(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).send({ expire_value: 2 }).expect(200);
      expect(await lifetimeOf(secret.id)).toEqual({ seconds: 10 * 60, views_remaining: 2 });
      const minutes = await api()
        .put(`/api/v1/secrets/${secret.id}`)
        .set(bearer(pat))
        .send({ expire_mode: 'minutes', expire_value: 20 })
        .expect(200);
      expect(minutes.body.data.views_remaining).toBeNull();
      expect(await lifetimeOf(secret.id)).toEqual({ seconds: 20 * 60, views_remaining: null });
      const refused = await api().put(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).send({ expires_in_minutes: 5 }).expect(422);
      expect(Object.keys(refused.body.errors)).toEqual(['expires_in_minutes']);
      // Back to views: the window went with the switch to minutes, so the plan's lifetime.
      await api().put(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).send({ expire_mode: 'views', expire_value: 1 }).expect(200);
      expect(await lifetimeOf(secret.id)).toEqual({ seconds: 7 * 24 * 3600, views_remaining: 1 });
    });

    it('refuses content for a zero-knowledge secret and bad fields with 422', async () => {
      const sealed = clientEncrypt('zk');
      const secret = await newSecret(t.baseUrl, { content: undefined, ...sealed, key: undefined }, pat);
      const res = await api().put(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).send({ content: 'plain' }).expect(422);
      expect(Object.keys(res.body.errors)).toEqual(['content']);
      const bad = await api().put(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).send({ expire_value: 0, passcode: 'x' }).expect(422);
      expect(Object.keys(bad.body.errors).sort()).toEqual(['expire_value', 'passcode']);
    });

    it('replaces an encrypted secret’s ciphertext and iv, which the link’s key then opens, recording secret.updated', async () => {
      const first = clientEncrypt('zk v1');
      const secret = await newSecret(t.baseUrl, { content: undefined, ciphertext: first.ciphertext, iv: first.iv, expire_value: 2 }, pat);
      const second = clientEncrypt('zk v2', first.key);
      const res = await api()
        .put(`/api/v1/secrets/${secret.id}`)
        .set(bearer(pat))
        .send({ ciphertext: second.ciphertext, iv: second.iv })
        .expect(200);
      expect(res.body.data).toMatchObject({ kind: 'encrypted', views_remaining: 2 });
      const [row] = await t.dataSource.query('SELECT ciphertext, iv, key_id FROM secrets WHERE id = $1', [secret.id]);
      expect(row).toEqual({ ciphertext: Buffer.from(second.ciphertext, 'base64'), iv: Buffer.from(second.iv, 'base64'), key_id: null });
      const events = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE target_id = $1 AND type = 'secret.updated'`,
        [secret.id],
      );
      expect(events).toEqual([{ n: 1 }]);
      expect((await reveal(t.baseUrl, secret.token).expect(200)).body.data).toEqual({
        kind: 'encrypted',
        ciphertext: second.ciphertext,
        iv: second.iv,
      });
    });

    it('refuses each content field on the other kind, and ciphertext or iv alone, naming the field', async () => {
      const text = await newSecret(t.baseUrl, { content: 'plain' }, pat);
      const sealed = clientEncrypt('zk');
      const encrypted = await newSecret(t.baseUrl, { content: undefined, ciphertext: sealed.ciphertext, iv: sealed.iv }, pat);
      const fieldsOf = async (id: string, body: Record<string, unknown>) =>
        (await api().put(`/api/v1/secrets/${id}`).set(bearer(pat)).send(body).expect(422)).body.errors;
      expect(await fieldsOf(text.id, { ciphertext: sealed.ciphertext, iv: sealed.iv })).toEqual({
        ciphertext: ['The ciphertext field can only replace the content of encrypted secrets.'],
        iv: ['The iv field can only replace the content of encrypted secrets.'],
      });
      expect(await fieldsOf(encrypted.id, { content: 'plain' })).toEqual({
        content: ['The content field can only replace the content of text secrets.'],
      });
      expect(await fieldsOf(encrypted.id, { ciphertext: sealed.ciphertext })).toEqual({
        iv: ['The iv field is required when ciphertext is present.'],
      });
      expect(await fieldsOf(encrypted.id, { iv: sealed.iv })).toEqual({
        ciphertext: ['The ciphertext field is required when iv is present.'],
      });
      expect(await fieldsOf(encrypted.id, { ciphertext: 'not base64!', iv: sealed.iv })).toEqual({
        ciphertext: ['The ciphertext field must be base64.'],
      });
      expect(await fieldsOf(encrypted.id, { ciphertext: sealed.ciphertext, iv: 'AAAA' })).toEqual({
        iv: ['The iv field must be 12 bytes.'],
      });
      expect((await reveal(t.baseUrl, encrypted.token).expect(200)).body.data.ciphertext).toBe(sealed.ciphertext);
    });

    it('changes nothing and records nothing for {}, answering the secret as it is', async () => {
      const secret = await newSecret(t.baseUrl, { label: 'kept' }, pat);
      const before = await api().get(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).expect(200);
      const res = await api().put(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).send({}).expect(200);
      expect(res.body.data).toEqual(before.body.data);
      const events = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE target_id = $1 AND type = 'secret.updated'`,
        [secret.id],
      );
      expect(events).toEqual([{ n: 0 }]);
      await reveal(t.baseUrl, secret.token).expect(200);
      expect((await api().put(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).send({}).expect(410)).body.code).toBe('secret_burned');
    });

    it('records nothing for the label the secret already has, and secret.updated for another', async () => {
      const secret = await newSecret(t.baseUrl, { label: 'kept' }, pat);
      const updates = async () =>
        (
          await t.dataSource.query(`SELECT count(*)::int AS n FROM audit_events WHERE target_id = $1 AND type = 'secret.updated'`, [
            secret.id,
          ])
        )[0].n;
      const before = await api().get(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).expect(200);
      const same = await api().put(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).send({ label: 'kept' }).expect(200);
      expect(same.body.data).toEqual(before.body.data);
      expect(await updates()).toBe(0);
      await api().put(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).send({ label: 'renamed' }).expect(200);
      expect(await updates()).toBe(1);
    });

    it('answers 410 for a secret no longer active', async () => {
      const secret = await newSecret(t.baseUrl, {}, pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      const res = await api().put(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).send({ label: 'late' }).expect(410);
      expect(res.body.code).toBe('secret_burned');
    });
  });

  describe('DELETE /api/v1/secrets/{id}', () => {
    it('destroys the content at once; the link then answers 410', async () => {
      const secret = await newSecret(t.baseUrl, { content: 'delete me' }, pat);
      await api().delete(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).expect(204);
      const [row] = await t.dataSource.query('SELECT status, ciphertext, iv, passcode_hash, destroyed_at FROM secrets WHERE id = $1', [
        secret.id,
      ]);
      expect(row).toMatchObject({ status: 'deleted', ciphertext: null, iv: null, passcode_hash: null });
      expect(row.destroyed_at).toBeInstanceOf(Date);
      const res = await reveal(t.baseUrl, secret.token).expect(410);
      expect(res.body).toEqual({ message: 'This secret was deleted.', code: 'secret_deleted' });
      await api().delete(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).expect(410);
      const shown = await api().get(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).expect(200);
      expect(shown.body.data).toMatchObject({ status: 'deleted', views_remaining: 0, views_count: 0 });
    });

    it('ends an expired secret the purge has not yet come to, still answering 410 expired', async () => {
      const secret = await newSecret(t.baseUrl, { content: 'past its time', expire_mode: 'minutes', expire_value: 5 }, pat);
      await t.dataSource.query(`UPDATE secrets SET expires_at = now() - interval '1 second' WHERE id = $1`, [secret.id]);
      const res = await api().delete(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).expect(410);
      expect(res.body).toEqual({ message: 'This secret has expired.', code: 'secret_expired' });
      const [row] = await t.dataSource.query('SELECT status, ciphertext, iv FROM secrets WHERE id = $1', [secret.id]);
      expect(row).toEqual({ status: 'expired', ciphertext: null, iv: null });
      const [{ events }] = await t.dataSource.query(
        `SELECT count(*)::int AS events FROM audit_events WHERE target_id = $1 AND type = 'secret.expired'`,
        [secret.id],
      );
      expect(events).toBe(1);
      await api().delete(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).expect(410);
    });

    it('answers 401 without a token and 403 without secrets:write', async () => {
      const secret = await newSecret(t.baseUrl, {}, pat);
      await api().delete(`/api/v1/secrets/${secret.id}`).expect(401);
      await api().put(`/api/v1/secrets/${secret.id}`).send({}).expect(401);
      await api().get(`/api/v1/secrets/${secret.id}`).expect(401);
      const readOnly = await newToken(t.baseUrl, owner, { abilities: ['secrets:read'] });
      await api().delete(`/api/v1/secrets/${secret.id}`).set(bearer(readOnly)).expect(403);
      await api().put(`/api/v1/secrets/${secret.id}`).set(bearer(readOnly)).send({ label: 'x' }).expect(403);
      const noRead = await newToken(t.baseUrl, owner, { abilities: ['team:read'] });
      await api().get(`/api/v1/secrets/${secret.id}`).set(bearer(noRead)).expect(403);
    });
  });
});
