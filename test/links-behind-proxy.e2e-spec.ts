import { newToken, newUser } from './support/factories';
import { newSecret, reveal } from './support/secrets';
import { setPlan } from './support/teams';
import { useTestApp } from './support/test-app';

/** Behind a trusted proxy (TRUST_PROXY=loopback) the forwarded address and country count. */
describe('links behind a trusted proxy', () => {
  const t = useTestApp({ env: { TRUST_PROXY: 'loopback', REPORT_SUSPEND_THRESHOLD: '3' } });
  const api = t.http;

  describe('POST /api/v1/links/{token}/report', () => {
    const report = (token: string, from: string, reason = 'phishing') =>
      api().post(`/api/v1/links/${token}/report`).set('X-Forwarded-For', from).send({ reason });

    it('suspends the link once three distinct reporters have reported it', async () => {
      const secret = await newSecret(t.baseUrl, { expire_value: 5 });
      expect((await report(secret.token, '203.0.113.1').expect(202)).body).toEqual({ message: 'Report received.' });
      await report(secret.token, '203.0.113.1').expect(202);
      await report(secret.token, '203.0.113.1').expect(202);
      await reveal(t.baseUrl, secret.token).expect(200);
      await report(secret.token, '203.0.113.2').expect(202);
      await report(secret.token, '203.0.113.3').expect(202);
      const res = await reveal(t.baseUrl, secret.token).expect(410);
      expect(res.body).toEqual({ message: 'This link was suspended after reports of abuse.', code: 'secret_suspended' });
      const [row] = await t.dataSource.query('SELECT status, ciphertext FROM secrets WHERE id = $1', [secret.id]);
      expect(row).toEqual({ status: 'deleted', ciphertext: null });
      await report(secret.token, '203.0.113.4').expect(410);
    });

    it('answers 404 for an unknown link and 422 without a reason', async () => {
      await report('AAAAAAAAAAAAAAAAAAAAAAAA', '203.0.113.9').expect(404);
      const secret = await newSecret(t.baseUrl);
      const res = await api().post(`/api/v1/links/${secret.token}/report`).send({}).expect(422);
      expect(Object.keys(res.body.errors)).toEqual(['reason']);
    });
  });

  describe('geo-blocking', () => {
    it('reveals only to viewers whose edge-reported country is allowed', async () => {
      const pro = await newUser(t.baseUrl);
      await setPlan(t.dataSource, pro.teamId, 'pro');
      const pat = await newToken(t.baseUrl, pro);
      const secret = await newSecret(t.baseUrl, { content: 'bonjour', allowed_countries: ['FR'] }, pat);
      const blocked = await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', '198.51.100.7').set('CF-IPCountry', 'US').expect(403);
      expect(blocked.body).toEqual({ message: 'This secret cannot be opened from your country.', code: 'geo_blocked' });
      const ok = await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', '198.51.100.8').set('CF-IPCountry', 'FR').expect(200);
      expect(ok.body.data.content).toBe('bonjour');
      const [viewed] = await t.dataSource.query(`SELECT ip, country FROM audit_events WHERE target_id = $1 AND type = 'secret.viewed'`, [secret.id]);
      expect(viewed).toEqual({ ip: '198.51.100.8', country: 'FR' });
    });
  });
});
