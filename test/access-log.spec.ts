import pino from 'pino';
import { Writable } from 'node:stream';
import { logRequest } from '../src/common/logging/logger';

describe('the access log line', () => {
  const levelFor = (status: number) => {
    const lines: { level: number; msg: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    logRequest(pino({ level: 'info' }, sink), { id: 'r', method: 'POST', path: '/api/v1/secrets', status, ms: 1 });
    return lines.map((line) => [line.level, line.msg]);
  };

  it.each([
    [201, 30, 'request completed'],
    [413, 30, 'request completed'],
    [503, 40, 'request refused for now'],
    [500, 50, 'request errored'],
    [502, 50, 'request errored'],
  ])('of a %i is logged at pino level %i', (status, level, msg) => {
    expect(levelFor(status)).toEqual([[level, msg]]);
  });
});
