import { bearer } from './support/factories';
import { rowsRead, SentStatement, withStatementsSent } from './support/query-plans';
import { newSecret, reveal } from './support/secrets';
import { newTeamOn } from './support/teams';
import { useTestApp } from './support/test-app';

const ACTIVE = 20_000;

/** `count` active text secrets of the team, straight into the table, as a burst of creates would leave them. */
async function insertActive(
  dataSource: ReturnType<typeof useTestApp>['dataSource'],
  teamId: string,
  count: number,
  burst: string,
): Promise<void> {
  await dataSource.query(
    `INSERT INTO secrets (id, team_id, token_hash, token_prefix, kind, expire_mode, expire_value, views_remaining, expires_at, content_bytes)
     SELECT gen_random_uuid(), $1, sha256(($3 || i)::bytea), 'burst', 'text', 'views', 1, 1, now() + interval '1 day', 1
       FROM generate_series(1, $2::int) i`,
    [teamId, count, burst],
  );
}

describe('statements that find one secret by its id or link, with statistics from when few secrets were active', () => {
  const t = useTestApp({ env: { PURGE_INTERVAL_SECONDS: '3600', WEBHOOK_POLL_INTERVAL_MS: '60000' } });
  let pat: string;

  beforeAll(async () => {
    const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
    pat = team.pat;
    // The partial indexes of active secrets once held rows, then none: what VACUUM records while
    // the active set is small. Autovacuum is held off (the database is this spec's alone) so the
    // statistics stay so while the set grows.
    await t.dataSource.query('ALTER TABLE secrets SET (autovacuum_enabled = false)');
    await insertActive(t.dataSource, team.owner.teamId, 2_000, 'first-');
    await t.dataSource.query(`UPDATE secrets SET status = 'burned' WHERE token_prefix = 'burst'`);
    await t.dataSource.query('VACUUM ANALYZE secrets');
    await insertActive(t.dataSource, team.owner.teamId, ACTIVE, 'second-');
  }, 60_000);

  /** The statements `work` sends that touch secrets, and how many of its rows each reads. */
  const rowsReadBy = async (work: () => Promise<unknown>): Promise<{ statement: string; rows: number }[]> => {
    const sent = await withStatementsSent(
      (text) => /\bsecrets\b/.test(text),
      async (statements: SentStatement[]) => {
        await work();
        return statements;
      },
    );
    expect(sent.length).toBeGreaterThan(0);
    const read = [];
    for (const statement of sent) {
      read.push({ statement: statement.text.replace(/\s+/g, ' ').slice(0, 80), rows: await rowsRead(t.dataSource, 'secrets', statement) });
    }
    return read;
  };

  const expectFewRows = (read: { statement: string; rows: number }[]) => {
    for (const { statement, rows } of read) expect({ statement, rows, few: rows < 10 }).toMatchObject({ statement, few: true });
  };

  it('a reveal reads its own row, not every active secret', async () => {
    const secret = await newSecret(t.baseUrl, {}, pat);
    expectFewRows(await rowsReadBy(() => reveal(t.baseUrl, secret.token).expect(200)));
  });

  it('a reveal with a passcode, right and wrong, reads its own row', async () => {
    const secret = await newSecret(t.baseUrl, { passcode: 'open sesame', expire_value: 3 }, pat);
    expectFewRows(await rowsReadBy(() => reveal(t.baseUrl, secret.token, { passcode: 'wrong one' }).expect(401)));
    expectFewRows(await rowsReadBy(() => reveal(t.baseUrl, secret.token, { passcode: 'open sesame' }).expect(200)));
  });

  it('a PUT and a DELETE read their own row', async () => {
    const secret = await newSecret(t.baseUrl, { expire_value: 2 }, pat);
    expectFewRows(
      await rowsReadBy(() => t.http().put(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).send({ label: 'renamed' }).expect(200)),
    );
    expectFewRows(await rowsReadBy(() => t.http().delete(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).expect(204)));
  });

  // Forgetting a deleted service account reads its team's secrets, not the table's (this spec's other team's 22,000).
  it('a service account’s deletion reads its team’s secrets', async () => {
    const { pat: otherPat } = await newTeamOn('pro', t.baseUrl, t.dataSource);
    const account = (
      await t
        .http()
        .post('/api/v1/team/service-accounts')
        .set(bearer(otherPat))
        .send({ name: 'bot', abilities: ['secrets:write'] })
        .expect(201)
    ).body.data as { id: string; token: string };
    await newSecret(t.baseUrl, {}, account.token);
    expectFewRows(await rowsReadBy(() => t.http().delete(`/api/v1/team/service-accounts/${account.id}`).set(bearer(otherPat)).expect(204)));
  });
});
