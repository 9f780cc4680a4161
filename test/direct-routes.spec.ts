import { Body, CanActivate, Controller, Header, HttpCode, Injectable, Param, PipeTransform, Post, Query, UseGuards } from '@nestjs/common';
import { request as httpRequest, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { BodyBudget } from '../src/common/http/body-budget';
import { DirectRoute, DirectRoutes, DirectRouteServices } from '../src/common/http/direct-routes';

/** DirectRoutes on its own, over a real socket: what it refuses at start-up and how it fails. */

@Injectable()
class Pass implements CanActivate {
  canActivate = () => true;
}

@Injectable()
class Upper implements PipeTransform {
  transform = (value: string) => value.toUpperCase();
}

class ThingDto {}

@Controller('things.json')
class ThingsController {
  @Post(':id')
  @HttpCode(200)
  plain(@Param('id') id: string) {
    return { id };
  }

  @Post('guarded')
  @UseGuards(Pass)
  guarded() {}

  @Post('headed')
  @Header('x-thing', 'yes')
  headed() {}

  @Post('piped/:id')
  piped(@Param('id', Upper) id: string, @Body() body: ThingDto) {
    return { id, body };
  }

  @Post('queried/:id')
  queried(@Param('id') id: string, @Query('q') q: string) {
    return { id, q };
  }
}

const services: DirectRouteServices = {
  guard: new Pass(),
  validation: { transform: (value: unknown) => value },
  client: () => ({}),
  settle: () => Promise.resolve(),
  shuttingDown: () => false,
  jsonParser: (_request, body, done) => {
    try {
      done(null, JSON.parse(body));
    } catch (error) {
      done(error as Error);
    }
  },
};

const route = (
  action: keyof ThingsController,
  answer: DirectRoute['answer'] = () => Promise.resolve({}),
  params: DirectRoute['params'] = [[]],
) => ({
  controller: ThingsController,
  action,
  body: ThingDto,
  params,
  answer,
});

/** Every line the direct routes log, kept. */
const logged: string[] = [];

const newDirect = (logLevel = 'info') => {
  const logger = pino({ level: logLevel }, { write: (line: string) => logged.push(line) });
  return new DirectRoutes({
    prefix: 'api/v1',
    bodyLimit: 1024,
    bodyBudget: new BodyBudget({ limit: 1024 * 1024, largestBody: 1024, clientOf: () => 'client', logger }),
    maxParamLength: 10,
    trust: false,
    headers: { 'x-api': '1' },
    logger,
  });
};

describe('DirectRoutes at start-up', () => {
  it.each([
    ['a guard of its own', 'guarded', [], /@UseGuards/],
    ['a header of its own', 'headed', [], /@Header/],
    ['a parameter pipe it was not told of', 'piped', [[], []], /parameter 0 with pipes \[Upper\]/],
    ['a parameter it does not supply', 'queried', [[]], /2 decorated parameters where the route supplies 1/],
  ] as const)('refuses an action with %s', (_case, action, params, message) => {
    expect(() =>
      newDirect().bind(
        [
          route(
            action,
            undefined,
            params.map((pipes) => [...pipes]),
          ),
        ],
        services,
      ),
    ).toThrow(message);
  });

  it('takes an action whose parameters the route stands for, once', () => {
    const direct = newDirect();
    direct.bind([route('piped', undefined, [[Upper], []])], services);
    expect(() => direct.bind([route('plain')], services)).toThrow(/already bound/);
  });
});

/** The direct routes in front of a stand-in for Fastify that answers `fastify`, on a free port. */
async function listen(direct: DirectRoutes): Promise<Server> {
  const fallback = (_req: unknown, res: { end: (text: string) => void }) => res.end('fastify');
  const factory = direct.serverFactory() as unknown as (handler: typeof fallback, options: object) => Server;
  const server = factory(fallback, { keepAliveTimeout: 5000, requestTimeout: 0, connectionTimeout: 0, maxRequestsPerSocket: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('DirectRoutes over HTTP', () => {
  let server: Server;
  let quiet: Server;

  beforeAll(async () => {
    // A BigInt does not serialise: a failure after the action, outside serve's own error handling.
    const answer: DirectRoute['answer'] = (request) => Promise.resolve(request.params.id === 'big' ? { n: 1n } : { id: request.params.id });
    const direct = newDirect();
    direct.bind([route('plain', answer)], services);
    server = await listen(direct);
    const warnOnly = newDirect('warn');
    warnOnly.bind([route('plain', answer)], services);
    quiet = await listen(warnOnly);
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await new Promise((resolve) => quiet.close(resolve));
  });

  /** POSTs `{}` and reads the answer; by then the server has closed the response, so its log line is written. */
  const post = (path: string, to = server) =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const url = `http://127.0.0.1:${(to.address() as AddressInfo).port}${path}`;
      const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': 2 } }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => setImmediate(() => resolve({ status: res.statusCode!, headers: res.headers, body })));
      });
      req.on('error', reject);
      req.end('{}');
    });

  const loggedLines = () => logged.map((line) => JSON.parse(line) as { req: { url: string }; res: { status: number } });

  it('answers its route with the controller status and the API headers, and logs it with its pattern', async () => {
    logged.length = 0;
    const res = await post('/api/v1/things.json/abc');
    expect(res).toMatchObject({ status: 200, body: '{"id":"abc"}', headers: { 'x-api': '1' } });
    expect(loggedLines()).toMatchObject([{ req: { url: '/api/v1/things.json/:id' }, res: { status: 200 } }]);
  });

  it('writes no access log line under LOG_LEVEL=warn', async () => {
    logged.length = 0;
    expect((await post('/api/v1/things.json/abc', quiet)).status).toBe(200);
    expect((await post('/api/v1/things.json/abc')).status).toBe(200);
    expect(loggedLines()).toHaveLength(1);
  });

  it('matches the path literally: a dot in it is no wildcard', async () => {
    expect((await post('/api/v1/thingsXjson/abc')).body).toBe('fastify');
  });

  it('takes a parameter of maxParamLength and leaves a longer one to Fastify', async () => {
    expect((await post(`/api/v1/things.json/${'a'.repeat(10)}`)).body).toBe(`{"id":"${'a'.repeat(10)}"}`);
    expect((await post(`/api/v1/things.json/${'a'.repeat(11)}`)).body).toBe('fastify');
  });

  it('answers an answer that will not serialise with a 500 in the contract format, logged as one, and closes', async () => {
    logged.length = 0;
    const res = await post('/api/v1/things.json/big');
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ message: expect.any(String) });
    expect(res.headers).toMatchObject({ connection: 'close', 'x-api': '1' });
    expect(loggedLines()).toMatchObject([{ res: { status: 500 } }]);
  });
});
