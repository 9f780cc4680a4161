import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearer, newTeam, newToken, newUser } from './support/factories';
import { createTestDatabase, dumpDatabase, TestDatabase } from './support/database';
import { clientEncrypt, newSecret, reveal } from './support/secrets';
import { eventually } from './support/eventually';
import { uploadFile } from './support/multipart';
import { newTeamOn } from './support/teams';
import { startTestApp, TestApp, useTestApp } from './support/test-app';

const key = () => randomBytes(32).toString('base64');

describe('secrets at rest', () => {
  let db: TestDatabase;
  let t: TestApp;
  const firstKey = key();

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { ENCRYPTION_KEY: firstKey } });
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  it('never holds plaintext, passwords, PATs or link tokens, nor the ciphertext of burned or expired secrets', async () => {
    const user = await newUser(t.baseUrl);
    const pat = await newToken(t.baseUrl, user);
    const plaintext = `plaintext-${randomBytes(8).toString('hex')}`;
    const live = await newSecret(t.baseUrl, { content: plaintext, expire_value: 5 }, pat);
    const burnedSealed = clientEncrypt('burn me');
    const burned = await newSecret(t.baseUrl, { content: undefined, ciphertext: burnedSealed.ciphertext, iv: burnedSealed.iv }, pat);
    await reveal(t.baseUrl, burned.token).expect(200);
    const expiredSealed = clientEncrypt('expire me');
    const expired = await newSecret(
      t.baseUrl,
      { content: undefined, ciphertext: expiredSealed.ciphertext, iv: expiredSealed.iv, expire_mode: 'minutes', expire_value: 1 },
      pat,
    );
    await t.dataSource.query(`UPDATE secrets SET expires_at = now() - interval '1 second' WHERE id = $1`, [expired.id]);
    await reveal(t.baseUrl, expired.token).expect(410);
    await t.app.get((await import('../src/secrets/secret-purger')).SecretPurger).purge();

    const dump = await dumpDatabase(db);
    expect(dump).toContain(user.email);
    expect(dump).toContain(live.id);
    expect(dump).not.toContain(plaintext);
    expect(dump).not.toContain(Buffer.from(plaintext).toString('hex'));
    for (const secret of [live, burned, expired]) {
      expect(dump).not.toContain(secret.token);
      expect(dump).not.toContain(Buffer.from(secret.token).toString('hex'));
    }
    for (const sealed of [burnedSealed, expiredSealed]) {
      expect(dump).not.toContain(Buffer.from(sealed.ciphertext, 'base64').toString('hex'));
      expect(dump).not.toContain(sealed.ciphertext);
    }
    expect(dump).not.toContain(user.password);
    expect(dump).not.toContain(pat);
    expect(dump).not.toContain(pat.slice('olk_live_'.length));
    expect((await reveal(t.baseUrl, live.token).expect(200)).body.data.content).toBe(plaintext);
  });

  // The reveal spends its view in the same statement that reads the ciphertext, so the view a
  // tampered secret fails on is spent; nothing of it reaches the client.
  it('fails cleanly on a tampered ciphertext, and the view it failed on is spent', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'tamper with me', expire_value: 2 });
    await t.dataSource.query(`UPDATE secrets SET ciphertext = set_byte(ciphertext, 0, get_byte(ciphertext, 0) # 1) WHERE id = $1`, [
      secret.id,
    ]);
    const res = await reveal(t.baseUrl, secret.token).expect(500);
    expect(res.body).toEqual({ message: 'The secret could not be decrypted.', code: 'decryption_failed' });
    const [row] = await t.dataSource.query('SELECT views_remaining, views_count FROM secrets WHERE id = $1', [secret.id]);
    expect(row).toEqual({ views_remaining: 1, views_count: 1 });
  });

  it('binds each ciphertext to its own secret, so rows cannot be swapped', async () => {
    const victim = await newSecret(t.baseUrl, { content: 'victim content' });
    const attacker = await newSecret(t.baseUrl, { content: 'attacker content' });
    await t.dataSource.query(
      `UPDATE secrets a SET ciphertext = v.ciphertext, iv = v.iv, key_id = v.key_id FROM secrets v WHERE a.id = $1 AND v.id = $2`,
      [attacker.id, victim.id],
    );
    const res = await reveal(t.baseUrl, attacker.token).expect(500);
    expect(res.body.code).toBe('decryption_failed');
    expect((await reveal(t.baseUrl, victim.token).expect(200)).body.data.content).toBe('victim content');
  });

  it('still decrypts older secrets after the key is rotated, and only with the old key kept', async () => {
    const older = await newSecret(t.baseUrl, { content: 'sealed with the first key', expire_value: 3 });
    await t.close();

    const secondKey = key();
    t = await startTestApp({ db, env: { ENCRYPTION_KEY: secondKey, ENCRYPTION_KEYS_OLD: firstKey } });
    expect((await reveal(t.baseUrl, older.token).expect(200)).body.data.content).toBe('sealed with the first key');
    const newer = await newSecret(t.baseUrl, { content: 'sealed with the second key' });
    const keyIds = await t.dataSource.query('SELECT DISTINCT key_id FROM secrets WHERE id = ANY($1)', [[older.id, newer.id]]);
    expect(keyIds).toHaveLength(2);
    await t.close();

    t = await startTestApp({ db, env: { ENCRYPTION_KEY: secondKey } });
    const refused = await reveal(t.baseUrl, older.token).expect(503);
    expect([refused.body.code, refused.headers['retry-after']]).toEqual(['key_unavailable', '5']);
    // Without its key this instance must not spend (or burn) what it cannot open.
    const [untouched] = await t.dataSource.query('SELECT views_remaining, status FROM secrets WHERE id = $1', [older.id]);
    expect(untouched).toEqual({ views_remaining: 2, status: 'active' });
    expect((await reveal(t.baseUrl, newer.token).expect(200)).body.data.content).toBe('sealed with the second key');
  });

  it('generates a development key into DATA_DIR and reuses it after a restart', async () => {
    await t.close();
    const dataDir = mkdtempSync(join(tmpdir(), 'oncelink-key-'));
    t = await startTestApp({ db, env: { DATA_DIR: dataDir } });
    const keyFile = join(dataDir, 'encryption.key');
    expect(existsSync(keyFile)).toBe(true);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const secret = await newSecret(t.baseUrl, { content: 'survives a restart' });
    await t.close();
    t = await startTestApp({ db, env: { DATA_DIR: dataDir } });
    expect((await reveal(t.baseUrl, secret.token).expect(200)).body.data.content).toBe('survives a restart');
  });
});

describe('the purge', () => {
  const t = useTestApp({ env: { PURGE_INTERVAL_SECONDS: '1' } });

  it('turns an expired secret into a tombstone within the interval, without a request touching it', async () => {
    const secret = await newSecret(t.baseUrl, { content: 'expire me', expire_mode: 'minutes', expire_value: 1, passcode: 'open sesame' });
    await t.dataSource.query(`UPDATE secrets SET expires_at = now() - interval '1 second' WHERE id = $1`, [secret.id]);
    let row: { status: string; ciphertext: Buffer | null; iv: Buffer | null; passcode_hash: string | null } | undefined;
    const purged = async () => {
      [row] = await t.dataSource.query('SELECT status, ciphertext, iv, passcode_hash FROM secrets WHERE id = $1', [secret.id]);
      return row?.status === 'expired';
    };
    await eventually(purged, 5, 100);
    expect(row).toEqual({ status: 'expired', ciphertext: null, iv: null, passcode_hash: null });
  });
});

describe('concurrent purges', () => {
  // No scheduled tick during the test: only the calls below purge.
  const t = useTestApp({ env: { PURGE_INTERVAL_SECONDS: '3600', WEBHOOK_ALLOW_PRIVATE: 'true' } });

  it('splits the work when several instances purge at once, each row exactly once', async () => {
    const { SecretPurger } = await import('../src/secrets/secret-purger');
    const ids = [];
    for (let i = 0; i < 60; i++) ids.push((await newSecret(t.baseUrl, { expire_mode: 'minutes', expire_value: 1 })).id);
    await t.dataSource.query(`UPDATE secrets SET expires_at = now() - interval '1 second' WHERE id = ANY($1)`, [ids]);
    const purger = t.app.get(SecretPurger);
    const counts = await Promise.all([purger.purge(), purger.purge(), purger.purge()]);
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(60);
    const [left] = await t.dataSource.query(`SELECT count(*)::int AS n FROM secrets WHERE id = ANY($1) AND ciphertext IS NOT NULL`, [ids]);
    expect(left.n).toBe(0);
  });

  it('says an expired secret was destroyed at its expiry, before the purge reaches it and after', async () => {
    const { SecretPurger } = await import('../src/secrets/secret-purger');
    const { pat } = await newTeam(t.baseUrl);
    const secret = await newSecret(t.baseUrl, { expire_mode: 'minutes', expire_value: 1 }, pat);
    const [[{ expires_at: expiresAt }]] = await t.dataSource.query(
      `UPDATE secrets SET expires_at = now() - interval '3 seconds' WHERE id = $1 RETURNING expires_at`,
      [secret.id],
    );
    const shown = async () => (await t.http().get(`/api/v1/secrets/${secret.id}`).set(bearer(pat)).expect(200)).body.data;
    const expected = { status: 'expired', destroyed_at: (expiresAt as Date).toISOString() };
    expect(await shown()).toMatchObject(expected);
    await t.app.get(SecretPurger).purge();
    expect((await t.dataSource.query('SELECT status FROM secrets WHERE id = $1', [secret.id]))[0].status).toBe('expired');
    expect(await shown()).toMatchObject(expected);
  });

  it('shows an expired secret the purge has not reached as its tombstone: no webhook URL, file name or type', async () => {
    const { pat } = await newTeamOn('pro', t.baseUrl, t.dataSource);
    const webhookUrl = 'http://127.0.0.1:4101/per?cred=EXPFCRED';
    const created = await uploadFile(
      t.baseUrl,
      pat,
      { expire_mode: 'minutes', expire_value: '1', webhook_url: webhookUrl },
      { name: 'EXPFILENAME.txt', type: 'text/plain', data: Buffer.from('expiring') },
    );
    expect(created.body.data).toMatchObject({ webhook_url: webhookUrl, file: { name: 'EXPFILENAME.txt', content_type: 'text/plain' } });
    const id = created.body.data!.id as string;
    await t.dataSource.query(`UPDATE secrets SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
    const shown = (await t.http().get(`/api/v1/secrets/${id}`).set(bearer(pat)).expect(200)).body.data;
    const listed = (await t.http().get('/api/v1/secrets?status=expired').set(bearer(pat)).expect(200)).body.data;
    const tombstone = { status: 'expired', webhook_url: null, file: { name: null, size: 8, content_type: null, encryption: 'server' } };
    expect(shown).toMatchObject(tombstone);
    expect(listed).toEqual([expect.objectContaining(tombstone)]);
    // The row still holds them: the purge has not come by.
    const [row] = await t.dataSource.query(
      'SELECT status, webhook_url, sealed_file_info IS NOT NULL AS sealed FROM secrets WHERE id = $1',
      [id],
    );
    expect(row).toEqual({ status: 'active', webhook_url: webhookUrl, sealed: true });
  });
});
