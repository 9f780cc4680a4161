import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { databaseMode, waitingOnLocks } from './support/database';
import { bearer, newToken, newUser } from './support/factories';
import { damageGermany, damagedCopy } from './support/mmdb';
import { newSecret, reveal } from './support/secrets';
import { setPlan } from './support/teams';
import { TestApp, useTestApp } from './support/test-app';

/** Behind a trusted proxy (TRUST_PROXY=loopback) the forwarded address and country count. */
describe('links behind a trusted proxy', () => {
  const t = useTestApp({ env: { TRUST_PROXY: 'loopback', REPORT_SUSPEND_THRESHOLD: '3' } });
  const api = t.http;

  describe('POST /api/v1/links/{token}/report', () => {
    const report = (token: string, from: string, reason = 'phishing') =>
      api().post(`/api/v1/links/${token}/report`).set('X-Forwarded-For', from).send({ reason });

    it('suspends the link once three distinct networks have reported it', async () => {
      const secret = await newSecret(t.baseUrl, { expire_value: 5 });
      expect((await report(secret.token, '203.0.113.1').expect(202)).body).toEqual({ message: 'Report received.' });
      await report(secret.token, '203.0.113.1').expect(202);
      await report(secret.token, '203.0.113.1').expect(202);
      // One client with a few addresses of its network is still one reporter, IPv6 by its /48.
      await report(secret.token, '203.0.113.2').expect(202);
      await report(secret.token, '203.0.113.250').expect(202);
      await report(secret.token, '2001:db8:1:2::1').expect(202);
      await report(secret.token, '2001:db8:1:2::ffff').expect(202);
      await reveal(t.baseUrl, secret.token).expect(200);
      await report(secret.token, '198.51.100.7').expect(202);
      const res = await reveal(t.baseUrl, secret.token).expect(410);
      expect(res.body).toEqual({ message: 'This link was suspended after reports of abuse.', code: 'secret_suspended' });
      const [row] = await t.dataSource.query('SELECT status, ciphertext FROM secrets WHERE id = $1', [secret.id]);
      expect(row).toEqual({ status: 'deleted', ciphertext: null });
      await report(secret.token, '203.0.113.4').expect(410);
    });

    it('counts an IPv6 reporter by its /48: three /64s of one subscriber’s prefix do not suspend the link', async () => {
      const secret = await newSecret(t.baseUrl, { expire_value: 5 });
      for (const from of ['2001:db8:1:1::1', '2001:db8:1:2::1', '2001:db8:1:ff00::1']) await report(secret.token, from).expect(202);
      await reveal(t.baseUrl, secret.token).expect(200);
      const [{ n }] = await t.dataSource.query('SELECT count(*)::int AS n FROM link_reports WHERE secret_id = $1', [secret.id]);
      expect(n).toBe(1);
    });

    it('does not count a viewer the country rule refuses, answering as to any other (the contract lists only 202)', async () => {
      const secret = await proSecretOn(t.baseUrl, t.dataSource, { allowed_countries: ['DE'], expire_value: 2 });
      // US addresses in three networks, and one whose country is unknown (which the rule refuses too).
      for (const from of ['8.8.8.8', '4.2.2.2', '13.107.21.200', '203.0.113.1']) {
        expect((await report(secret.token, from).expect(202)).body).toEqual({ message: 'Report received.' });
      }
      const [{ n }] = await t.dataSource.query('SELECT count(*)::int AS n FROM link_reports WHERE secret_id = $1', [secret.id]);
      expect(n).toBe(0);
      expect((await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', '5.9.0.1').expect(200)).body.data.content).toBeDefined();
      // A viewer it lets in is counted.
      await report(secret.token, '5.9.0.1').expect(202);
      const [counted] = await t.dataSource.query('SELECT count(*)::int AS n FROM link_reports WHERE secret_id = $1', [secret.id]);
      expect(counted.n).toBe(1);
    });

    it('records the suspension in the team’s audit trail, without the reporters’ addresses', async () => {
      const pat = await newToken(t.baseUrl, await newUser(t.baseUrl));
      const secret = await newSecret(t.baseUrl, {}, pat);
      for (const from of ['203.0.113.1', '198.51.100.7', '192.0.2.9']) await report(secret.token, from).expect(202);
      const trail = (await api().get('/api/v1/team/audit-events').set(bearer(pat)).expect(200)).body.data;
      expect(
        trail
          .filter((event: { target_id: string }) => event.target_id === secret.id)
          .map(({ type, actor, ip }: Record<string, unknown>) => ({ type, actor, ip })),
      ).toEqual([
        // Who reported a link is never kept, nor shown to its team.
        { type: 'secret.suspended', actor: { type: 'link', id: null, name: null }, ip: null },
        { type: 'secret.created', actor: expect.objectContaining({ type: 'user' }), ip: '127.0.0.1' },
      ]);
    });

    it('keeps a reporter as a keyed digest, which a plain hash of every network cannot be matched against', async () => {
      const secret = await newSecret(t.baseUrl, { expire_value: 5 });
      await report(secret.token, '203.0.113.1').expect(202);
      const [row] = await t.dataSource.query('SELECT reporter_hash FROM link_reports WHERE secret_id = $1', [secret.id]);
      // The reporter's network, as it is digested.
      const plain = createHash('sha256').update(`${secret.id}:203.0.113.0/24`).digest();
      expect(row.reporter_hash).toHaveLength(32);
      expect(row.reporter_hash.equals(plain)).toBe(false);
    });

    it('answers 404 for an unknown link and 422 without a reason', async () => {
      await report('AAAAAAAAAAAAAAAAAAAAAAAA', '203.0.113.9').expect(404);
      const secret = await newSecret(t.baseUrl);
      const res = await api().post(`/api/v1/links/${secret.token}/report`).send({}).expect(422);
      expect(Object.keys(res.body.errors)).toEqual(['reason']);
    });

    // The purge needs a connection of its own while the report waits, which PGlite does not serve.
    (databaseMode() === 'postgresql' ? it : it.skip)(
      'answers 409 resource_deleted to a report whose secret is purged meanwhile, recording nothing',
      async () => {
        const secret = await newSecret(t.baseUrl);
        const purge = new Client({ connectionString: t.db.url });
        const watcher = new Client({ connectionString: t.db.url });
        await Promise.all([purge.connect(), watcher.connect()]);
        try {
          // The purge's delete, uncommitted: the report still finds the secret, and its insert waits on the row.
          await purge.query('BEGIN');
          await purge.query('DELETE FROM secrets WHERE id = $1', [secret.id]);
          const answer = report(secret.token, '203.0.113.9').then((res) => res);
          await waitingOnLocks(watcher);
          await purge.query('COMMIT');
          const res = await answer;
          expect({ status: res.status, body: res.body }).toEqual({
            status: 409,
            body: { message: 'Something this request refers to was deleted while it ran.', code: 'resource_deleted' },
          });
        } finally {
          await Promise.all([purge.end(), watcher.end()]);
        }
        const [left] = await t.dataSource.query('SELECT count(*)::int AS n FROM link_reports WHERE secret_id = $1', [secret.id]);
        expect(left.n).toBe(0);
      },
    );
  });

  describe('a forwarded address that is not an address', () => {
    it.each([
      ['text that is no address', 'x'.repeat(60)],
      ['what some proxies send when they do not know', 'unknown'],
      ['an IPv4 address in a form only ipaddr.js reads (octal)', '05.9.0.1'],
    ])('is replaced by the peer’s address in the audit trail: %s', async (_case, forwarded) => {
      const user = await newUser(t.baseUrl);
      const login = await api()
        .post('/api/v1/auth/token')
        .set('X-Forwarded-For', forwarded)
        .send({ email: user.email, password: user.password, device_name: 'cli', abilities: ['secrets:write', 'secrets:read'] })
        .expect(201);
      const pat = login.body.data.token;
      const created = await api()
        .post('/api/v1/secrets')
        .set(bearer(pat))
        .set('X-Forwarded-For', forwarded)
        .send({ content: 'x', expire_mode: 'views', expire_value: 1 })
        .expect(201);
      const events = await t.dataSource.query(
        `SELECT type, ip FROM audit_events WHERE team_id = $1 AND type IN ('token.created', 'secret.created') ORDER BY type`,
        [user.teamId],
      );
      expect(events).toEqual([
        { type: 'secret.created', ip: '127.0.0.1' },
        { type: 'token.created', ip: '127.0.0.1' },
      ]);
      expect(created.body.data.id).toBeDefined();
    });
  });

  describe('geo-blocking from the client address', () => {
    const proSecret = async (body: Record<string, unknown>) => {
      const pro = await newUser(t.baseUrl);
      await setPlan(t.dataSource, pro.teamId, 'pro');
      const pat = await newToken(t.baseUrl, pro);
      return { pat, secret: await newSecret(t.baseUrl, body, pat) };
    };
    const viewsLeft = async (id: string, pat: string) =>
      (await api().get(`/api/v1/secrets/${id}`).set(bearer(pat)).expect(200)).body.data.views_remaining;
    const viewedEvent = async (id: string) =>
      (await t.dataSource.query(`SELECT ip, country FROM audit_events WHERE target_id = $1 AND type = 'secret.viewed'`, [id]))[0];

    it('refuses 8.8.8.8 (US) and opens a DE-only secret for 5.9.0.1 (DE), spending only that view', async () => {
      const { pat, secret } = await proSecret({ content: 'guten tag', allowed_countries: ['DE'], expire_value: 2 });
      const blocked = await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', '8.8.8.8').expect(403);
      expect(blocked.body).toEqual({ message: 'This secret cannot be opened from your country.', code: 'geo_blocked' });
      expect(await viewsLeft(secret.id, pat)).toBe(2);
      const opened = await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', '5.9.0.1').expect(200);
      expect(opened.body.data.content).toBe('guten tag');
      expect(await viewsLeft(secret.id, pat)).toBe(1);
      expect(await viewedEvent(secret.id)).toEqual({ ip: '5.9.0.1', country: 'DE' });
    });

    it('lets a secret allow Kosovo (XK), where the database places 5.206.232.1', async () => {
      const { secret } = await proSecret({ content: 'përshëndetje', allowed_countries: ['xk'] });
      expect(secret.allowed_countries).toEqual(['XK']);
      await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', '5.206.232.1').expect(200);
      expect(await viewedEvent(secret.id)).toEqual({ ip: '5.206.232.1', country: 'XK' });
    });

    it('resolves an IPv6 address', async () => {
      const { secret } = await proSecret({ allowed_countries: ['DE'] });
      await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', '2a01:4f8::1').expect(200);
      expect(await viewedEvent(secret.id)).toEqual({ ip: '2a01:4f8::1', country: 'DE' });
    });

    it.each([
      ['an IPv4 address with the port a proxy added', '5.9.0.1:1111', '5.9.0.1'],
      ['an IPv6 address in brackets with a port', '[2a01:4f8::1]:443', '2a01:4f8::1'],
      ['an IPv4 address as a dual-stack socket maps it', '::ffff:5.9.0.1', '5.9.0.1'],
      ['a mapped IPv4 address written in capitals', '::FFFF:5.9.0.1', '5.9.0.1'],
      ['a mapped IPv4 address written in hexadecimal', '::ffff:0509:0001', '5.9.0.1'],
      ['a mapped IPv4 address in brackets with a port', '[::ffff:5.9.0.1]:443', '5.9.0.1'],
      ['an IPv4-compatible address (::a.b.c.d), which ipaddr.js reads as a mapped one', '::5.9.0.1', '5.9.0.1'],
      ['an IPv6 address written out in full', '2a01:04f8:0000:0000:0000:0000:0000:0001', '2a01:4f8::1'],
      ['an IPv6 address in capitals', '2A01:4F8::1', '2a01:4f8::1'],
      ['an IPv6 address with the zone of the proxy’s interface', '2a01:4f8::1%eth0', '2a01:4f8::1'],
      ['an IPv6 address with a zone longer than the address may be kept', `2a01:4f8::1%${'eth'.repeat(20)}`, '2a01:4f8::1'],
    ])('takes %s as the address itself', async (_case, forwarded, address) => {
      const { secret } = await proSecret({ allowed_countries: ['DE'] });
      await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', forwarded).expect(200);
      expect(await viewedEvent(secret.id)).toEqual({ ip: address, country: 'DE' });
    });

    it.each([
      ['with a port', '5.9.0.1, 127.0.0.2:443'],
      ['in brackets with a port', '5.9.0.1, [::1]:443'],
      ['in brackets', '5.9.0.1, [::1]'],
    ])('walks past a trusted proxy written %s, to the client before it', async (_case, forwarded) => {
      const { secret } = await proSecret({ allowed_countries: ['DE'] });
      await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', forwarded).expect(200);
      expect(await viewedEvent(secret.id)).toEqual({ ip: '5.9.0.1', country: 'DE' });
    });

    it('stops at a hop it does not trust, port or not', async () => {
      const { pat, secret } = await proSecret({ allowed_countries: ['DE'] });
      await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', '5.9.0.1, 8.8.8.8:443').expect(403);
      expect(await viewsLeft(secret.id, pat)).toBe(1);
    });

    it('ignores the country headers a client sends itself', async () => {
      const { pat, secret } = await proSecret({ allowed_countries: ['DE'] });
      for (const header of ['CF-IPCountry', 'X-Country-Code', 'CloudFront-Viewer-Country', 'X-Vercel-IP-Country']) {
        await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', '8.8.8.8').set(header, 'DE').expect(403);
      }
      expect(await viewsLeft(secret.id, pat)).toBe(1);
    });

    it('fails closed for a private address and for loopback without a forwarded address, saying the country is unknown', async () => {
      const { pat, secret } = await proSecret({ allowed_countries: ['DE', 'US'] });
      const unknown = {
        message: 'This secret cannot be opened from where you are: your country could not be determined.',
        code: 'geo_blocked',
      };
      expect((await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', '10.1.2.3').expect(403)).body).toEqual(unknown);
      expect((await reveal(t.baseUrl, secret.token).expect(403)).body).toEqual(unknown);
      expect(await viewsLeft(secret.id, pat)).toBe(1);
    });

    it('records the country in the audit event of every reveal, geo-restricted or not', async () => {
      const { secret } = await proSecret({ content: 'anywhere' });
      await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', '81.2.69.142').expect(200);
      expect(await viewedEvent(secret.id)).toEqual({ ip: '81.2.69.142', country: 'GB' });
    });
  });
});

/** Pro secrets of a fresh team, on whichever app the describe block runs. */
async function proSecretOn(baseUrl: string, dataSource: TestApp['dataSource'], body: Record<string, unknown>) {
  const pro = await newUser(baseUrl);
  await setPlan(dataSource, pro.teamId, 'pro');
  return newSecret(baseUrl, body, await newToken(baseUrl, pro));
}

describe('an edge country header named by GEO_COUNTRY_HEADER, from a trusted proxy', () => {
  const t = useTestApp({ env: { TRUST_PROXY: 'loopback', GEO_COUNTRY_HEADER: 'CF-IPCountry' } });

  it('is believed over the address, and only that header', async () => {
    const secret = await proSecretOn(t.baseUrl, t.dataSource, { allowed_countries: ['DE'], expire_value: 2 });
    await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', '8.8.8.8').set('X-Country-Code', 'DE').expect(403);
    await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', '8.8.8.8').set('CF-IPCountry', 'DE').expect(200);
    const [viewed] = await t.dataSource.query(`SELECT country FROM audit_events WHERE target_id = $1 AND type = 'secret.viewed'`, [
      secret.id,
    ]);
    expect(viewed).toEqual({ country: 'DE' });
  });

  it.each([
    ['XX', 'Cloudflare’s unknown'],
    ['T1', 'Cloudflare’s Tor'],
    ['EU', 'a region'],
    ['AP', 'a region'],
    ['A1', 'an anonymous proxy'],
    ['ZZ', 'a code no country has'],
  ])('falls back to the address when the edge says %s (%s), which no secret could allow', async (header) => {
    const secret = await proSecretOn(t.baseUrl, t.dataSource, { allowed_countries: ['DE'] });
    await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', '5.9.0.1').set('CF-IPCountry', header).expect(200);
  });
});

describe('an edge country header from a peer TRUST_PROXY does not trust', () => {
  const t = useTestApp({ env: { GEO_COUNTRY_HEADER: 'CF-IPCountry' } });

  it('changes nothing: the peer’s own address decides (loopback: unknown, closed)', async () => {
    const secret = await proSecretOn(t.baseUrl, t.dataSource, { allowed_countries: ['DE'] });
    await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', '5.9.0.1').set('CF-IPCountry', 'DE').expect(403);
  });
});

describe('a country database damaged where some viewers’ addresses are (its start-up check passes)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'oncelink-mmdb-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const t = useTestApp(() => ({
    env: { TRUST_PROXY: 'loopback', GEOIP_DATABASE: damagedCopy(join(dir, 'germany.mmdb'), damageGermany) },
  }));
  const api = t.http;

  it('fails closed for those viewers (403 geo_blocked, no view spent), and serves the rest', async () => {
    const pro = await newUser(t.baseUrl);
    await setPlan(t.dataSource, pro.teamId, 'pro');
    const pat = await newToken(t.baseUrl, pro);
    const secret = await newSecret(t.baseUrl, { allowed_countries: ['DE', 'US'] }, pat);
    const blocked = await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', '5.9.0.1').expect(403);
    expect(blocked.body.code).toBe('geo_blocked');
    expect((await api().get(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).expect(200)).body.data.views_remaining).toBe(1);
    await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', '8.8.8.8').expect(200);
  });

  it('lets those viewers log in and create secrets, whose audit events record no country', async () => {
    const user = await newUser(t.baseUrl);
    const login = await api()
      .post('/api/v1/auth/token')
      .set('X-Forwarded-For', '2a01:4f8::1')
      .send({ email: user.email, password: user.password, device_name: 'cli', abilities: ['secrets:write'] })
      .expect(201);
    await api()
      .post('/api/v1/secrets')
      .set(bearer(login.body.data.token))
      .set('X-Forwarded-For', '5.9.0.1')
      .send({ content: 'x', expire_mode: 'views', expire_value: 1 })
      .expect(201);
    const events = await t.dataSource.query(
      `SELECT type, ip, country FROM audit_events WHERE team_id = $1 AND type IN ('token.created', 'secret.created') ORDER BY type`,
      [user.teamId],
    );
    expect(events).toEqual([
      { type: 'secret.created', ip: '5.9.0.1', country: null },
      { type: 'token.created', ip: '2a01:4f8::1', country: null },
    ]);
  });
});
