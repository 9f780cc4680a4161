import { Client } from 'pg';
import supertest from 'supertest';
import { databaseMode, waitingOnLocks } from './support/database';
import { eventually } from './support/eventually';
import { bearer, newTeam } from './support/factories';
import { CreatedSecret, newSecret, reveal } from './support/secrets';
import { useTestApp } from './support/test-app';

/**
 * A request that began while its secret was active and ends after the secret did: a passcode
 * guess whose hash ran across the end, a reveal, PUT or DELETE that waited on the secret's row
 * across its expiry. Each finds the secret gone, and changes nothing.
 */
describe('a secret that ends while a request on it waits', () => {
  const t = useTestApp();
  let pat: string;

  beforeAll(async () => {
    ({ pat } = await newTeam(t.baseUrl));
  });

  const sql = <T>(text: string, values: unknown[] = []): Promise<T[]> => t.dataSource.query(text, values);
  const pendingGuesses = async (ids: string[]) =>
    (await sql<{ n: number }>(`SELECT coalesce(sum(pending_passcode_guesses), 0)::int AS n FROM secrets WHERE id = ANY($1)`, [ids]))[0].n;
  const eventTypes = async (id: string) =>
    (await sql<{ type: string }>(`SELECT type FROM audit_events WHERE target_id = $1 ORDER BY created_at, type`, [id])).map((e) => e.type);

  /**
   * Sends a wrong guess at `secret` that is judged only after eight others (the reveals' hash gate
   * judges one at a time), once its attempt is reserved: the guess is then being judged. Its answer
   * comes wrapped, or awaiting this would await it too.
   */
  async function guessBeingJudged(secret: CreatedSecret): Promise<{ answer: Promise<supertest.Response> }> {
    const fillers = await Promise.all([1, 2].map(() => newSecret(t.baseUrl, { passcode: 'open sesame' }, pat)));
    const ahead = fillers.flatMap((filler) => [1, 2, 3, 4].map((i) => reveal(t.baseUrl, filler.token, { passcode: `filler ${i}` }).then()));
    expect(await eventually(async () => (await pendingGuesses(fillers.map((filler) => filler.id))) === 8, 10, 10)).toBe(true);
    const guess = reveal(t.baseUrl, secret.token, { passcode: 'not the passcode' }).then();
    expect(await eventually(async () => (await pendingGuesses([secret.id])) === 1, 10, 10)).toBe(true);
    return { answer: Promise.all([guess, ...ahead]).then(([answer]) => answer) };
  }

  it('answers a wrong passcode judged after the secret expired with its 410, counting nothing and burning nothing', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'guarded', passcode: 'open sesame', expire_value: 2 }, pat);
    for (let i = 1; i <= 4; i++) await reveal(t.baseUrl, secret.token, { passcode: `wrong ${i}` }).expect(401);
    const guess = await guessBeingJudged(secret);
    // Premise: the fifth guess is still being judged (its attempt is held, no wrong one recorded) as the secret expires.
    const [[expired]] = await sql<{ pending_passcode_guesses: number; failed_attempts: number }[]>(
      `UPDATE secrets SET expires_at = clock_timestamp() WHERE id = $1 RETURNING pending_passcode_guesses, failed_attempts`,
      [secret.id],
    );
    expect(expired).toEqual({ pending_passcode_guesses: 1, failed_attempts: 4 });

    const res = await guess.answer;
    expect([res.status, res.body.code]).toEqual([410, 'secret_expired']);
    const [row] = await sql<{ status: string; failed_attempts: number }>(`SELECT status, failed_attempts FROM secrets WHERE id = $1`, [
      secret.id,
    ]);
    expect(row.failed_attempts).toBe(4);
    expect(row.status).not.toBe('burned');
    expect((await t.http().get(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).expect(200)).body.data.status).toBe('expired');
    expect((await t.http().get(`/api/v1/links/${secret.token}`).expect(410)).body.code).toBe('secret_expired');
    expect((await eventTypes(secret.id)).filter((type) => type !== 'secret.created' && type !== 'secret.expired')).toEqual(
      Array(4).fill('secret.passcode_failed'),
    );
  });

  it('answers a wrong passcode judged after the secret was deleted with its 410, counting nothing', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'guarded', passcode: 'open sesame' }, pat);
    const guess = await guessBeingJudged(secret);
    await t.http().delete(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).expect(204);
    // Premise: the guess was still being judged when the secret was deleted.
    expect(await pendingGuesses([secret.id])).toBe(1);

    const res = await guess.answer;
    expect([res.status, res.body.code]).toEqual([410, 'secret_deleted']);
    const [row] = await sql<{ failed_attempts: number }>(`SELECT failed_attempts FROM secrets WHERE id = $1`, [secret.id]);
    expect(row.failed_attempts).toBe(0);
    expect(await eventTypes(secret.id)).not.toContain('secret.passcode_failed');
  });

  // Holding the row needs a second connection, which PGlite does not serve.
  (databaseMode() === 'postgresql' ? it : it.skip)(
    'finds the secret expired for a wrong passcode that waited on its row across the expiry, counting nothing',
    async () => {
      const secret = await newSecret(t.baseUrl, { content: 'guarded', passcode: 'open sesame', expire_value: 5 }, pat);
      const holder = new Client({ connectionString: t.db.url });
      const watcher = new Client({ connectionString: t.db.url });
      await Promise.all([holder.connect(), watcher.connect()]);
      try {
        const guess = await guessBeingJudged(secret);
        await holder.query('BEGIN');
        await holder.query(`SELECT 1 FROM secrets WHERE id = $1 FOR UPDATE`, [secret.id]);
        // Premise: the judged guess's record waits on the row while the secret is still active
        // (its expiry set only once it waits: the guess's judging may take seconds on a busy machine).
        expect(await waitingOnLocks(watcher, 1)).toBe(true);
        await holder.query(`UPDATE secrets SET expires_at = clock_timestamp() + interval '1 second' WHERE id = $1`, [secret.id]);
        expect((await holder.query(`SELECT expires_at > clock_timestamp() AS live FROM secrets WHERE id = $1`, [secret.id])).rows).toEqual([
          { live: true },
        ]);
        await holder.query(`SELECT pg_sleep(extract(epoch FROM expires_at - clock_timestamp())::float8) FROM secrets WHERE id = $1`, [
          secret.id,
        ]);
        await holder.query('COMMIT');

        const res = await guess.answer;
        expect([res.status, res.body.code]).toEqual([410, 'secret_expired']);
        const [row] = await sql<{ status: string; failed_attempts: number }>(`SELECT status, failed_attempts FROM secrets WHERE id = $1`, [
          secret.id,
        ]);
        expect(row.failed_attempts).toBe(0);
        expect(await eventTypes(secret.id)).not.toContain('secret.passcode_failed');
      } finally {
        await Promise.all([holder.end(), watcher.end()]);
      }
    },
  );

  // Holding the row needs a second connection, which PGlite does not serve.
  (databaseMode() === 'postgresql' ? it : it.skip)(
    'finds the secret expired for a reveal, PUT and DELETE that waited on its row across the expiry',
    async () => {
      const secret = await newSecret(t.baseUrl, { content: 'due soon', expire_value: 5 }, pat);
      const holder = new Client({ connectionString: t.db.url });
      const watcher = new Client({ connectionString: t.db.url });
      await Promise.all([holder.connect(), watcher.connect()]);
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM secrets WHERE id = $1 FOR UPDATE', [secret.id]);
        const answers = [
          fetch(`${t.baseUrl}/api/v1/links/${secret.token}/reveal`, { method: 'POST' }),
          fetch(`${t.baseUrl}/api/v1/secrets/${secret.id}`, {
            method: 'PUT',
            headers: { ...bearer(pat), 'content-type': 'application/json' },
            body: JSON.stringify({ expire_value: 10 }),
          }),
          fetch(`${t.baseUrl}/api/v1/secrets/${secret.id}`, { method: 'DELETE', headers: bearer(pat) }),
        ];
        expect(await waitingOnLocks(watcher, 3)).toBe(true);
        // Premise: all three wait on the row while the secret is still active (its expiry set only
        // once they wait: on a busy machine they may take seconds to get there).
        await holder.query(`UPDATE secrets SET expires_at = clock_timestamp() + interval '1 second' WHERE id = $1`, [secret.id]);
        expect((await holder.query(`SELECT expires_at > clock_timestamp() AS live FROM secrets WHERE id = $1`, [secret.id])).rows).toEqual([
          { live: true },
        ]);
        await holder.query(`SELECT pg_sleep(extract(epoch FROM expires_at - clock_timestamp())::float8) FROM secrets WHERE id = $1`, [
          secret.id,
        ]);
        await holder.query('COMMIT');

        const results = await Promise.all(
          answers.map(async (answer) => {
            const res = await answer;
            const body = await res.text();
            return [res.status, body && (JSON.parse(body) as { code?: string }).code];
          }),
        );
        expect(results).toEqual(Array(3).fill([410, 'secret_expired']));
        const [row] = (
          await watcher.query(`SELECT status, views_count, expires_at <= clock_timestamp() AS ended FROM secrets WHERE id = $1`, [
            secret.id,
          ])
        ).rows;
        expect(row).toEqual({ status: expect.stringMatching(/^(active|expired)$/), views_count: 0, ended: true });
        expect((await t.http().get(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).expect(200)).body.data.status).toBe('expired');
      } finally {
        await Promise.all([holder.end(), watcher.end()]);
      }
    },
  );
});
