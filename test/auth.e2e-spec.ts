import { request as httpRequest } from 'node:http';
import { Logger } from '@nestjs/common';
import * as argon2 from 'argon2';
import { FoldEmailCase1795840000000 } from '../migrations/1795840000000-FoldEmailCase';
import { NormalizeEmails1795770000000 } from '../migrations/1795770000000-NormalizeEmails';
import { runUp } from './support/database';
import { bearer, newToken, newUser, TestUser } from './support/factories';
import { useTestApp } from './support/test-app';

const PLAIN_CHARACTERS =
  'The email field must be typed in plain characters, not fullwidth letters, ligatures or other compatibility forms.';

describe('auth', () => {
  const t = useTestApp();
  const api = t.http;

  describe('POST /api/v1/auth/register', () => {
    it('creates the user and a personal team where they are owner on the free plan', async () => {
      const res = await api()
        .post('/api/v1/auth/register')
        .send({ email: 'Owner@Example.test', password: 'a long enough password', name: 'Owner' })
        .expect(201);
      expect(res.body.data).toMatchObject({ email: 'owner@example.test', name: 'Owner', team: { plan: 'free', role: 'owner' } });
      expect(JSON.stringify(res.body)).not.toContain('a long enough password');
    });

    it('rejects a duplicate email, whatever its case, with a field error', async () => {
      await newUser(t.baseUrl, { email: 'dup@example.test' });
      const res = await api()
        .post('/api/v1/auth/register')
        .send({ email: 'DUP@example.test', password: 'another long password', name: 'Dup' })
        .expect(422);
      expect(res.body).toEqual({ message: 'The given data was invalid.', errors: { email: ['The email has already been taken.'] } });
    });

    it('rejects an email that differs only in its Unicode composition (ó as one code point or as o and an accent)', async () => {
      const composed = await newUser(t.baseUrl, { email: '\u00f3wner@compose.test' });
      const res = await api()
        .post('/api/v1/auth/register')
        .send({ email: 'O\u0301wner@compose.test', password: 'another long password', name: 'Twin' })
        .expect(422);
      expect(res.body).toEqual({ message: 'The given data was invalid.', errors: { email: ['The email has already been taken.'] } });
      // Logging in with the decomposed form reaches the one account.
      const login = await api()
        .post('/api/v1/auth/token')
        .send({ email: 'o\u0301wner@compose.test', password: composed.password, device_name: 'nfd', abilities: ['secrets:read'] })
        .expect(201);
      const account = await api().get('/api/v1/account').set(bearer(login.body.data.token)).expect(200);
      expect(account.body.data.user).toMatchObject({ id: composed.id, email: '\u00f3wner@compose.test' });
    });

    it.each([
      // Lowercasing ΟΔΟΣ ends it with final sigma (ς), not σ; և has no capital, ԵՒ lowercases to եւ.
      ['Greek final sigma', '\u03bf\u03b4\u03bf\u03c3@x.test', '\u039f\u0394\u039f\u03a3@x.test', '\u039f\u0394\u039f\u03a3@X.TEST'],
      ['Armenian ech-yiwn', '\u0587@x.test', '\u0535\u0552@x.test', '\u0535\u0552@X.TEST'],
    ])('takes an address that differs only by case, as Unicode folds it (%s), as the one account', async (_case, email, capital, login) => {
      const first = await newUser(t.baseUrl, { email });
      const res = await api()
        .post('/api/v1/auth/register')
        .send({ email: capital, password: 'another long password', name: 'Twin' })
        .expect(422);
      expect(res.body).toEqual({ message: 'The given data was invalid.', errors: { email: ['The email has already been taken.'] } });
      const token = await api()
        .post('/api/v1/auth/token')
        .send({ email: login, password: first.password, device_name: 'fold', abilities: ['secrets:read'] })
        .expect(201);
      const account = await api().get('/api/v1/account').set(bearer(token.body.data.token)).expect(200);
      expect(account.body.data.user).toMatchObject({ id: first.id });
    });

    it.each([
      ['a fullwidth letter', '\uff41@fullwidth.test'],
      ['a ligature', '\ufb01le@ligature.test'],
      ['a superscript digit', 'a\u00b2@superscript.test'],
    ])('refuses an email with %s, which NFKC folds: it would be an account apart from one that reads the same', async (_form, email) => {
      await newUser(t.baseUrl, { email: email.normalize('NFKC') });
      const [before] = await t.dataSource.query('SELECT count(*)::int AS n FROM users');
      const res = await api().post('/api/v1/auth/register').send({ email, password: 'another long password', name: 'Twin' }).expect(422);
      expect(res.body).toEqual({ message: 'The given data was invalid.', errors: { email: [PLAIN_CHARACTERS] } });
      expect(await t.dataSource.query('SELECT count(*)::int AS n FROM users')).toEqual([before]);
    });

    it.each([
      ['Thai', '\u0e19\u0e49\u0e33@thai.test', '\u0e19\u0e49\u0e33@thai.test'],
      ['Lao', '\u0e97\u0eb3@lao.test', '\u0e97\u0eb3@lao.test'],
      // Case folding spells և as եւ (CaseFolding.txt, status F), as its capital ԵՒ folds.
      ['Armenian', '\u0565\u0580\u0587\u0561\u0576@armenian.test', '\u0565\u0580\u0565\u0582\u0561\u0576@armenian.test'],
    ])('registers a %s address whose ordinary spelling NFKC would change (sara am, am, ech-yiwn)', async (_script, email, stored) => {
      const res = await api().post('/api/v1/auth/register').send({ email, password: 'another long password', name: 'Script' }).expect(201);
      expect(res.body.data.email).toBe(stored);
    });

    it('still logs in an account that holds such an address from before', async () => {
      const user = await newUser(t.baseUrl, { email: 'legacy@compat.test' });
      await t.dataSource.query(`UPDATE users SET email = $2 WHERE id = $1`, [user.id, '\uff4cegacy@compat.test']);
      await api()
        .post('/api/v1/auth/token')
        .send({ email: '\uff2cegacy@compat.test', password: user.password, device_name: 'old', abilities: ['secrets:read'] })
        .expect(201);
    });

    it('moves an account registered with a decomposed email to NFC, so it can still log in, and leaves one whose composed twin exists', async () => {
      const earlier = await newUser(t.baseUrl, { email: 'earlier@nfd.test' });
      const twin = await newUser(t.baseUrl, { email: '\u00e9twin@nfd.test' });
      const stranded = await newUser(t.baseUrl, { email: 'stranded@nfd.test' });
      // As registrations before emails were normalised left them.
      await t.dataSource.query(`UPDATE users SET email = $2 WHERE id = $1`, [earlier.id, 'e\u0301arlier@nfd.test']);
      await t.dataSource.query(`UPDATE users SET email = $2 WHERE id = $1`, [stranded.id, 'e\u0301twin@nfd.test']);
      await runUp(t.dataSource, new NormalizeEmails1795770000000());
      const emails = await t.dataSource.query('SELECT id, email FROM users WHERE id = ANY($1::uuid[])', [
        [earlier.id, twin.id, stranded.id],
      ]);
      expect(Object.fromEntries(emails.map((user: { id: string; email: string }) => [user.id, user.email]))).toEqual({
        [earlier.id]: '\u00e9arlier@nfd.test',
        [twin.id]: '\u00e9twin@nfd.test',
        [stranded.id]: 'e\u0301twin@nfd.test',
      });
      await api()
        .post('/api/v1/auth/token')
        .send({ email: 'e\u0301arlier@nfd.test', password: earlier.password, device_name: 'nfd', abilities: ['secrets:read'] })
        .expect(201);
    });

    it('moves only the oldest of two decomposed spellings of one address (marks in either order) to NFC, and leaves the other as typed', async () => {
      const older = await newUser(t.baseUrl, { email: 'older@order.test' });
      const newer = await newUser(t.baseUrl, { email: 'newer@order.test' });
      // Both accepted by builds before emails were normalised; no account holds their NFC form.
      await t.dataSource.query(`UPDATE users SET email = $2, created_at = now() - interval '2 days' WHERE id = $1`, [
        older.id,
        'e\u0301\u0323x@order.test',
      ]);
      await t.dataSource.query(`UPDATE users SET email = $2, created_at = now() - interval '1 day' WHERE id = $1`, [
        newer.id,
        'e\u0323\u0301x@order.test',
      ]);
      await runUp(t.dataSource, new NormalizeEmails1795770000000());
      const emails = await t.dataSource.query('SELECT id, email FROM users WHERE id = ANY($1::uuid[])', [[older.id, newer.id]]);
      expect(Object.fromEntries(emails.map((user: { id: string; email: string }) => [user.id, user.email]))).toEqual({
        [older.id]: 'e\u0301\u0323x@order.test'.normalize('NFC'),
        [newer.id]: 'e\u0323\u0301x@order.test',
      });
    });

    it('moves an account stored lowercased to its case-folded key, so it can still log in, and leaves accounts that would share one', async () => {
      const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => {});
      try {
        /** How many accounts the migration says it left, as its one line has it (0 without one). */
        const left = async (): Promise<number> => {
          warnings.mockClear();
          await runUp(t.dataSource, new FoldEmailCase1795840000000());
          const lines = warnings.mock.calls.map(([line]) => String(line));
          expect(lines.length).toBeLessThanOrEqual(1);
          return lines.length === 0 ? 0 : Number(/^FoldEmailCase left (\d+) account/.exec(lines[0])![1]);
        };
        // Accounts another spec left stranded (a decomposed twin) are counted on every run.
        const before = await left();
        const stored: Record<string, string> = {
          // As registration stored ΟΔΟΣ@x.test before: lowercased, final sigma.
          moved: '\u03bf\u03b4\u03bf\u03c2@moved.test',
          // straße@held.test folds to strasse@held.test, which another account holds.
          held: 'stra\u00dfe@held.test',
          holder: 'strasse@held.test',
          // Two accounts that fold to one key nobody holds yet (ſ came before compatibility forms were refused).
          pairOne: 'stra\u00dfe@pair.test',
          pairTwo: '\u017ftrasse@pair.test',
          // 254 characters, the column's most, which folding would take to 255 (ß is ss).
          long: `${'a'.repeat(254 - '\u00df@long.test'.length)}\u00df@long.test`,
        };
        const users: Record<string, TestUser> = Object.fromEntries(
          await Promise.all(
            Object.keys(stored).map(async (role) => [role, await newUser(t.baseUrl, { email: `${role}@fold-migration.test` })]),
          ),
        );
        for (const [role, email] of Object.entries(stored)) {
          await t.dataSource.query('UPDATE users SET email = $2 WHERE id = $1', [users[role].id, email]);
        }
        expect(stored.long).toHaveLength(254);
        expect(await left()).toBe(before + 4);
        const lines = warnings.mock.calls.map(([line]) => String(line)).join('\n');
        for (const email of Object.values(stored)) expect(lines).not.toContain(email.split('@')[1]);
        const emails = await t.dataSource.query('SELECT id, email FROM users WHERE id = ANY($1::uuid[])', [
          Object.values(users).map((user) => user.id),
        ]);
        const byId = Object.fromEntries(emails.map((user: { id: string; email: string }) => [user.id, user.email]));
        expect(Object.fromEntries(Object.entries(users).map(([role, user]) => [role, byId[user.id]]))).toEqual({
          ...stored,
          moved: '\u03bf\u03b4\u03bf\u03c3@moved.test',
        });
        await api()
          .post('/api/v1/auth/token')
          .send({
            email: '\u039f\u0394\u039f\u03a3@MOVED.TEST',
            password: users.moved.password,
            device_name: 'fold',
            abilities: ['secrets:read'],
          })
          .expect(201);
      } finally {
        warnings.mockRestore();
      }
    });

    it('takes a name of the full 100 characters, its personal team named within its own 100', async () => {
      const name = `${'ñ'.repeat(99)}é`;
      const res = await api()
        .post('/api/v1/auth/register')
        .send({ email: 'long.name@example.test', password: 'a long enough password', name })
        .expect(201);
      expect(res.body.data.name).toBe(name);
      const pat = await newToken(t.baseUrl, { ...res.body.data, password: 'a long enough password', teamId: res.body.data.team.id });
      const team = await api().get('/api/v1/team').set(bearer(pat)).expect(200);
      expect(team.body.data.name).toBe(`${'ñ'.repeat(93)}'s team`);
    });

    it('answers 422 for an email that is longer than 254 characters once lowercased, as it is stored', async () => {
      // U+0130 lowercases to two code points: 168 characters as sent, 317 as stored.
      const email = `${'\u0130'.repeat(25)}abcdefghijklmn@${'\u0130'.repeat(62)}.${'\u0130'.repeat(62)}.com`;
      const res = await api().post('/api/v1/auth/register').send({ email, password: 'a long enough password', name: 'N' }).expect(422);
      expect(res.body.errors).toEqual({ email: ['The email field must not be greater than 254 characters.'] });
    });

    it.each([
      ['email', { password: 'a long enough password', name: 'N' }],
      ['email', { email: 'not-an-email', password: 'a long enough password', name: 'N' }],
      ['password', { email: 'p@example.test', password: 'short', name: 'N' }],
      ['password', { email: 'p@example.test', password: 12345678901234, name: 'N' }],
      ['name', { email: 'p@example.test', password: 'a long enough password' }],
      ['name', { email: 'p@example.test', password: 'a long enough password', name: 'x'.repeat(101) }],
      ['role', { email: 'p@example.test', password: 'a long enough password', name: 'N', role: 'owner' }],
    ])('answers 422 naming %s and never echoes the submitted values', async (field, body) => {
      const res = await api().post('/api/v1/auth/register').send(body).expect(422);
      expect(res.body.message).toBe('The given data was invalid.');
      expect(Object.keys(res.body.errors)).toContain(field);
      expect(JSON.stringify(res.body.errors)).not.toContain('a long enough password');
      expect(JSON.stringify(res.body.errors)).not.toContain('not-an-email');
    });

    it('counts a password’s characters as it is hashed, in NFC: six decomposed é are six, too few', async () => {
      const body = { email: 'nfd-password@example.test', password: 'e\u0301'.repeat(6), name: 'N' };
      const res = await api().post('/api/v1/auth/register').send(body).expect(422);
      expect(res.body.errors).toEqual({ password: ['The password field must be at least 12 characters.'] });
    });

    it('logs in with the password it registered, its length counted in NFC both times: 600 é typed decomposed are 600, not 1200', async () => {
      const body = { email: 'nfd-long-password@example.test', password: 'e\u0301'.repeat(600), name: 'N' };
      await api().post('/api/v1/auth/register').send(body).expect(201);
      await api()
        .post('/api/v1/auth/token')
        .send({ email: body.email, password: body.password, device_name: 'nfd', abilities: ['secrets:read'] })
        .expect(201);
    });

    it('logs in with a password set before its length was counted in NFC, 600 characters that are 1200 in NFC', async () => {
      const user = await newUser(t.baseUrl, { email: 'grown-password@example.test' });
      const grown = '\u09df'.repeat(600);
      await t.dataSource.query('UPDATE users SET password_hash = $2 WHERE id = $1', [user.id, await argon2.hash(grown)]);
      await api()
        .post('/api/v1/auth/token')
        .send({ email: user.email, password: grown, device_name: 'grown', abilities: ['secrets:read'] })
        .expect(201);
    });

    it('answers 400 in the error shape for unparseable JSON', async () => {
      const res = await api().post('/api/v1/auth/register').set('Content-Type', 'application/json').send('{"email":').expect(400);
      expect(res.body).toEqual({ message: expect.any(String) });
    });

    it('answers 415 for a body that is not JSON', async () => {
      const res = await api().post('/api/v1/auth/register').set('Content-Type', 'text/plain').send('hello').expect(415);
      expect(res.body).toEqual({ message: expect.any(String) });
    });

    it('answers 413 for a body over the size limit', async () => {
      const res = await api()
        .post('/api/v1/auth/register')
        .send({ email: 'big@example.test', password: 'x'.repeat(3 * 1024 * 1024), name: 'Big' })
        .expect(413);
      expect(res.body).toEqual({ message: expect.any(String) });
    });
  });

  describe('POST /api/v1/auth/token', () => {
    it('caps a user at 50 active tokens in a team, even when 55 are asked for at once', async () => {
      const user = await newUser(t.baseUrl);
      const mint = () =>
        api()
          .post('/api/v1/auth/token')
          .send({ email: user.email, password: user.password, device_name: 'many', abilities: ['secrets:read'] });
      const answers = await Promise.all(Array.from({ length: 55 }, mint));
      expect(answers.filter((res) => res.status === 201)).toHaveLength(50);
      const refused = answers.filter((res) => res.status === 422);
      expect(refused).toHaveLength(5);
      expect(refused[0].body.errors).toEqual({ team_id: ['You already hold 50 active tokens in this team; revoke one first.'] });
      const pat = answers.find((res) => res.status === 201)!.body.data;
      await api().delete(`/api/v1/auth/tokens/${pat.id}`).set(bearer(pat.token)).expect(204);
      await mint().expect(201);
    }, 120_000);

    let user: TestUser;
    beforeAll(async () => {
      user = await newUser(t.baseUrl);
    });

    it('issues a live token bound to the personal team, shown once, with the asked abilities', async () => {
      const res = await api()
        .post('/api/v1/auth/token')
        .send({ email: user.email, password: user.password, device_name: 'ci-runner', abilities: ['secrets:read'] })
        .expect(201);
      const data = res.body.data;
      expect(data).toMatchObject({ name: 'ci-runner', abilities: ['secrets:read'], team_id: user.teamId, mode: 'live', expires_at: null });
      expect(data.token).toMatch(/^olk_live_[0-9A-Za-z]{38}$/);
    });

    it('issues test-mode tokens with an expiry when asked', async () => {
      const res = await api()
        .post('/api/v1/auth/token')
        .send({
          email: user.email,
          password: user.password,
          device_name: 'dev',
          abilities: ['team:read'],
          mode: 'test',
          expires_in_days: 2,
        })
        .expect(201);
      expect(res.body.data.token).toMatch(/^olk_test_/);
      const expiresIn = new Date(res.body.data.expires_at).getTime() - Date.now();
      expect(expiresIn).toBeGreaterThan(47 * 3600_000);
      expect(expiresIn).toBeLessThanOrEqual(48 * 3600_000);
    });

    it('answers 401 for a wrong password and for an unknown email alike', async () => {
      const wrong = await api()
        .post('/api/v1/auth/token')
        .send({ email: user.email, password: 'not the password!', device_name: 'x', abilities: ['secrets:read'] })
        .expect(401);
      const unknown = await api()
        .post('/api/v1/auth/token')
        .send({ email: 'nobody@example.test', password: 'not the password!', device_name: 'x', abilities: ['secrets:read'] })
        .expect(401);
      expect(wrong.body).toEqual(unknown.body);
    });

    it('never defaults to another user’s personal team, even after the user left their own', async () => {
      const [mine, theirs] = [await newUser(t.baseUrl), await newUser(t.baseUrl)];
      const theirPat = await newToken(t.baseUrl, theirs);
      await api().post('/api/v1/team/members').set(bearer(theirPat)).send({ email: mine.email, role: 'member' }).expect(201);
      const ask = (fields: object = {}) =>
        api()
          .post('/api/v1/auth/token')
          .send({ email: mine.email, password: mine.password, device_name: 'x', abilities: ['secrets:read'], ...fields });
      expect((await ask().expect(201)).body.data.team_id).toBe(mine.teamId);

      // As a removal could before a personal team kept its user (the API refuses it now).
      await t.dataSource.query('DELETE FROM team_members WHERE team_id = $1 AND user_id = $2', [mine.teamId, mine.id]);
      const refused = await ask().expect(403);
      expect(refused.body).toEqual({ message: 'You are not a member of this team.' });
      expect((await ask({ team_id: theirs.teamId }).expect(201)).body.data.team_id).toBe(theirs.teamId);
    });

    it('answers 403 for a team the user does not belong to', async () => {
      const other = await newUser(t.baseUrl);
      await api()
        .post('/api/v1/auth/token')
        .send({ email: user.email, password: user.password, device_name: 'x', abilities: ['secrets:read'], team_id: other.teamId })
        .expect(403);
    });

    it.each([
      ['abilities', { abilities: ['secrets:admin'] }],
      ['abilities', { abilities: [] }],
      ['abilities', { abilities: 'secrets:read' }],
      ['abilities', { abilities: undefined }],
      ['device_name', { device_name: '' }],
      ['mode', { mode: 'prod' }],
      ['expires_in_days', { expires_in_days: 0 }],
      ['expires_in_days', { expires_in_days: 1.5 }],
      ['team_id', { team_id: 'not-a-uuid' }],
    ])('answers 422 naming %s', async (field, patch) => {
      const body = { email: user.email, password: user.password, device_name: 'x', abilities: ['secrets:read'], ...patch };
      const res = await api().post('/api/v1/auth/token').send(body).expect(422);
      expect(Object.keys(res.body.errors)).toEqual([field]);
    });
  });

  describe('bearer authentication', () => {
    let user: TestUser;
    beforeAll(async () => {
      user = await newUser(t.baseUrl);
    });

    it.each([
      ['no header', {}, 'Bearer realm="oncelink"'],
      // RFC 6750: a bearer token presented and refused is an invalid_token; no token, no error code.
      ['a malformed token', bearer('not-a-token'), 'Bearer realm="oncelink", error="invalid_token"'],
      [
        'a token with a broken checksum',
        bearer('olk_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA000000'),
        'Bearer realm="oncelink", error="invalid_token"',
      ],
      ['a different scheme', { Authorization: 'Basic dXNlcjpwYXNz' }, 'Bearer realm="oncelink"'],
    ])('answers 401 with WWW-Authenticate for %s', async (_case, headers, challenge) => {
      const res = await api().get('/api/v1/account').set(headers).expect(401);
      expect(res.headers['www-authenticate']).toBe(challenge);
      expect(res.body).toEqual({ message: 'Unauthenticated.' });
    });

    it('answers 400 to two Authorization headers, the same token or two, rather than acting as the first', async () => {
      const pat = await newToken(t.baseUrl, user);
      const other = await newToken(t.baseUrl, await newUser(t.baseUrl));
      // supertest would keep one header; node:http sends a flat list of names and values as it is (adding no Host).
      const get = (authorization: string[]) =>
        new Promise<{ status: number; body: unknown }>((resolve, reject) => {
          const req = httpRequest(
            `${t.baseUrl}/api/v1/account`,
            { headers: ['Host', new URL(t.baseUrl).host, ...authorization.flatMap((value) => ['Authorization', value])] },
            (res) => {
              let text = '';
              res.on('data', (chunk: Buffer) => (text += chunk.toString()));
              res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
            },
          );
          req.on('error', reject);
          req.end();
        });
      for (const tokens of [
        [pat, pat],
        [pat, other],
        [other, pat],
      ]) {
        expect(await get(tokens.map((token) => `Bearer ${token}`))).toEqual({
          status: 400,
          body: { message: 'Send one Authorization header, not several.' },
        });
      }
      expect((await get([`Bearer ${pat}`])).status).toBe(200);
    });

    it('takes a token only from the Authorization header, never from the query string or the body', async () => {
      const pat = await newToken(t.baseUrl, user);
      const basic = { Authorization: 'Basic dXNlcjpwYXNz' };
      await api().get(`/api/v1/account?access_token=${pat}`).set(basic).expect(401);
      await api().get(`/api/v1/account?access_token=${pat}`).expect(401);
      await api().post('/api/v1/teams').set(basic).send({ name: 'x', access_token: pat }).expect(401);
      await api()
        .get('/api/v1/account')
        .set({ Authorization: `bearer ${pat}` })
        .expect(200);
    });

    it('takes more than one space after Bearer (RFC 6750: 1*SP), on the direct create route too, but not a tab', async () => {
      const pat = await newToken(t.baseUrl, user);
      await api()
        .get('/api/v1/account')
        .set({ Authorization: `Bearer  ${pat}` })
        .expect(200);
      await api()
        .post('/api/v1/secrets')
        .set({ Authorization: `Bearer  ${pat}` })
        .send({ content: 'x', expire_mode: 'views', expire_value: 1 })
        .expect(201);
      await api()
        .get('/api/v1/account')
        .set({ Authorization: `Bearer\t${pat}` })
        .expect(401);
    });

    it('answers 401 for a well-formed token that was never issued', async () => {
      const forged = await newToken(t.baseUrl, user);
      await t.dataSource.query('DELETE FROM access_tokens WHERE prefix = $1', [forged.slice(0, 13)]);
      await api().get('/api/v1/account').set(bearer(forged)).expect(401);
    });

    it('says when a token expires on every answer it gets, as GitHub does, and nothing for one that does not', async () => {
      const created = await api()
        .post('/api/v1/auth/token')
        .send({ email: user.email, password: user.password, device_name: 'ci', abilities: ['secrets:write'], expires_in_days: 2 })
        .expect(201);
      const expiresAt: string = created.body.data.expires_at;
      const pat: string = created.body.data.token;
      for (const res of [
        await api().get('/api/v1/account').set(bearer(pat)).expect(200),
        await api().get('/api/v1/secrets').set(bearer(pat)).expect(403),
        // The direct create route too.
        await api().post('/api/v1/secrets').set(bearer(pat)).send({ content: 'x', expire_mode: 'views', expire_value: 1 }).expect(201),
      ]) {
        expect(res.headers['oncelink-token-expiration']).toBe(expiresAt);
      }
      const lasting = await newToken(t.baseUrl, user);
      expect((await api().get('/api/v1/account').set(bearer(lasting)).expect(200)).headers['oncelink-token-expiration']).toBeUndefined();
    });

    it('answers 401 once a token has expired', async () => {
      const expiring = await newToken(t.baseUrl, user, { expires_in_days: 1 });
      await api().get('/api/v1/account').set(bearer(expiring)).expect(200);
      await t.dataSource.query(`UPDATE access_tokens SET expires_at = now() - interval '1 second' WHERE prefix = $1`, [
        expiring.slice(0, 13),
      ]);
      const refused = await api().get('/api/v1/account').set(bearer(expiring)).expect(401);
      expect(refused.headers['www-authenticate']).toBe('Bearer realm="oncelink", error="invalid_token"');
    });

    it('records last_used_at on first use and not again within the minute', async () => {
      const fresh = await newToken(t.baseUrl, user);
      await api().get('/api/v1/account').set(bearer(fresh)).expect(200);
      const read = async () =>
        (await t.dataSource.query('SELECT last_used_at FROM access_tokens WHERE prefix = $1', [fresh.slice(0, 13)]))[0].last_used_at;
      let first: Date | null = null;
      for (let i = 0; i < 50 && !first; i++) {
        first = await read();
        if (!first) await new Promise((r) => setTimeout(r, 20));
      }
      expect(first).toBeInstanceOf(Date);
      await api().get('/api/v1/account').set(bearer(fresh)).expect(200);
      await new Promise((r) => setTimeout(r, 100));
      expect((await read()).getTime()).toBe(first!.getTime());
    });
  });

  describe('GET /api/v1/auth/tokens and DELETE /api/v1/auth/tokens/{id}', () => {
    let user: TestUser;
    let token: string;
    beforeAll(async () => {
      user = await newUser(t.baseUrl);
      token = await newToken(t.baseUrl, user);
    });

    it('answers 401 without a token', async () => {
      await api().get('/api/v1/auth/tokens').expect(401);
      await api().delete('/api/v1/auth/tokens/00000000-0000-4000-8000-000000000000').expect(401);
    });

    it('lists the caller’s tokens with prefixes and never their values', async () => {
      const res = await api().get('/api/v1/auth/tokens').set(bearer(token)).expect(200);
      expect(res.body.meta).toMatchObject({ current_page: 1, per_page: 15, total: 1, last_page: 1 });
      expect(res.body.data[0]).toMatchObject({ prefix: token.slice(0, 13), abilities: expect.any(Array) });
      expect(JSON.stringify(res.body)).not.toContain(token);
      expect(res.body.data[0].token).toBeUndefined();
    });

    it('paginates and validates the page parameters', async () => {
      await newToken(t.baseUrl, user);
      const res = await api().get('/api/v1/auth/tokens?per_page=1&page=2').set(bearer(token)).expect(200);
      expect(res.body.meta).toEqual({ current_page: 2, per_page: 1, total: 2, last_page: 2 });
      expect(res.body.data).toHaveLength(1);
      const bad = await api().get('/api/v1/auth/tokens?per_page=101').set(bearer(token)).expect(422);
      expect(Object.keys(bad.body.errors)).toEqual(['per_page']);
    });

    it('does not show or revoke another user’s tokens', async () => {
      const other = await newUser(t.baseUrl);
      const otherToken = await newToken(t.baseUrl, other);
      const list = await api().get('/api/v1/auth/tokens').set(bearer(otherToken)).expect(200);
      const otherId = list.body.data[0].id;
      await api().delete(`/api/v1/auth/tokens/${otherId}`).set(bearer(token)).expect(404);
      await api().delete('/api/v1/auth/tokens/not-a-uuid').set(bearer(token)).expect(404);
      await api().get('/api/v1/account').set(bearer(otherToken)).expect(200);
    });

    it('lets no token revoke one holding an ability it lacks', async () => {
      const strong = await newToken(t.baseUrl, user);
      const narrow = await newToken(t.baseUrl, user, { abilities: ['secrets:write'] });
      const list = await api().get('/api/v1/auth/tokens?per_page=100').set(bearer(strong)).expect(200);
      const idOf = (pat: string) => list.body.data.find((row: { prefix: string }) => row.prefix === pat.slice(0, 13)).id;
      const refused = await api()
        .delete(`/api/v1/auth/tokens/${idOf(strong)}`)
        .set(bearer(narrow))
        .expect(403);
      expect(refused.body).toEqual({ message: 'A token cannot revoke a token with abilities it does not hold itself.' });
      await api().get('/api/v1/account').set(bearer(strong)).expect(200);
      await api()
        .delete(`/api/v1/auth/tokens/${idOf(narrow)}`)
        .set(bearer(strong))
        .expect(204);
      await api().get('/api/v1/account').set(bearer(narrow)).expect(401);
    });

    it('revokes a token so that it fails from the next request on', async () => {
      const doomed = await newToken(t.baseUrl, user);
      const list = await api().get('/api/v1/auth/tokens?per_page=100').set(bearer(doomed)).expect(200);
      const id = list.body.data.find((row: { prefix: string }) => row.prefix === doomed.slice(0, 13)).id;
      await api().delete(`/api/v1/auth/tokens/${id}`).set(bearer(doomed)).expect(204);
      await api().get('/api/v1/account').set(bearer(doomed)).expect(401);
    });
  });

  describe('GET /api/v1/account', () => {
    it('describes the user, the token’s team and role, abilities, usage and limits', async () => {
      const user = await newUser(t.baseUrl, { name: 'Acct' });
      const token = await newToken(t.baseUrl, user, { abilities: ['secrets:read', 'team:read'], mode: 'test' });
      const res = await api().get('/api/v1/account').set(bearer(token)).expect(200);
      expect(res.body.data).toMatchObject({
        user: { id: user.id, email: user.email, name: 'Acct' },
        team: { id: user.teamId, plan: 'free', role: 'owner' },
        token: { abilities: ['secrets:read', 'team:read'], mode: 'test', expires_at: null },
        usage: expect.any(Object),
        limits: expect.any(Object),
      });
      expect(JSON.stringify(res.body)).not.toContain(token);
    });

    it('says when the token stops working, so a script can renew it in time', async () => {
      const user = await newUser(t.baseUrl);
      const token = await newToken(t.baseUrl, user, { expires_in_days: 2 });
      const tokens = (await api().get('/api/v1/auth/tokens?per_page=100').set(bearer(token)).expect(200)).body.data;
      const listed = tokens.find((row: { prefix: string }) => row.prefix === token.slice(0, 13));
      const res = await api().get('/api/v1/account').set(bearer(token)).expect(200);
      expect(res.body.data.token.expires_at).toBe(listed.expires_at);
      expect(Date.parse(res.body.data.token.expires_at) - Date.now()).toBeGreaterThan(47 * 3600 * 1000);
    });
  });
});
