import { OncelinkClient, OncelinkError } from '../src/client/oncelink-client';

/** What `run` threw. */
async function thrownBy(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('OncelinkClient', () => {
  it.each(['olk_abc\n', 'olk_abc\r\nX-Injected: 1', 'olk abc', 'olk_ä', ''])(
    'refuses %j as a token before any request, never echoing it',
    (token) => {
      let thrown: unknown;
      try {
        new OncelinkClient('http://127.0.0.1:1', token);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(OncelinkError);
      expect((thrown as Error).message).toBe('The token is not a token (letters, digits and -._~+/ only).');
    },
  );

  it.each([undefined, 'olk_AbC-1.2~3+4/5==', 'a'])('takes %j', (token) => {
    expect(() => new OncelinkClient('http://127.0.0.1:1', token)).not.toThrow();
  });

  it.each(['not a url', '/api/v1', 'ftp://oncelink.example', ''])('refuses %j as a base URL, saying what it takes', async (baseUrl) => {
    const thrown = await thrownBy(() => new OncelinkClient(baseUrl, 'olk_test_x').list());
    expect(thrown).toBeInstanceOf(OncelinkError);
    expect(thrown).toMatchObject({
      code: 'invalid_base_url',
      message: 'The base URL is not an absolute http(s) URL (such as https://oncelink.example).',
    });
  });
});
