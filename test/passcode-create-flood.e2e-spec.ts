import { connect, Socket } from 'node:net';
import supertest from 'supertest';
import { bearer, newToken, newUser } from './support/factories';
import { useTestApp } from './support/test-app';

const PASSCODE_CREATE = { content: 'x', expire_mode: 'views', expire_value: 1, passcode: 'abcd' };

/**
 * A passcode is hashed at creation through a gate of its own, and a passcode or password is
 * hashed only for a client still there: a team flooding passcode creates, abandoned or not,
 * stalls no login, and what its clients left (creates, registrations) is not written.
 */
describe('passcode creates and the argon2 gates', () => {
  const t = useTestApp();

  const create = (pat: string) => supertest(t.baseUrl).post('/api/v1/secrets').set(bearer(pat)).send(PASSCODE_CREATE);

  /** A request sent whole over a socket of its own, to hang up on; `answered` once its answer begins. */
  function sendAndKeep(path: string, payload: object, pat?: string): { socket: Socket; answered: Promise<Socket> } {
    const body = JSON.stringify(payload);
    const socket = connect(Number(new URL(t.baseUrl).port), '127.0.0.1');
    socket.on('error', () => undefined);
    const answered = new Promise<Socket>((resolve) => socket.once('data', () => resolve(socket)));
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: localhost\r\n${pat ? `Authorization: Bearer ${pat}\r\n` : ''}` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    return { socket, answered };
  }

  /** Sends them all, and hangs up on all but the first to be answered once it is. */
  async function abandonAllButFirst(requests: Array<{ socket: Socket; answered: Promise<Socket> }>): Promise<void> {
    const first = await Promise.race(requests.map((request) => request.answered));
    for (const { socket } of requests) if (socket !== first) socket.resetAndDestroy();
    first.destroy();
  }

  async function secretsOf(teamId: string): Promise<number> {
    const [row] = await t.dataSource.query('SELECT count(*)::int AS count FROM secrets WHERE team_id = $1', [teamId]);
    return row.count;
  }

  it('writes no secret for creates whose clients hung up while their passcodes waited to be hashed', async () => {
    const user = await newUser(t.baseUrl);
    const pat = await newToken(t.baseUrl, user);
    // Whichever took the gate first is answered; the others have been waiting a hash's time by then.
    await abandonAllButFirst(Array.from({ length: 7 }, () => sendAndKeep('/api/v1/secrets', PASSCODE_CREATE, pat)));
    // The gate is first come, first served: once this one is answered, every abandoned one has had its turn.
    await create(pat).expect(201);
    expect(await secretsOf(user.teamId)).toBe(2);
  });

  it('writes no user for registrations whose clients hung up while their passwords waited to be hashed', async () => {
    const tag = `abandoned-${Date.now()}`;
    const register = (i: number) => ({ email: `${tag}-${i}@example.test`, password: 'correct horse battery', name: 'A' });
    await abandonAllButFirst(Array.from({ length: 7 }, (_, i) => sendAndKeep('/api/v1/auth/register', register(i))));
    await supertest(t.baseUrl).post('/api/v1/auth/register').send(register(7)).expect(201);
    const [{ count }] = await t.dataSource.query('SELECT count(*)::int AS count FROM users WHERE starts_with(email, $1)', [tag]);
    // The first answered and the last; the gate hashes two at once, and the other one may have finished before its client left.
    expect(count).toBeLessThanOrEqual(3);
  });

  it('does not queue a login behind a flood of passcode creates', async () => {
    const user = await newUser(t.baseUrl);
    const flooder = await newUser(t.baseUrl);
    const pat = await newToken(t.baseUrl, flooder);
    const flood = 12;
    let answered = 0;
    const creates = Array.from({ length: flood }, () =>
      create(pat).then((res) => {
        answered++;
        return res.status;
      }),
    );
    // Once one has been answered, the rest are all waiting for the gate or being hashed.
    await Promise.race(creates);
    await supertest(t.baseUrl)
      .post('/api/v1/auth/token')
      .send({ email: user.email, password: user.password, device_name: 'bystander', abilities: ['secrets:read'] })
      .expect(201);
    // Sharing the creates' gate, the login would have waited for all but the last few of them.
    expect(answered).toBeLessThan(flood / 2);
    expect(await Promise.all(creates)).toEqual(Array(flood).fill(201));
  });
});
