import { bearer } from './support/factories';
import { rowsRead, SentStatement, withStatementsSent } from './support/query-plans';
import { newTeamOn } from './support/teams';
import { useTestApp } from './support/test-app';

/** Rows of each list, put straight into its table. */
const ROWS = 3_000;

const PER_PAGE = 100;

/** A page well past the last one the seeded rows fill. */
const PAST_THE_END = Math.ceil(ROWS / PER_PAGE) + 10;

interface List {
  path: string;
  table: string;
  /** Fills the table with ROWS of the list's rows for the caller's team and user. */
  seed: (ids: { teamId: string; userId: string }) => [sql: string, params: string[]];
}

const LISTS: Record<string, List> = {
  secrets: {
    path: '/api/v1/secrets',
    table: 'secrets',
    seed: ({ teamId, userId }) => [
      `INSERT INTO secrets (id, team_id, created_by, token_hash, token_prefix, kind, expire_mode, expire_value, views_remaining, expires_at, content_bytes)
           SELECT gen_random_uuid(), $1::uuid, $2::uuid, sha256(('past-the-end-' || i)::bytea), 'bulk', 'text', 'views', 1, 1, now() + interval '1 day', 1
             FROM generate_series(1, ${ROWS}) i`,
      [teamId, userId],
    ],
  },
  'audit events': {
    path: '/api/v1/team/audit-events',
    table: 'audit_events',
    seed: ({ teamId, userId }) => [
      `INSERT INTO audit_events (id, team_id, type, actor_type, actor_id)
           SELECT gen_random_uuid(), $1::uuid, 'secret.created', 'user', $2::uuid FROM generate_series(1, ${ROWS})`,
      [teamId, userId],
    ],
  },
  'webhook deliveries': {
    path: '/api/v1/team/webhook-deliveries',
    table: 'webhook_deliveries',
    seed: ({ teamId }) => [
      `INSERT INTO webhook_deliveries (id, event_id, team_id, secret_id, type, url, data)
           SELECT gen_random_uuid(), 'evt_' || i, $1::uuid, (SELECT id FROM secrets WHERE team_id = $1::uuid LIMIT 1),
                  'secret.viewed', 'https://hooks.example.test/', '{}'
             FROM generate_series(1, ${ROWS}) i`,
      [teamId],
    ],
  },
  webhooks: {
    path: '/api/v1/team/webhooks',
    table: 'webhook_endpoints',
    seed: ({ teamId }) => [
      `INSERT INTO webhook_endpoints (id, team_id, url, events)
           SELECT gen_random_uuid(), $1::uuid, 'https://hooks.example.test/' || i, ARRAY['secret.viewed']
             FROM generate_series(1, ${ROWS}) i`,
      [teamId],
    ],
  },
  tokens: {
    path: '/api/v1/auth/tokens',
    table: 'access_tokens',
    seed: ({ teamId, userId }) => [
      `INSERT INTO access_tokens (id, team_id, user_id, name, token_hash, prefix, abilities, mode)
           SELECT gen_random_uuid(), $1::uuid, $2::uuid, 'bulk', sha256(('past-the-end-' || i)::bytea), 'olk_bulk', ARRAY['secrets:read'], 'live'
             FROM generate_series(1, ${ROWS}) i`,
      [teamId, userId],
    ],
  },
  members: {
    path: '/api/v1/team/members',
    table: 'team_members',
    seed: ({ teamId }) => [
      `WITH bulk AS (
             INSERT INTO users (id, name, email) SELECT gen_random_uuid(), 'Bulk', 'bulk-' || gen_random_uuid() || '@example.test'
               FROM generate_series(1, ${ROWS}) i RETURNING id
           )
           INSERT INTO team_members (team_id, user_id, role) SELECT $1::uuid, id, 'member' FROM bulk`,
      [teamId],
    ],
  },
};

describe('a page past the end of a list', () => {
  const t = useTestApp({ env: { PURGE_INTERVAL_SECONDS: '3600', WEBHOOK_POLL_INTERVAL_MS: '60000' } });
  let pat: string;
  let teamId: string;
  let userId: string;

  beforeAll(async () => {
    const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
    ({ pat } = team);
    ({ teamId, id: userId } = team.owner);
    for (const list of Object.values(LISTS)) await t.dataSource.query(...list.seed({ teamId, userId }));
    for (const list of Object.values(LISTS)) await t.dataSource.query(`ANALYZE ${list.table}`);
  }, 60_000);

  /** The total a list's first page answers. */
  const totalOf = async (path: string): Promise<number> =>
    (await t.http().get(path).query({ per_page: PER_PAGE }).set(bearer(pat)).expect(200)).body.meta.total;

  /** Each statement `work` sends that names `table`, with whether it counts and the rows of `table` it reads. */
  const readsOf = async (table: string, work: () => Promise<unknown>) => {
    const sent = await withStatementsSent(
      (text) => new RegExp(`\\b${table}\\b`).test(text),
      async (statements: SentStatement[]) => {
        await work();
        return statements;
      },
    );
    const reads = [];
    for (const statement of sent) {
      const text = statement.text.replace(/\s+/g, ' ');
      reads.push({
        statement: text.slice(0, 100),
        counts: /^SELECT COUNT\(/i.test(text),
        rows: await rowsRead(t.dataSource, table, statement),
      });
    }
    return reads;
  };

  it.each(Object.keys(LISTS))(
    'of %s answers no rows with the meta its first page has, and reads the table only to count it',
    async (name) => {
      const { path, table } = LISTS[name];
      const total = await totalOf(path);
      expect(total).toBeGreaterThanOrEqual(ROWS);

      let body: unknown;
      const reads = await readsOf(table, async () => {
        ({ body } = await t.http().get(path).query({ page: PAST_THE_END, per_page: PER_PAGE }).set(bearer(pat)).expect(200));
      });

      expect(body).toEqual({
        data: [],
        meta: { current_page: PAST_THE_END, per_page: PER_PAGE, total, last_page: Math.ceil(total / PER_PAGE) },
      });
      expect(reads.filter((read) => read.counts)).toHaveLength(1);
      // Besides the count, nothing walks the table: authentication reads only the caller's own rows
      // (its token; its memberships, which the planner may take by user rather than by team and
      // user: once in CI it read the owner's 12), never a page's worth, let alone the rows a page skips.
      expect(reads.filter((read) => !read.counts && read.rows >= PER_PAGE)).toEqual([]);
    },
  );

  it.each(Object.keys(LISTS))('of %s ends where its last page does: that page still has its rows', async (name) => {
    const { path } = LISTS[name];
    const total = await totalOf(path);
    const lastPage = Math.ceil(total / PER_PAGE);

    const { body } = await t.http().get(path).query({ page: lastPage, per_page: PER_PAGE }).set(bearer(pat)).expect(200);

    expect(body.data).toHaveLength(total - (lastPage - 1) * PER_PAGE);
    expect(body.meta).toEqual({ current_page: lastPage, per_page: PER_PAGE, total, last_page: lastPage });
  });
});
