import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../src/config/app-config';

describe('loadConfig', () => {
  it('has working defaults with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      publicUrl: 'http://127.0.0.1:3000',
      dataDir: './data',
      trustProxy: false,
      allowAnonymous: true,
    });
    expect(config.databaseUrl).toBeUndefined();
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '0'],
    ['PORT', '0x1F90'],
    ['PORT', '1e3'],
    ['PORT', '80.0'],
    ['PORT', '8 0'],
    ['PORT', '-1'],
    ['BODY_LIMIT_BYTES', '2e6'],
    ['BODY_MEMORY_LIMIT_BYTES', '256MiB'],
    // Less than BODY_LIMIT_BYTES (2 MiB), which would refuse the largest body even on an idle instance.
    ['BODY_MEMORY_LIMIT_BYTES', '1048576'],
    ['DATABASE_URL', 'mysql://db/oncelink'],
    // TypeORM decodes the password at connection time and would throw URIError with its stack.
    ['DATABASE_URL', 'postgres://postgres:PW%zz@127.0.0.1/db'],
    ['REDIS_URL', 'http://cache'],
    // ioredis would send `SELECT NaN` for a path that is not a database number.
    ['REDIS_URL', 'redis://127.0.0.1:6379/abc'],
    ['REDIS_URL', 'redis://127.0.0.1:6379/0/x'],
    ['PUBLIC_URL', 'not a url'],
    ['ENCRYPTION_KEY', 'c2hvcnQ='],
    ['TRUST_PROXY', 'everyone'],
    ['RATE_LIMIT_ENABLED', 'maybe'],
    ['ALLOW_ANONYMOUS', 'sometimes'],
    ['NODE_ENV', 'staging'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_POOL_SIZE', '0'],
    ['DATABASE_QUERY_TIMEOUT_MS', '0'],
    ['DOWNLOAD_MIN_BYTES_PER_SECOND', '-1'],
    ['DOWNLOAD_MIN_BYTES_PER_SECOND', '4KiB'],
    // A key with junk Buffer.from would skip, as the key file's rule refuses it.
    ['ENCRYPTION_KEY', `${randomBytes(32).toString('base64')}!!!!`],
    ['ENCRYPTION_KEY', `${randomBytes(32).toString('base64').slice(0, 20)} ${randomBytes(32).toString('base64').slice(20)}`],
    ['TRUST_PROXY', '10.0.0.0/99'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', '::1/129'],
    ['TRUST_PROXY', '10.0.0.0/8/16'],
    ['TRUST_PROXY', '0.0.0.0/0'],
    ['TRUST_PROXY', '::/0'],
    // More hops than any chain of proxies has; the last one was read as 1e21.
    ['TRUST_PROXY', '11'],
    ['TRUST_PROXY', '999999999999999999999'],
    ['WEBHOOK_RETRY_DELAYS', '5,,300'],
    ['WEBHOOK_RETRY_DELAYS', '0x10'],
    ['PUBLIC_URL', 'https://u:p@example.com'],
    ['PUBLIC_URL', 'https://example.com/base?x=1'],
    ['PUBLIC_URL', 'https://example.com/#frag'],
    ['PUBLIC_URL', 'https://share.example/one link'],
    ['SHUTDOWN_DELAY_MS', '-1'],
    // The timeout counts from the signal: a delay as long would leave the drain no time.
    ['SHUTDOWN_DELAY_MS', '25000'],
  ])('refuses %s=%s with a message naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('gives SHUTDOWN_DELAY_MS, unset, a fifth of SHUTDOWN_TIMEOUT_MS at most, so a short timeout set before the delay existed still starts', () => {
    expect(loadConfig({}).shutdownDelayMs).toBe(5_000);
    expect(loadConfig({ SHUTDOWN_TIMEOUT_MS: '5000' }).shutdownDelayMs).toBe(1_000);
    expect(loadConfig({ SHUTDOWN_TIMEOUT_MS: '5000', SHUTDOWN_DELAY_MS: '4000' }).shutdownDelayMs).toBe(4_000);
  });

  it('floors a download at 4 KiB/s unless DOWNLOAD_MIN_BYTES_PER_SECOND says otherwise, 0 turning it off', () => {
    expect(loadConfig({}).downloadMinBytesPerSecond).toBe(4096);
    expect(loadConfig({ DOWNLOAD_MIN_BYTES_PER_SECOND: '0' }).downloadMinBytesPerSecond).toBe(0);
    expect(loadConfig({ DOWNLOAD_MIN_BYTES_PER_SECOND: '16384' }).downloadMinBytesPerSecond).toBe(16384);
  });

  it('takes a REDIS_URL with a database number, or none', () => {
    for (const redisUrl of ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379/', 'rediss://u:p@cache:6380/15']) {
      expect(loadConfig({ REDIS_URL: redisUrl }).redisUrl).toBe(redisUrl);
    }
  });

  it('says which hop counts TRUST_PROXY takes', () => {
    expect(() => loadConfig({ TRUST_PROXY: '1000' })).toThrow('TRUST_PROXY as a hop count must be from 0 to 10');
  });

  it('requires ENCRYPTION_KEY in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow('ENCRYPTION_KEY is required in production');
    expect(() => loadConfig({ NODE_ENV: 'production', ENCRYPTION_KEY: randomBytes(32).toString('base64') })).not.toThrow();
  });

  it('refuses WEBHOOK_ALLOW_PRIVATE in production, and takes it elsewhere', () => {
    const key = randomBytes(32).toString('base64');
    expect(() => loadConfig({ NODE_ENV: 'production', ENCRYPTION_KEY: key, WEBHOOK_ALLOW_PRIVATE: 'on' })).toThrow(
      new ConfigError('WEBHOOK_ALLOW_PRIVATE must not be set in production: it lets any team admin make this server call into its network'),
    );
    expect(loadConfig({ NODE_ENV: 'production', ENCRYPTION_KEY: key, WEBHOOK_ALLOW_PRIVATE: 'false' }).webhooks.allowPrivate).toBe(false);
    for (const nodeEnv of ['development', 'test']) {
      expect(loadConfig({ NODE_ENV: nodeEnv, WEBHOOK_ALLOW_PRIVATE: 'on' }).webhooks.allowPrivate).toBe(true);
    }
  });

  it('requires ENCRYPTION_KEY whenever DATABASE_URL is set, whatever NODE_ENV says', () => {
    const databaseUrl = 'postgres://oncelink@db.internal:5432/oncelink';
    for (const nodeEnv of [undefined, 'development', 'test', 'production']) {
      const env = { DATABASE_URL: databaseUrl, ...(nodeEnv ? { NODE_ENV: nodeEnv } : {}) };
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow('ENCRYPTION_KEY is required when DATABASE_URL is set');
    }
    const key = randomBytes(32).toString('base64');
    expect(loadConfig({ DATABASE_URL: databaseUrl, ENCRYPTION_KEY: key }).encryptionKey).toBe(key);
    // The embedded database (no DATABASE_URL) still runs on a development key kept in DATA_DIR.
    expect(loadConfig({}).encryptionKey).toBeUndefined();
  });

  it('takes a key with a trailing newline, without its padding or in the URL-safe alphabet, as its 32 bytes', () => {
    const key = randomBytes(32);
    for (const text of [`${key.toString('base64')}\n`, key.toString('base64').slice(0, -1), key.toString('base64url')]) {
      expect(Buffer.from(loadConfig({ ENCRYPTION_KEY: text }).encryptionKey!, 'base64')).toEqual(key);
    }
  });

  it('takes an empty NODE_ENV as unset, like every other variable', () => {
    // development: neither production's key nor test's silence.
    expect(loadConfig({ NODE_ENV: '' }).logLevel).toBe('info');
  });

  it('takes a value that is only whitespace as unset, and drops the whitespace around one', () => {
    const blank = loadConfig({
      PORT: ' ',
      HOST: ' ',
      STRIPE_WEBHOOK_SECRET: ' \n',
      WEBHOOK_RETRY_DELAYS: ' ',
      NODE_ENV: ' ',
      DATA_DIR: '\t',
    });
    expect(blank).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      publicUrl: 'http://127.0.0.1:3000',
      logLevel: 'info', // NODE_ENV development: not test's silence
      dataDir: './data',
    });
    expect(blank.stripe.webhookSecret).toBeUndefined();
    expect(blank.webhooks.retryDelaysSeconds).toHaveLength(7);
    const padded = loadConfig({ PORT: ' 8080 ', STRIPE_WEBHOOK_SECRET: 'whsec_abc\n', RATE_LIMIT_PRO_PER_MINUTE: ' 2000' });
    expect(padded.port).toBe(8080);
    expect(padded.stripe.webhookSecret).toBe('whsec_abc');
    expect(padded.rateLimit.tokenRateOverrides.pro?.perMinute).toBe(2000);
  });

  it('reads STRIPE_PRICE_PRO and STRIPE_PRICE_ENTERPRISE as lists of price ids, as a plan sold monthly and yearly has two', () => {
    const config = loadConfig({ STRIPE_PRICE_PRO: ' price_pro_month, price_pro_year ,,', STRIPE_PRICE_ENTERPRISE: 'price_ent_year' });
    expect(config.stripe).toMatchObject({ pricesPro: ['price_pro_month', 'price_pro_year'], pricesEnterprise: ['price_ent_year'] });
    expect(loadConfig({ STRIPE_PRICE_PRO: ' , ' }).stripe).toMatchObject({ pricesPro: [], pricesEnterprise: [] });
  });

  it('refuses a price id in both STRIPE_PRICE_PRO and STRIPE_PRICE_ENTERPRISE, in one line naming both and the id', () => {
    const both = () => loadConfig({ STRIPE_PRICE_PRO: 'price_a,price_shared', STRIPE_PRICE_ENTERPRISE: 'price_shared, price_b' });
    expect(both).toThrow(new ConfigError('STRIPE_PRICE_PRO and STRIPE_PRICE_ENTERPRISE both name price_shared: a price means one plan'));
  });

  it('takes fractions of a second as webhook retry delays, and a PUBLIC_URL with a path', () => {
    expect(loadConfig({ WEBHOOK_RETRY_DELAYS: '0.2, 5' }).webhooks.retryDelaysSeconds).toEqual([0.2, 5]);
    expect(loadConfig({ PUBLIC_URL: 'https://example.com/oncelink/' }).publicUrl).toBe('https://example.com/oncelink');
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/32, ::1/128' }).trustProxy).toBe('10.0.0.0/32,::1/128');
  });

  it.each(['not a host', '256.1.1.1', 'example.123', 'a..b', 'http://example.com', '[::1]'])('refuses HOST=%s, naming HOST', (value) => {
    expect(() => loadConfig({ HOST: value })).toThrow(new ConfigError('HOST must be a hostname, an IPv4 address or an IPv6 address'));
  });

  it('takes as HOST a name, an IPv4 or an IPv6 address, and one with a zone when PUBLIC_URL is set', () => {
    for (const value of ['localhost', 'oncelink_app', 'db-1.internal.', '0.0.0.0', '::', 'fe80::1']) {
      expect(loadConfig({ HOST: value }).host).toBe(value);
    }
    expect(() => loadConfig({ HOST: 'fe80::1%eth0' })).toThrow('HOST with an IPv6 zone (%) needs PUBLIC_URL set');
    expect(loadConfig({ HOST: 'fe80::1%eth0', PUBLIC_URL: 'https://share.example' }).host).toBe('fe80::1%eth0');
  });

  it('puts an IPv6 HOST in brackets in the default PUBLIC_URL', () => {
    expect(loadConfig({ HOST: '::1', PORT: '8080' }).publicUrl).toBe('http://[::1]:8080');
  });

  it('takes PUBLIC_URL without the spaces around it, so links do not carry them', () => {
    expect(loadConfig({ PUBLIC_URL: ' https://share.example/ ' }).publicUrl).toBe('https://share.example');
    expect(loadConfig({ PUBLIC_URL: '\thttps://share.example/base//\n' }).publicUrl).toBe('https://share.example/base');
  });

  it('reads TRUST_PROXY as a switch, a hop count or a list of addresses', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10' }).trustProxy).toBe(10);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback' }).trustProxy).toBe('10.0.0.0/8,loopback');
  });
});
