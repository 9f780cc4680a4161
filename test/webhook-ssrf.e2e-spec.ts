import supertest from 'supertest';
import { createTestDatabase, TestDatabase } from './support/database';
import { DnsServer, startDnsServer } from './support/dns-server';
import { eventually } from './support/eventually';
import { bearer, newTeam } from './support/factories';
import { newSecret, reveal } from './support/secrets';
import { canChooseNameserver, ServerProcess, serverEnvOn, startServerProcess } from './support/server-process';
import { newTeamAt, setPlan } from './support/teams';
import { useTestApp } from './support/test-app';
import { startWebhookReceiver, WebhookReceiver } from './support/webhook-receiver';

/** Webhook URLs as production sees them: WEBHOOK_ALLOW_PRIVATE off. */
describe('webhook URLs and SSRF', () => {
  const t = useTestApp({ env: { WEBHOOK_RETRY_DELAYS: '0.1', WEBHOOK_POLL_INTERVAL_MS: '100', WEBHOOK_TIMEOUT_MS: '1000' } });
  const api = t.http;
  let pat: string;
  let teamId: string;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    const team = await newTeam(t.baseUrl);
    ({ pat } = team);
    teamId = team.owner.teamId;
    await setPlan(t.dataSource, teamId, 'pro');
    receiver = await startWebhookReceiver();
  });
  afterAll(() => receiver.close());

  const inward = [
    'https://127.0.0.1/hook',
    'https://127.1/hook',
    'https://0x7f.0.0.1/hook',
    'https://0177.0.0.1/hook',
    'https://2130706433/hook',
    'https://[::1]/hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://[::ffff:7f00:1]/hook',
    'https://[::ffff:8.8.8.8]/hook',
    'https://localhost/hook',
    'https://LOCALHOST./hook',
    'https://api.localhost/hook',
    'https://metadata.google.internal/computeMetadata/v1/',
    'https://169.254.169.254/latest/meta-data/',
    'https://[fd00:ec2::254]/latest/meta-data/',
    'https://10.0.0.1/hook',
    'https://172.16.5.4/hook',
    'https://192.168.1.1/hook',
    'https://100.64.0.1/hook',
    'https://[fc00::1]/hook',
    'https://[fe80::1]/hook',
    'https://224.0.0.1/hook',
    'https://[ff02::1]/hook',
    'https://0.0.0.0/hook',
    'https://0/hook',
    'https://[::]/hook',
    'https://[64:ff9b::7f00:1]/hook',
    'https://[2002:7f00:1::1]/hook',
    'https://[::127.0.0.1]/hook',
    'https://[::7f00:1]/hook',
    'https://localhost../hook',
    'https://metadata.google.internal../computeMetadata/v1/',
  ];

  it.each(inward)('refuses %s as a secret’s webhook_url with a 422, storing nothing', async (url) => {
    const before = await t.dataSource.query('SELECT count(*)::int AS n FROM secrets WHERE team_id = $1', [teamId]);
    const res = await api()
      .post('/api/v1/secrets')
      .set(bearer(pat))
      .send({ content: 'x', expire_mode: 'views', expire_value: 1, webhook_url: url })
      .expect(422);
    expect(res.body.errors).toEqual({ webhook_url: [expect.stringMatching(/private, loopback, link-local or metadata/)] });
    const after = await t.dataSource.query('SELECT count(*)::int AS n FROM secrets WHERE team_id = $1', [teamId]);
    expect(after).toEqual(before);
  });

  it.each(inward)('refuses %s as a team endpoint with a 422', async (url) => {
    const res = await api().post('/api/v1/team/webhooks').set(bearer(pat)).send({ url }).expect(422);
    expect(Object.keys(res.body.errors)).toEqual(['url']);
  });

  it.each(['http://hooks.example.com/x', 'https://user:pw@hooks.example.com/x', 'javascript:alert(1)', 'not a url'])(
    'refuses %s: https only, without credentials',
    async (url) => {
      const res = await api()
        .post('/api/v1/secrets')
        .set(bearer(pat))
        .send({ content: 'x', expire_mode: 'views', expire_value: 1, webhook_url: url })
        .expect(422);
      expect(Object.keys(res.body.errors)).toEqual(['webhook_url']);
    },
  );

  it.each(['http://hooks.example.com/x', 'ftp://hooks.example.com/x'])(
    'says %s is refused as not https, which is all it takes here',
    async (url) => {
      const res = await api().post('/api/v1/team/webhooks').set(bearer(pat)).send({ url }).expect(422);
      expect(res.body.errors).toEqual({ url: ['The url field must be an https URL without credentials.'] });
    },
  );

  it.each(['https://hooks.example.com/x#second', 'https://hooks.example.com/x#'])(
    'refuses %s: a fragment is never sent, so it would only make a second endpoint for one receiver',
    async (url) => {
      const res = await api().post('/api/v1/team/webhooks').set(bearer(pat)).send({ url }).expect(422);
      expect(res.body.errors).toEqual({ url: ['The url field must not have a fragment (#…), which is never sent.'] });
      const secret = await api()
        .post('/api/v1/secrets')
        .set(bearer(pat))
        .send({ content: 'x', expire_mode: 'views', expire_value: 1, webhook_url: url })
        .expect(422);
      expect(Object.keys(secret.body.errors)).toEqual(['webhook_url']);
    },
  );

  it.each(['https://93.184.216.34/hook', 'https://[2606:4700::1111]/hook', 'https://hooks.example.com/oncelink'])(
    'accepts %s',
    async (url) => {
      const secret = await newSecret(t.baseUrl, { webhook_url: url }, pat);
      expect(secret.webhook_url).toBe(url);
    },
  );

  it('checks again where a delivery connects: a host that has come to resolve inward gets nothing', async () => {
    const secret = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: 'https://hooks.example.com/oncelink' }, pat);
    // Since creation, DNS for the webhook host has come to point at this machine.
    const rebound = `http://localhost:${receiver.port}/hook`;
    await t.dataSource.query('UPDATE secrets SET webhook_url = $2 WHERE id = $1', [secret.id, rebound]);
    await reveal(t.baseUrl, secret.token).expect(200);
    const deliveries = async () =>
      (await api().get(`/api/v1/secrets/${secret.id}/webhook-deliveries`).set(bearer(pat)).expect(200)).body.data;
    expect(await eventually(async () => (await deliveries())[0]?.status === 'failed', 10)).toBe(true);
    const [delivery] = await deliveries();
    // The log says it was refused, never where the name led (the server's internal DNS answers).
    expect(delivery).toMatchObject({
      url: rebound,
      attempts: 2,
      last_status_code: null,
      last_error: "Refused: the host's address is not public.",
    });
    expect(receiver.received).toEqual([]);
  });

  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['an IPv4-compatible IPv6 one (::/96), which the filtering agent alone lets through', '[::7f00:1]'],
  ])('records a refused address literal, %s, as a failed attempt, so the delivery runs its course', async (_what, host) => {
    const secret = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: 'https://hooks.example.com/oncelink' }, pat);
    await t.dataSource.query('UPDATE secrets SET webhook_url = $2 WHERE id = $1', [secret.id, `http://${host}:${receiver.port}/hook`]);
    await reveal(t.baseUrl, secret.token).expect(200);
    const deliveries = async () =>
      (await api().get(`/api/v1/secrets/${secret.id}/webhook-deliveries`).set(bearer(pat)).expect(200)).body.data;
    expect(await eventually(async () => (await deliveries())[0]?.status === 'failed', 10)).toBe(true);
    const [delivery] = await deliveries();
    expect(delivery).toMatchObject({ attempts: 2, last_error: "Refused: the host's address is not public." });
    expect(delivery.history).toHaveLength(2);
    expect(receiver.received).toEqual([]);
  });
});

const withOwnNameserver = canChooseNameserver() ? describe : describe.skip;

/** As production sees them, on a server whose nameserver drops the queries for some names, as any domain's owner can make it do. */
withOwnNameserver('webhook URLs while another team’s names never resolve', () => {
  let db: TestDatabase;
  let nameserver: DnsServer;
  let server: ServerProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    nameserver = await startDnsServer({ 'hooks.inward.test': '10.1.2.3' }, (name) => name.endsWith('.silent.test'));
    server = await startServerProcess(serverEnvOn(db), { nameserver: nameserver.address });
  });
  afterAll(async () => {
    await server?.stop();
    nameserver?.close();
    await db?.drop();
  });

  const proTeam = () => newTeamAt('pro', server.baseUrl, db.url);

  it('refuses a name that resolves inward at once while they hang, and refuses theirs (422) when their DNS does not answer', async () => {
    const [victim, attacker] = [await proTeam(), await proTeam()];
    const answered: string[] = [];
    const creates = Array.from({ length: 8 }, (_, i) =>
      supertest(server.baseUrl)
        .post('/api/v1/secrets')
        .set(bearer(attacker))
        .send({ content: 'x', expire_mode: 'views', expire_value: 1, webhook_url: `https://h${i}.silent.test/hook` })
        .then((res) => {
          answered.push('attacker');
          return res;
        }),
    );
    // Their lookups are under way: the nameserver has had queries (an A and an AAAA a lookup) for a few.
    expect(await eventually(() => nameserver.asked.filter((name) => name.endsWith('.silent.test')).length >= 4, 10)).toBe(true);

    const res = await supertest(server.baseUrl)
      .post('/api/v1/team/webhooks')
      .set(bearer(victim))
      .send({ url: 'https://hooks.inward.test/hook' });
    answered.push('victim');
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual({ url: [expect.stringMatching(/private, loopback, link-local or metadata/)] });
    expect(answered).toEqual(['victim']);

    for (const created of await Promise.all(creates)) {
      expect(created.status).toBe(422);
      expect(created.body.errors).toEqual({ webhook_url: [expect.stringMatching(/has a host whose DNS did not answer within 3 s\.$/)] });
    }
    const stored = await supertest(server.baseUrl).get('/api/v1/secrets').set(bearer(attacker)).expect(200);
    expect(stored.body.data).toEqual([]);
  }, 30_000);
});
