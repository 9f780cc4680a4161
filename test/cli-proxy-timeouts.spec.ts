import { proxyFromEnvironment } from '../src/cli/proxy';

/** Each undici dispatcher the command builds, and the options it was built with. */
const mockBuilt: { dispatcher: string; options: Record<string, unknown> }[] = [];

jest.mock('undici', () => {
  const actual = jest.requireActual<typeof import('undici')>('undici');
  const recorded = <T extends object>(Dispatcher: T, dispatcher: string): T =>
    new Proxy(Dispatcher, {
      construct: (target, args: unknown[], newTarget: new (...args: unknown[]) => object) => {
        mockBuilt.push({ dispatcher, options: (args[args.length - 1] ?? {}) as Record<string, unknown> });
        return Reflect.construct(target as new (...args: unknown[]) => object, args, newTarget);
      },
    });
  return {
    ...actual,
    Agent: recorded(actual.Agent, 'Agent'),
    EnvHttpProxyAgent: recorded(actual.EnvHttpProxyAgent, 'EnvHttpProxyAgent'),
    Pool: recorded(actual.Pool, 'Pool'),
  };
});

describe('the command’s dispatchers', () => {
  it('leave the waits for headers and body to ONCELINK_TIMEOUT: undici’s own (300 s) would cut a longer one short', () => {
    const saved = process.env.HTTPS_PROXY;
    // A proxy named: its connection (a Pool) is built too.
    process.env.HTTPS_PROXY = 'http://127.0.0.1:9';
    try {
      proxyFromEnvironment();
    } finally {
      if (saved === undefined) delete process.env.HTTPS_PROXY;
      else process.env.HTTPS_PROXY = saved;
    }
    expect(new Set(mockBuilt.map(({ dispatcher }) => dispatcher))).toEqual(new Set(['Agent', 'EnvHttpProxyAgent', 'Pool']));
    for (const { dispatcher, options } of mockBuilt) {
      expect({ dispatcher, headersTimeout: options.headersTimeout, bodyTimeout: options.bodyTimeout }).toEqual({
        dispatcher,
        headersTimeout: 0,
        bodyTimeout: 0,
      });
    }
  });
});
