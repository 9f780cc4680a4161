import { Logger } from '@nestjs/common';
import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { renderError } from '../src/common/errors/all-exceptions.filter';
import { aboutRequest } from '../src/common/logging/logger';

const answered = (code: string, message: string) => Object.assign(new DatabaseError(message, 0, 'error'), { code });

describe('a database that cannot take the request now', () => {
  it.each([
    ['out of connections', answered('53300', 'sorry, too many clients already')],
    ['out of disk for its data files', answered('53100', 'could not extend file "base/5/16384": No space left on device')],
    // Statements it ended, their transaction rolled back: nothing was done.
    ['past its statement_timeout', answered('57014', 'canceling statement due to statement timeout')],
    ['past its lock_timeout', answered('55P03', 'canceling statement due to lock timeout')],
    ['in a deadlock', answered('40P01', 'deadlock detected')],
    ['in a serialization failure', answered('40001', 'could not serialize access due to concurrent update')],
  ])('is a 503 to retry when it is %s', (_when, error) => {
    const rendered = renderError(error, 'req-1');
    expect(rendered.status).toBe(503);
    expect(rendered.headers['Retry-After']).toBeDefined();
  });
});

describe('the log line of a 503 for the database', () => {
  const deadlock = answered('40P01', 'deadlock detected');

  it.each([
    ['a deadlock', deadlock, 'Database deadlock; rolled back: deadlock detected'],
    [
      'a deadlock in a TypeORM query',
      new QueryFailedError('UPDATE teams SET plan = $1', [], deadlock),
      'Database deadlock; rolled back: deadlock detected',
    ],
    [
      'a serialization failure',
      answered('40001', 'could not serialize access due to concurrent update'),
      'Serialization failure; rolled back: could not serialize access due to concurrent update',
    ],
    [
      'a database out of connections',
      answered('53300', 'sorry, too many clients already'),
      'Database unavailable: sorry, too many clients already',
    ],
  ])('names %s as such', (_what, error, line) => {
    const warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      renderError(error, 'req-1');
      expect(warned.mock.calls).toEqual([[aboutRequest('req-1', `request req-1: ${line}`)]]);
    } finally {
      warned.mockRestore();
    }
  });
});
