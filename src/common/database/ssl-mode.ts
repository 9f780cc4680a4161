/** The modes pg 8 treats as `verify-full`, warning about it in ten plain-text lines on every start. */
const VERIFY_FULL_ALIASES = /([?&]sslmode=)(prefer|require|verify-ca)(?=&|#|$)/;

/**
 * DATABASE_URL as pg reads it, with its `sslmode` spelled as pg 8 takes it (`prefer`, `require`
 * and `verify-ca` are `verify-full`: TLS, the certificate and host verified), so pg does the same
 * without its warning, which would be the only log line that is not JSON. A URL that asks for
 * libpq's meanings (`uselibpqcompat=true`) is left to pg, which warns about none.
 */
export function pgConnectionUrl(databaseUrl: string): string {
  if (/[?&]uselibpqcompat=true(&|#|$)/.test(databaseUrl)) return databaseUrl;
  return databaseUrl.replace(VERIFY_FULL_ALIASES, '$1verify-full');
}
