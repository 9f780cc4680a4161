import { DatabaseError } from 'pg';
import { DataDirInUse, DataDirUnusable, PgdataUnopenable } from '../database/data-dir';
import { MigrationLockUnavailable } from '../database/migration-lock-retries';
import { ConfigError } from '../../config/app-config';

export interface StartFailure {
  /** 78 (EX_CONFIG) for the configuration, 1 for anything else the operator can act on. */
  status: 1 | 78;
  line: string;
}

/**
 * Errors the operator can act on from one line: where it could not listen, what it could not open
 * (DATA_DIR or a file in it being something else: EEXIST, ENOTDIR), a database it could not reach, and
 * a migration that could not take its lock.
 */
const OPERATIONAL = new Set([
  'EADDRINUSE',
  'EADDRNOTAVAIL',
  'EACCES',
  'ENOENT',
  'ENOTDIR',
  'EISDIR',
  'EEXIST',
  'EPERM',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  // TLS to the database (sslmode in DATABASE_URL): a certificate it cannot verify (a private CA
  // not in NODE_EXTRA_CA_CERTS), or a handshake that failed.
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
]);

/** Node's TLS and OpenSSL handshake errors (ERR_TLS_CERT_ALTNAME_INVALID, ERR_SSL_WRONG_VERSION_NUMBER, …). */
const TLS_CODE = /^ERR_(TLS|SSL)_/;

/** pg's error for sslmode against a server without TLS, which has no code. */
const NO_SSL = 'The server does not support SSL connections';

/**
 * PostgreSQL's answers that are about the setup, not the code, by SQLSTATE class: connection
 * (08), authorization (28: a wrong password or user), no such database (3D), out of connections
 * or memory (53), and a server shutting down or starting up (57P).
 */
const SETUP_SQLSTATE = /^(08|28|3D|53|57P)/;
/**
 * A setting DATABASE_URL's `options` (`-c name=value`) gives and the server refuses: unknown
 * (42704), a bad value (22023), a superuser's (42501), or fixed at the server's start (55P02).
 * Their messages name the parameter; the same codes from a migration's statement (an index that
 * does not exist, say) are bugs.
 */
const SETTING_SQLSTATE = /^(42704|22023|42501|55P02)$/;
const SETTING_MESSAGE = /parameter "/;

/** What a start that failed with `error` says and exits with; undefined for a bug, whose stack is the report. */
export function startFailure(error: unknown): StartFailure | undefined {
  if (error instanceof ConfigError || error instanceof DataDirUnusable) {
    return { status: 78, line: `Invalid configuration: ${error.message}` };
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const operational =
    error instanceof DataDirInUse ||
    error instanceof PgdataUnopenable ||
    error instanceof MigrationLockUnavailable ||
    (error instanceof Error && error.message === NO_SSL) ||
    (code !== undefined && (OPERATIONAL.has(code) || TLS_CODE.test(code) || isSetupRefusal(error, code)));
  // pg's and Node's messages name the host and port, never the URL (so never its password).
  return operational ? { status: 1, line: `Oncelink could not start: ${messageOf(error as Error)}` } : undefined;
}

/** PostgreSQL's refusal of this setup, not of the code's SQL. */
function isSetupRefusal(error: unknown, code: string): boolean {
  if (!(error instanceof DatabaseError)) return false;
  return SETUP_SQLSTATE.test(code) || (SETTING_SQLSTATE.test(code) && SETTING_MESSAGE.test(error.message));
}

/** An AggregateError (each of a name's addresses refused) has no message of its own. */
function messageOf(error: Error): string {
  return error.message || (error as AggregateError).errors?.map((each: Error) => each.message).join('; ') || String(error);
}
