import { DatabaseError } from 'pg';
import { DataDirUnusable } from '../src/common/database/data-dir';
import { startFailure } from '../src/common/errors/start-failure';
import { ConfigError } from '../src/config/app-config';

const errno = (code: string, message: string) => Object.assign(new Error(message), { code });
const answered = (code: string, message: string) => Object.assign(new DatabaseError(message, 0, 'error'), { code });

describe('what a failed start says', () => {
  it.each([
    ['nothing listens at DATABASE_URL', errno('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5999')],
    ['the database host does not answer', errno('ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.9:5432')],
    ['DATABASE_URL names no database there', answered('3D000', 'database "oncelnk" does not exist')],
    ['its password is wrong', answered('28P01', 'password authentication failed for user "oncelink"')],
    ['the server is out of connections', answered('53300', 'sorry, too many clients already')],
    ['DATABASE_URL’s options set no such setting', answered('42704', 'unrecognized configuration parameter "foo"')],
    ['they give a setting a bad value', answered('22023', 'invalid value for parameter "statement_timeout": "abc"')],
    ['they set a superuser’s setting', answered('42501', 'permission denied to set parameter "log_statement"')],
    [
      'they set one fixed at the server’s start',
      answered('55P02', 'parameter "max_connections" cannot be changed without restarting the server'),
    ],
    ['DATA_DIR/pgdata is a file', errno('EEXIST', "EEXIST: file already exists, mkdir '/srv/oncelink/pgdata'")],
    ['the port is taken', errno('EADDRINUSE', 'listen EADDRINUSE: address already in use 127.0.0.1:3000')],
    ['sslmode asks a server without TLS for it', new Error('The server does not support SSL connections')],
    ['the database’s certificate is from a private CA', errno('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain')],
    ['its certificate has no known issuer', errno('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate')],
    ['its certificate names another host', errno('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames")],
  ])('one line and exit 1 when %s', (_when, error) => {
    expect(startFailure(error)).toEqual({ status: 1, line: `Oncelink could not start: ${error.message}` });
  });

  it('names each address a host name refused on', () => {
    const refused = Object.assign(
      new AggregateError([
        errno('ECONNREFUSED', 'connect ECONNREFUSED ::1:5432'),
        errno('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      ]),
      {
        code: 'ECONNREFUSED',
      },
    );
    expect(startFailure(refused)?.line).toBe(
      'Oncelink could not start: connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432',
    );
  });

  it('exits 78 for the configuration', () => {
    expect(startFailure(new ConfigError('PORT must be an integer from 1 to 65535'))).toEqual({
      status: 78,
      line: 'Invalid configuration: PORT must be an integer from 1 to 65535',
    });
    expect(startFailure(new DataDirUnusable('DATA_DIR ./data is not a directory'))?.status).toBe(78);
  });

  it('leaves a bug to its stack trace, even one the database reported', () => {
    expect(startFailure(answered('42P01', 'relation "teams" does not exist'))).toBeUndefined();
    // The codes a refused setting has, from a migration's statement instead.
    expect(startFailure(answered('42704', 'index "secrets_old_idx" does not exist'))).toBeUndefined();
    expect(startFailure(answered('42501', 'must be owner of table secrets'))).toBeUndefined();
    expect(startFailure(answered('22023', 'cannot cast to a type with a typmod'))).toBeUndefined();
    expect(startFailure(new TypeError("Cannot read properties of undefined (reading 'get')"))).toBeUndefined();
  });
});
