import supertest from 'supertest';
import { bearer, newTeam, newToken, newUser } from './support/factories';
import { newSecret, reveal } from './support/secrets';
import { setPlan } from './support/teams';
import { useTestApp } from './support/test-app';
import { SecretRepository } from '../src/secrets/secret.repository';
import { PasswordHasher } from '../src/auth/password-hasher';
import { eventually } from './support/eventually';

// The module object itself (an ES namespace import cannot be spied on), as the app's own import reads it.
const argon2 = jest.requireActual<typeof import('argon2')>('argon2');

describe('links', () => {
  const t = useTestApp();
  const api = t.http;
  let pat: string;

  beforeAll(async () => {
    ({ pat } = await newTeam(t.baseUrl));
  });

  describe('GET /api/v1/links/{token}', () => {
    it('describes the secret and spends nothing', async () => {
      const secret = await newSecret(t.baseUrl, { expire_value: 2, passcode: 'open sesame' }, pat);
      for (let i = 0; i < 3; i++) {
        const res = await api().get(`/api/v1/links/${secret.token}`).expect(200);
        expect(res.body).toEqual({
          data: {
            kind: 'text',
            expire_mode: 'views',
            views_remaining: 2,
            expires_at: secret.expires_at,
            requires_passcode: true,
            file: null,
          },
        });
      }
    });

    it('answers 404 for a token that never existed, well-formed or not', async () => {
      await api().get('/api/v1/links/AAAAAAAAAAAAAAAAAAAAAAAA').expect(404);
      await api().get('/api/v1/links/short').expect(404);
    });
  });

  describe('POST /api/v1/links/{token}/reveal', () => {
    it('reveals a 2-view secret exactly twice, then answers 410 and has wiped the row', async () => {
      const secret = await newSecret(t.baseUrl, { content: 'twice', expire_value: 2 }, pat);
      const first = await reveal(t.baseUrl, secret.token).expect(200);
      expect(first.headers['cache-control']).toBe('no-store');
      expect(first.body).toEqual({ data: { kind: 'text', content: 'twice' } });
      expect((await api().get(`/api/v1/links/${secret.token}`).expect(200)).body.data.views_remaining).toBe(1);
      await reveal(t.baseUrl, secret.token).expect(200);
      const gone = await reveal(t.baseUrl, secret.token).expect(410);
      expect(gone.body).toEqual({ message: 'This secret has been viewed and destroyed.', code: 'secret_burned' });
      await api().get(`/api/v1/links/${secret.token}`).expect(410);
      const [row] = await t.dataSource.query('SELECT status, ciphertext, iv, views_count, views_remaining FROM secrets WHERE id = $1', [
        secret.id,
      ]);
      expect(row).toEqual({ status: 'burned', ciphertext: null, iv: null, views_count: 2, views_remaining: 0 });
      const meta = await api().get(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).expect(200);
      expect(meta.body.data).toMatchObject({ status: 'burned', views_count: 2, last_viewed_at: expect.any(String) });
    });

    it('lets a minutes secret be viewed until it expires', async () => {
      const secret = await newSecret(t.baseUrl, { expire_mode: 'minutes', expire_value: 5 }, pat);
      for (let i = 0; i < 3; i++) await reveal(t.baseUrl, secret.token).expect(200);
      await t.dataSource.query(`UPDATE secrets SET expires_at = now() - interval '1 second' WHERE id = $1`, [secret.id]);
      const res = await reveal(t.baseUrl, secret.token).expect(410);
      expect(res.body.code).toBe('secret_expired');
      await api().get(`/api/v1/links/${secret.token}`).expect(410);
    });

    it('answers 404 for an unknown token and 422 for unknown fields', async () => {
      await reveal(t.baseUrl, 'AAAAAAAAAAAAAAAAAAAAAAAA').expect(404);
      const secret = await newSecret(t.baseUrl, {}, pat);
      const res = await reveal(t.baseUrl, secret.token, { views: 5 }).expect(422);
      expect(Object.keys(res.body.errors)).toEqual(['views']);
      await reveal(t.baseUrl, secret.token).expect(200);
    });

    it('records the view in the team’s audit trail with the viewer’s address', async () => {
      const secret = await newSecret(t.baseUrl, { content: 'audited' }, pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      const events = await t.dataSource.query(`SELECT type, actor_type, ip FROM audit_events WHERE target_id = $1 ORDER BY created_at`, [
        secret.id,
      ]);
      expect(events).toEqual([
        { type: 'secret.created', actor_type: 'user', ip: '127.0.0.1' },
        { type: 'secret.viewed', actor_type: 'link', ip: '127.0.0.1' },
      ]);
    });
  });

  describe('passcodes', () => {
    it('asks for the passcode without spending a view or an attempt', async () => {
      const secret = await newSecret(t.baseUrl, { passcode: 'open sesame' }, pat);
      const res = await reveal(t.baseUrl, secret.token).expect(401);
      expect(res.body).toEqual({ message: 'This secret requires a passcode.', code: 'passcode_required', attempts_remaining: 5 });
      expect((await reveal(t.baseUrl, secret.token, { passcode: 'open sesame' }).expect(200)).body.data.content).toBeDefined();
    });

    it('refuses at create a passcode with a line break or another control character, which a password field cannot take', async () => {
      const [{ count }] = await t.dataSource.query('SELECT count(*)::int AS count FROM secrets');
      for (const passcode of ['abcd1234\n', 'ab\r\ncd12', '\u0085', 'open\u0085sesame', 'open\u007fsesame']) {
        const res = await api()
          .post('/api/v1/secrets')
          .set(bearer(pat))
          .send({ content: 'never stored', expire_mode: 'views', expire_value: 1, passcode })
          .expect(422);
        expect(res.body.errors.passcode).toContain('The passcode field must not contain line breaks or other control characters.');
        expect(Object.keys(res.body.errors)).toEqual(['passcode']);
      }
      expect((await t.dataSource.query('SELECT count(*)::int AS count FROM secrets'))[0].count).toBe(count);
      // A tab is typed into a password field as it is.
      const secret = await newSecret(t.baseUrl, { content: 'behind a tab', passcode: 'open\tsesame' }, pat);
      expect((await reveal(t.baseUrl, secret.token, { passcode: 'open\tsesame' }).expect(200)).body.data.content).toBe('behind a tab');
    });

    it('refuses a wrong passcode with the attempts left and spends no view', async () => {
      const secret = await newSecret(t.baseUrl, { content: 'guarded', passcode: 'open sesame' }, pat);
      const res = await reveal(t.baseUrl, secret.token, { passcode: 'open barley' }).expect(401);
      expect(res.body).toEqual({ message: 'The passcode is incorrect.', code: 'passcode_incorrect', attempts_remaining: 4 });
      expect((await api().get(`/api/v1/links/${secret.token}`).expect(200)).body.data.views_remaining).toBe(1);
      const ok = await reveal(t.baseUrl, secret.token, { passcode: 'open sesame' }).expect(200);
      expect(ok.body.data).toEqual({ kind: 'text', content: 'guarded' });
    });

    it('spends no attempt on an empty passcode (a missing one) or one shorter than any passcode can be', async () => {
      const secret = await newSecret(t.baseUrl, { content: 'guarded', passcode: 'open sesame' }, pat);
      for (let i = 0; i < 6; i++) {
        const empty = await reveal(t.baseUrl, secret.token, { passcode: '' }).expect(401);
        expect(empty.body).toEqual({ message: 'This secret requires a passcode.', code: 'passcode_required', attempts_remaining: 5 });
        const short = await reveal(t.baseUrl, secret.token, { passcode: 'ope' }).expect(401);
        expect(short.body).toEqual({ message: 'The passcode is incorrect.', code: 'passcode_incorrect', attempts_remaining: 5 });
      }
      const [row] = await t.dataSource.query('SELECT failed_attempts, status FROM secrets WHERE id = $1', [secret.id]);
      expect(row).toEqual({ failed_attempts: 0, status: 'active' });
      expect((await reveal(t.baseUrl, secret.token, { passcode: 'open sesame' }).expect(200)).body.data.content).toBe('guarded');
    });

    it('burns the secret on the fifth wrong passcode', async () => {
      const secret = await newSecret(t.baseUrl, { passcode: 'open sesame', expire_value: 3 }, pat);
      const remaining: number[] = [];
      for (let i = 0; i < 5; i++) {
        remaining.push((await reveal(t.baseUrl, secret.token, { passcode: `wrong ${i}` }).expect(401)).body.attempts_remaining);
      }
      expect(remaining).toEqual([4, 3, 2, 1, 0]);
      const res = await reveal(t.baseUrl, secret.token, { passcode: 'open sesame' }).expect(410);
      // Nobody saw it: the answer says why it is gone, here and on the lookup.
      const guessed = { message: 'This secret was destroyed after too many wrong passcodes.', code: 'secret_burned' };
      expect(res.body).toEqual(guessed);
      expect((await supertest(t.baseUrl).get(`/api/v1/links/${secret.token}`).expect(410)).body).toEqual(guessed);
      const [row] = await t.dataSource.query('SELECT ciphertext, passcode_hash, status FROM secrets WHERE id = $1', [secret.id]);
      expect(row).toEqual({ ciphertext: null, passcode_hash: null, status: 'burned' });
    });

    it('counts only judged wrong guesses: a wrong fifth guess beside a right one still in flight neither burns nor says 0', async () => {
      const secret = await newSecret(t.baseUrl, { content: 'guarded', passcode: 'open sesame', expire_value: 2 }, pat);
      for (let i = 0; i < 3; i++) await reveal(t.baseUrl, secret.token, { passcode: `wrong ${i}` }).expect(401);
      // Holds the right guess after it is judged, before its reveal statement: its attempt is still reserved.
      const repository = t.app.get(SecretRepository);
      const original = repository.reveal.bind(repository);
      let judgedRight!: () => void;
      const rightJudged = new Promise<void>((resolve) => (judgedRight = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const held = jest.spyOn(repository, 'reveal').mockImplementation(async (...args) => {
        if (args[2]) {
          judgedRight();
          await released;
        }
        return original(...args);
      });
      try {
        const right = reveal(t.baseUrl, secret.token, { passcode: 'open sesame' }).then((res) => res);
        await rightJudged;
        const wrong = await reveal(t.baseUrl, secret.token, { passcode: 'wrong 3' }).expect(401);
        expect(wrong.body.attempts_remaining).toBe(1);
        release();
        expect((await right).body).toEqual({ data: { kind: 'text', content: 'guarded' } });
      } finally {
        release();
        held.mockRestore();
      }
      const [row] = await t.dataSource.query('SELECT status, failed_attempts, pending_passcode_guesses FROM secrets WHERE id = $1', [
        secret.id,
      ]);
      expect(row).toEqual({ status: 'active', failed_attempts: 4, pending_passcode_guesses: 0 });
      const last = await reveal(t.baseUrl, secret.token, { passcode: 'wrong 4' }).expect(401);
      expect(last.body.attempts_remaining).toBe(0);
      await reveal(t.baseUrl, secret.token, { passcode: 'open sesame' }).expect(410);
    });

    it('spends nothing, and gives the attempt back, when the client leaves while its right passcode is judged', async () => {
      const secret = await newSecret(t.baseUrl, { content: 'guarded', passcode: 'open sesame', expire_value: 1 }, pat);
      const leaving = new AbortController();
      // The client leaves once the hash has answered, and the server has seen it go, before the reveal statement.
      const hasher = t.app.get(PasswordHasher);
      const original = hasher.verifyPasscode.bind(hasher);
      // Asserted in the test, not here: a throw here would be taken as a guess not judged.
      let seenGone: boolean | undefined;
      const judged = jest.spyOn(hasher, 'verifyPasscode').mockImplementation(async (...args) => {
        const right = await original(...args);
        leaving.abort();
        seenGone = await eventually(() => args[2]!(), 10);
        return right;
      });
      try {
        const sent = fetch(`${t.baseUrl}/api/v1/links/${secret.token}/reveal`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ passcode: 'open sesame' }),
          signal: leaving.signal,
        });
        await expect(sent).rejects.toThrow();
        // The attempt goes back after the 499 is decided, so the row is read once it has.
        const row = async () =>
          t.dataSource.query<[Record<string, unknown>]>(
            'SELECT status, views_remaining, failed_attempts, pending_passcode_guesses FROM secrets WHERE id = $1',
            [secret.id],
          );
        await eventually(async () => (await row())[0].pending_passcode_guesses === 0, 10);
        expect(seenGone).toBe(true);
        expect((await row())[0]).toEqual({ status: 'active', views_remaining: 1, failed_attempts: 0, pending_passcode_guesses: 0 });
      } finally {
        judged.mockRestore();
      }
    });

    it('frees the attempts of guesses an instance died judging once their minute is up, and only then', async () => {
      const secret = await newSecret(t.baseUrl, { content: 'guarded', passcode: 'open sesame', expire_value: 2 }, pat);
      // As an instance killed while it judged five guesses leaves the row: every attempt held.
      const repository = t.app.get(SecretRepository);
      for (let i = 0; i < 5; i++) expect(await repository.reservePasscodeAttempt(secret.id, 5)).toBe(true);
      expect(await repository.reservePasscodeAttempt(secret.id, 5)).toBe(false);
      // The minute they hold their attempts for runs out (moved back here rather than waited for).
      await t.dataSource.query(`UPDATE secrets SET passcode_guesses_until = passcode_guesses_until - interval '61 seconds' WHERE id = $1`, [
        secret.id,
      ]);
      const opened = await reveal(t.baseUrl, secret.token, { passcode: 'open sesame' }).expect(200);
      expect(opened.body).toEqual({ data: { kind: 'text', content: 'guarded' } });
      const wrong = await reveal(t.baseUrl, secret.token, { passcode: 'not it' }).expect(401);
      expect(wrong.body.attempts_remaining).toBe(4);
      const [row] = await t.dataSource.query('SELECT status, failed_attempts, pending_passcode_guesses FROM secrets WHERE id = $1', [
        secret.id,
      ]);
      expect(row).toEqual({ status: 'active', failed_attempts: 1, pending_passcode_guesses: 0 });
    });

    it('records the fifth wrong guess and the burn together or not at all', async () => {
      const secret = await newSecret(t.baseUrl, { content: 'guarded', passcode: 'open sesame', expire_value: 2 }, pat);
      for (let i = 0; i < 4; i++) await reveal(t.baseUrl, secret.token, { passcode: `wrong ${i}` }).expect(401);
      const state = async () =>
        (
          await t.dataSource.query(
            'SELECT status, failed_attempts, pending_passcode_guesses, ciphertext IS NOT NULL AS sealed FROM secrets WHERE id = $1',
            [secret.id],
          )
        )[0];
      await t.dataSource.query(
        `CREATE FUNCTION refuse_burn_audit() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.type = 'secret.burned' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$`,
      );
      await t.dataSource.query(
        'CREATE TRIGGER refuse_burn_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_burn_audit()',
      );
      try {
        await reveal(t.baseUrl, secret.token, { passcode: 'wrong 4' }).expect(500);
        // The burn failed, so the fifth wrong guess is not recorded either, and its attempt is back.
        expect(await state()).toEqual({ status: 'active', failed_attempts: 4, pending_passcode_guesses: 0, sealed: true });
      } finally {
        await t.dataSource.query('DROP TRIGGER refuse_burn_audit ON audit_events');
        await t.dataSource.query('DROP FUNCTION refuse_burn_audit()');
      }
      expect((await reveal(t.baseUrl, secret.token, { passcode: 'wrong 4' }).expect(401)).body.attempts_remaining).toBe(0);
      expect(await state()).toEqual({ status: 'burned', failed_attempts: 5, pending_passcode_guesses: 0, sealed: false });
    });

    it('burns a secret left open with five wrong guesses recorded (by a build before the two were one transaction)', async () => {
      const secret = await newSecret(t.baseUrl, { content: 'guarded', passcode: 'open sesame', expire_value: 2 }, pat);
      await t.dataSource.query('UPDATE secrets SET failed_attempts = 5 WHERE id = $1', [secret.id]);
      const res = await reveal(t.baseUrl, secret.token, { passcode: 'open sesame' }).expect(410);
      expect(res.body.code).toBe('secret_burned');
      const [row] = await t.dataSource.query('SELECT status, ciphertext FROM secrets WHERE id = $1', [secret.id]);
      expect(row).toEqual({ status: 'burned', ciphertext: null });
    });

    it('judges at most five of 16 parallel guesses, and a right one among them gives its attempt back', async () => {
      const secret = await newSecret(t.baseUrl, { passcode: 'open sesame', expire_value: 2 }, pat);
      const judged = jest.spyOn(argon2, 'verify');
      try {
        const guesses = await Promise.all(
          Array.from({ length: 16 }, (_, i) => reveal(t.baseUrl, secret.token, { passcode: `wrong guess ${i}` })),
        );
        expect(judged).toHaveBeenCalledTimes(5);
        const statuses = guesses.map((res) => res.status).sort();
        expect(statuses.filter((status) => status === 401)).toHaveLength(5);
        expect(statuses.every((status) => [401, 410, 429].includes(status))).toBe(true);
      } finally {
        judged.mockRestore();
      }
      await reveal(t.baseUrl, secret.token, { passcode: 'open sesame' }).expect(410);

      const other = await newSecret(t.baseUrl, { passcode: 'open sesame', expire_value: 2 }, pat);
      await reveal(t.baseUrl, other.token, { passcode: 'wrong' }).expect(401);
      await reveal(t.baseUrl, other.token, { passcode: 'open sesame' }).expect(200);
      const [row] = await t.dataSource.query('SELECT failed_attempts FROM secrets WHERE id = $1', [other.id]);
      expect(row).toEqual({ failed_attempts: 1 });
    });

    it('opens a passcode secret for as many concurrent right guesses as it has views, more than five included', async () => {
      const secret = await newSecret(t.baseUrl, { passcode: 'open sesame', expire_value: 8 }, pat);
      const guesses = await Promise.all(Array.from({ length: 12 }, () => reveal(t.baseUrl, secret.token, { passcode: 'open sesame' })));
      const statuses = guesses.map((res) => res.status).sort();
      expect(statuses).toEqual([...Array(8).fill(200), ...Array(4).fill(410)]);
    }, 60_000);

    it('answers concurrent wrong guesses past the fifth 410 once the fifth has burned the secret, not 429', async () => {
      const secret = await newSecret(t.baseUrl, { passcode: 'open sesame', expire_value: 3 }, pat);
      const guesses = await Promise.all(Array.from({ length: 12 }, (_, i) => reveal(t.baseUrl, secret.token, { passcode: `wrong ${i}` })));
      const statuses = guesses.map((res) => res.status).sort();
      expect(statuses).toEqual([...Array(5).fill(401), ...Array(7).fill(410)]);
    }, 60_000);

    it('gives back the attempt of a guess the busy passcode gate refused unjudged', async () => {
      // 100 guesses at once: one is judged at a time and 64 may wait, so the rest are a 503.
      const secrets = await Promise.all(Array.from({ length: 20 }, () => newSecret(t.baseUrl, { passcode: 'open sesame' }, pat)));
      const answers = await Promise.all(
        secrets.flatMap((secret) =>
          Array.from({ length: 5 }, async (_, i) => {
            const answer = await reveal(t.baseUrl, secret.token, { passcode: `wrong guess ${i}` });
            return { id: secret.id, status: answer.status, code: answer.body.code };
          }),
        ),
      );
      const busy = answers.filter((answer) => answer.status === 503);
      expect(busy.length).toBeGreaterThan(0);
      expect(busy.every((answer) => answer.code === 'server_busy')).toBe(true);
      expect(answers.every((answer) => [401, 503].includes(answer.status))).toBe(true);
      const rows: Array<{ id: string; failed_attempts: number; status: string }> = await t.dataSource.query(
        'SELECT id, failed_attempts, status FROM secrets WHERE id = ANY($1)',
        [secrets.map((secret) => secret.id)],
      );
      for (const row of rows) {
        const judged = answers.filter((answer) => answer.id === row.id && answer.status === 401).length;
        expect({ id: row.id, attempts: row.failed_attempts, burned: row.status === 'burned' }).toEqual({
          id: row.id,
          attempts: judged,
          burned: judged === 5,
        });
      }
      // A secret whose guesses were refused unjudged still opens with its passcode.
      const spared = secrets.find((secret) => rows.some((row) => row.id === secret.id && row.status === 'active'))!;
      await reveal(t.baseUrl, spared.token, { passcode: 'open sesame' }).expect(200);
      // 65 argon2id checks one after another: 20 s on an idle machine, and three times that beside CI's other specs.
    }, 180_000);

    it('keeps answering passcode reveals while a flood of logins fills the login gate', async () => {
      const secret = await newSecret(t.baseUrl, { passcode: 'open sesame' }, pat);
      let flooding = true;
      const flood = Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          api()
            .post('/api/v1/auth/token')
            .send({ email: `nobody-${i}@example.test`, password: 'wrong password!', device_name: 'x', abilities: ['secrets:read'] }),
        ),
      ).finally(() => (flooding = false));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const res = await reveal(t.baseUrl, secret.token, { passcode: 'open sesame' });
      // Answered while the logins are still queued, not after them.
      expect([res.status, flooding]).toEqual([200, true]);
      const statuses = (await flood).map((answer) => answer.status);
      expect(statuses.filter((status) => status >= 500 && status !== 503)).toEqual([]);
    }, 120_000);

    it('opens with a passcode of emoji with presentation selectors, counted at reveal as at creation', async () => {
      // Four code points, which class-validator's own length counts as two.
      const passcode = '\u2764\ufe0f\u2764\ufe0f';
      const secret = await newSecret(t.baseUrl, { passcode }, pat);
      const res = await reveal(t.baseUrl, secret.token, { passcode }).expect(200);
      expect(res.body.data.content).toBe('correct horse battery staple');
    });

    it('opens with the same passcode typed in another Unicode form (a combining accent, as macOS types é)', async () => {
      const composed = 'caf\u00e9-pass';
      const decomposed = 'cafe\u0301-pass';
      const made = await newSecret(t.baseUrl, { passcode: composed, expire_value: 2 }, pat);
      await reveal(t.baseUrl, made.token, { passcode: decomposed }).expect(200);
      const typed = await newSecret(t.baseUrl, { passcode: decomposed }, pat);
      await reveal(t.baseUrl, typed.token, { passcode: composed }).expect(200);
      // A hash made before passcodes were normalised, of the decomposed form, still opens as typed.
      const older = await newSecret(t.baseUrl, { passcode: 'x'.repeat(8) }, pat);
      await t.dataSource.query('UPDATE secrets SET passcode_hash = $2 WHERE id = $1', [older.id, await argon2.hash(decomposed)]);
      await reveal(t.baseUrl, older.token, { passcode: decomposed }).expect(200);
    });

    it('counts a passcode’s length as it is hashed, in NFC, at creation and at reveal', async () => {
      // Two é typed with combining accents are four code points but two characters: too short, as "éé" is.
      const short = await api()
        .post('/api/v1/secrets')
        .set(bearer(pat))
        .send({ content: 'x', expire_mode: 'views', expire_value: 1, passcode: 'e\u0301e\u0301' })
        .expect(422);
      expect(short.body.errors).toEqual({ passcode: ['The passcode field must be at least 4 characters.'] });
      // 100 é are 100 characters however typed: 200 code points decomposed are not past the 128.
      const long = await newSecret(t.baseUrl, { passcode: '\u00e9'.repeat(100) }, pat);
      const typed = await reveal(t.baseUrl, long.token, { passcode: 'e\u0301'.repeat(100) }).expect(200);
      expect(typed.body.data.content).toBe('correct horse battery staple');
      // क़ (U+0958) grows in NFC, to क and a nukta: 65 typed are 130 as hashed, too long a new passcode.
      const tooLong = await api()
        .post('/api/v1/secrets')
        .set(bearer(pat))
        .send({ content: 'x', expire_mode: 'views', expire_value: 1, passcode: '\u0958'.repeat(65) })
        .expect(422);
      expect(tooLong.body.errors).toEqual({ passcode: ['The passcode field must not be greater than 128 characters.'] });
    });

    it('still opens a secret whose passcode was set before lengths were counted in NFC, whichever form it is typed in', async () => {
      const setEarlier = async (hashOf: string) => {
        const secret = await newSecret(t.baseUrl, { passcode: 'x'.repeat(8) }, pat);
        await t.dataSource.query('UPDATE secrets SET passcode_hash = $2 WHERE id = $1', [secret.id, await argon2.hash(hashOf)]);
        return secret.token;
      };
      // 100 typed, 200 in NFC: hashed in NFC, or (older still) as typed.
      const grown = '\u0958'.repeat(100);
      await reveal(t.baseUrl, await setEarlier(grown.normalize('NFC')), { passcode: grown }).expect(200);
      await reveal(t.baseUrl, await setEarlier(grown), { passcode: grown }).expect(200);
      // Set as two é with combining accents (four code points, then enough): opened with é typed composed.
      await reveal(t.baseUrl, await setEarlier('\u00e9\u00e9'), { passcode: '\u00e9\u00e9' }).expect(200);
    });

    it('stores the passcode only as an argon2id hash', async () => {
      const secret = await newSecret(t.baseUrl, { passcode: 'open sesame' }, pat);
      const [row] = await t.dataSource.query('SELECT passcode_hash FROM secrets WHERE id = $1', [secret.id]);
      expect(row.passcode_hash).toMatch(/^\$argon2id\$/);
      expect(row.passcode_hash).not.toContain('open sesame');
    });
  });

  describe('a forged X-Forwarded-For without TRUST_PROXY', () => {
    it('changes neither the address the audit trail records nor who counts as a reporter', async () => {
      const secret = await newSecret(t.baseUrl, { expire_value: 2 }, pat);
      for (const forged of ['203.0.113.1', '198.51.100.1', '192.0.2.1']) {
        await api().post(`/api/v1/links/${secret.token}/report`).set('X-Forwarded-For', forged).send({ reason: 'spam' }).expect(202);
      }
      await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', '203.0.113.9').expect(200);
      const [viewed] = await t.dataSource.query(`SELECT ip FROM audit_events WHERE target_id = $1 AND type = 'secret.viewed'`, [secret.id]);
      expect(viewed.ip).toMatch(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
    });
  });

  describe('geo-blocking', () => {
    it('answers 403 geo_blocked when the viewer’s country is unknown or not allowed', async () => {
      const pro = await newUser(t.baseUrl);
      await setPlan(t.dataSource, pro.teamId, 'pro');
      const proPat = await newToken(t.baseUrl, pro);
      const secret = await newSecret(t.baseUrl, { allowed_countries: ['fr', 'DE'] }, proPat);
      expect(secret.allowed_countries).toEqual(['FR', 'DE']);
      const res = await reveal(t.baseUrl, secret.token).set('CF-IPCountry', 'FR').expect(403);
      expect(res.body.code).toBe('geo_blocked');
      expect((await api().get(`/api/v1/links/${secret.token}`).expect(200)).body.data.views_remaining).toBe(1);
    });
  });
});
