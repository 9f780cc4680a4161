import { FixedWindowStorage } from '../src/rate-limit/fixed-window.storage';

describe('FixedWindowStorage', () => {
  let storage: FixedWindowStorage;
  let now: jest.SpyInstance<number, []>;
  beforeEach(() => {
    storage = new FixedWindowStorage();
    now = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
  });
  afterEach(() => {
    storage.onApplicationShutdown();
    now.mockRestore();
  });
  const at = (ms: number) => now.mockReturnValue(1_000_000 + ms);
  const count = (key = 'k') => storage.increment(key, 60_000);

  it('opens a window with its first request and counts in it, saying when it ends', async () => {
    expect(await count()).toMatchObject({ totalHits: 1, timeToExpire: 60, isBlocked: false });
    at(45_000);
    expect(await count()).toMatchObject({ totalHits: 2, timeToExpire: 15 });
    at(59_999);
    expect(await count()).toMatchObject({ totalHits: 3, timeToExpire: 1 });
  });

  it('starts the count again once the window has ended, however late in it the requests came', async () => {
    await count();
    at(55_000);
    for (let i = 0; i < 10; i++) await count();
    at(60_000);
    expect(await count()).toMatchObject({ totalHits: 1, timeToExpire: 60 });
  });

  it('keeps each key to itself', async () => {
    await count('a');
    await count('a');
    expect(await count('b')).toMatchObject({ totalHits: 1 });
  });
});
