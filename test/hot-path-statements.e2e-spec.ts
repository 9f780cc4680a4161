import { Client, Connection } from 'pg';
import { eventually } from './support/eventually';
import { bearer, newToken, newUser } from './support/factories';
import { newSecret, reveal } from './support/secrets';
import { setPlan } from './support/teams';
import { useTestApp } from './support/test-app';

/** Counts every statement any pg client in this process sends (the app runs in this process). */
function countStatements() {
  const original = Client.prototype.query;
  let texts: string[] = [];
  Client.prototype.query = function (this: Client, ...args: Parameters<Client['query']>) {
    const [query] = args as unknown[];
    texts.push(typeof query === 'string' ? query : String((query as { text?: string }).text));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as Client['query'];
  return {
    read: () => texts.length,
    texts: () => texts,
    reset: () => (texts = []),
    restore: () => (Client.prototype.query = original),
  };
}

/**
 * Counts the Describes pg sends for a named statement its connection has already parsed: the
 * result's shape, asked for again though a prepared statement's never changes.
 */
function countRedescribes() {
  type Wire = { bind(config: { statement?: string }): void; describe(config: unknown): void };
  const wire = Connection.prototype as unknown as Wire;
  const { bind, describe } = wire;
  const parsedAtBind = new WeakMap<object, boolean>();
  let count = 0;
  wire.bind = function (this: { parsedStatements: Record<string, string> }, config) {
    parsedAtBind.set(this, !!config.statement && this.parsedStatements[config.statement] !== undefined);
    bind.call(this, config);
  };
  wire.describe = function (this: object, config) {
    if (parsedAtBind.get(this)) count++;
    describe.call(this, config);
  };
  return {
    read: () => count,
    restore: () => Object.assign(wire, { bind, describe }),
  };
}

describe('round trips on the hot path', () => {
  // The purge and the webhook worker run on timers; kept out of the way, they add no statements to a request's count.
  const t = useTestApp({ env: { PURGE_INTERVAL_SECONDS: '3600', WEBHOOK_POLL_INTERVAL_MS: '60000' } });
  let pat: string;
  const statements = countStatements();
  afterAll(() => statements.restore());

  beforeAll(async () => {
    pat = await newToken(t.baseUrl, await newUser(t.baseUrl));
    // Its first use records last_used_at off the request path; let that happen before counting.
    await t.http().get('/api/v1/account').set(bearer(pat)).expect(200);
    const touched = async () =>
      (await t.dataSource.query('SELECT last_used_at IS NOT NULL AS set FROM access_tokens WHERE prefix = $1', [pat.slice(0, 13)]))[0].set;
    expect(await eventually(touched, 10)).toBe(true);
  });

  const create = async (token?: string) => {
    const request = t.http().post('/api/v1/secrets');
    if (token) request.set(bearer(token));
    statements.reset();
    const res = await request.send({ content: 'counted', expire_mode: 'views', expire_value: 1 }).expect(201);
    return { count: statements.read(), id: res.body.data.id as string, token: res.body.data.token as string };
  };

  it('creates a team’s secret in 2: the token lookup, then the secret with its audit event', async () => {
    const { count, token } = await create(pat);
    expect(count).toBe(2);
    const [event] = await t.dataSource.query(
      `SELECT type FROM audit_events WHERE type = 'secret.created' ORDER BY created_at DESC LIMIT 1`,
    );
    expect(event).toEqual({ type: 'secret.created' });
    expect(token).toHaveLength(24);
  });

  it('creates a team’s secret without locking the team’s row, which every create in the team would write', async () => {
    const owner = await newUser(t.baseUrl);
    const ownerPat = await newToken(t.baseUrl, owner);
    const teamRow = async () => (await t.dataSource.query(`SELECT xmax::text AS xmax FROM teams WHERE id = $1`, [owner.teamId]))[0];
    // A connection's first create in a month makes its count's row, whose foreign key does lock the team's: made here first.
    await t.dataSource.query(
      `INSERT INTO team_secret_counts (team_id, period, shard, created, content_bytes)
       SELECT $1, date_trunc('month', now() AT TIME ZONE 'UTC')::date, shard, 0, 0 FROM generate_series(0, 63) AS shard`,
      [owner.teamId],
    );
    const before = await teamRow();
    for (let i = 0; i < 3; i++) await create(ownerPat);
    expect(await teamRow()).toEqual(before);
  });

  it('creates an anonymous secret in 1', async () => {
    expect((await create()).count).toBe(1);
  });

  it('reveals in 1: spend, wipe on the last view and audit in one statement', async () => {
    const { id, token } = await create(pat);
    statements.reset();
    expect((await reveal(t.baseUrl, token).expect(200)).body.data.content).toBe('counted');
    expect(statements.read()).toBe(1);
    const [row] = await t.dataSource.query(`SELECT status, ciphertext FROM secrets WHERE id = $1`, [id]);
    expect(row).toEqual({ status: 'burned', ciphertext: null });
  });

  it('queues a view’s webhooks in that same statement', async () => {
    const owner = await newUser(t.baseUrl);
    await setPlan(t.dataSource, owner.teamId, 'pro');
    const proPat = await newToken(t.baseUrl, owner);
    const secret = await newSecret(t.baseUrl, { webhook_url: 'https://hooks.example.com/viewed' }, proPat);
    statements.reset();
    await reveal(t.baseUrl, secret.token).expect(200);
    const spending = statements.texts().filter((text) => text.includes('UPDATE secrets'));
    expect(spending).toHaveLength(1);
    expect(spending[0]).toContain('INSERT INTO webhook_deliveries');
    expect(statements.texts().filter((text) => text.includes('INSERT INTO webhook_deliveries'))).toHaveLength(1);
    const deliveries = await t.dataSource.query(`SELECT type FROM webhook_deliveries WHERE secret_id = $1 ORDER BY type`, [secret.id]);
    expect(deliveries).toEqual([{ type: 'secret.burned' }, { type: 'secret.viewed' }]);
  });

  it('asks for each statement’s result shape once per connection', async () => {
    const redescribes = countRedescribes();
    try {
      for (let i = 0; i < 3; i++) {
        const { token } = await create(pat);
        await reveal(t.baseUrl, token).expect(200);
      }
      expect(redescribes.read()).toBe(0);
    } finally {
      redescribes.restore();
    }
  });
});
