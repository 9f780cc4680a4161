import { DownloadSlot, DownloadSlots } from '../src/secrets/files/download-slots';

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** 'pending', 'passed', or the message it was refused with, once pending callbacks have run. */
async function settled(promise: Promise<unknown>): Promise<string> {
  let state = 'pending';
  promise.then(
    () => (state = 'passed'),
    (error: Error) => (state = error.message),
  );
  await flush();
  return state;
}

const TEAM_FULL = "Too many downloads of this team's files in progress; try again shortly. The view was not spent.";
const CLIENT_FULL = 'Too many downloads in progress from your address; try again shortly. The view was not spent.';

describe('DownloadSlots (MAX_DOWNLOADS 8: a share of 4)', () => {
  let slots: DownloadSlots;
  /** Slots taken while few are held: each may spend a file's view unlooked-at. */
  const spends = (ip: string, n: number) =>
    Array.from({ length: n }, () => {
      const slot = slots.take(ip)!;
      expect(slot.spendsFile).toBe(true);
      return slot;
    });
  const looked = (ip: string): DownloadSlot => {
    const slot = slots.take(ip)!;
    expect(slot.spendsFile).toBe(false);
    return slot;
  };

  beforeEach(() => {
    // Only the give-up timer is faked: a claim that passes here was woken, never timed out.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    slots = new DownloadSlots(8);
  });
  afterEach(() => jest.useRealTimers());

  it('has a claim for another team wait while only spends not yet said whose would make the share, and pass once one says', async () => {
    const [first] = spends('198.51.100.1', 4);
    const claim = slots.claim(looked('198.51.100.2'), 'team-b');
    expect(await settled(claim)).toBe('pending');
    slots.serves(first, 'team-a');
    expect(await settled(claim)).toBe('passed');
  });

  it('passes a claim once a spend not said whose turns out a text’s, given back', async () => {
    const [text] = spends('198.51.100.1', 4);
    const claim = slots.claim(looked('198.51.100.2'), 'team-b');
    expect(await settled(claim)).toBe('pending');
    text.release();
    expect(await settled(claim)).toBe('passed');
  });

  it('counts the spends as the team’s once it has waited 2 s for them, refusing 503', async () => {
    spends('198.51.100.1', 4);
    const claim = slots.claim(looked('198.51.100.2'), 'team-b');
    expect(await settled(claim)).toBe('pending');
    jest.advanceTimersByTime(1_999);
    expect(await settled(claim)).toBe('pending');
    jest.advanceTimersByTime(1);
    expect(await settled(claim)).toBe(TEAM_FULL);
  });

  it('has a client’s claim wait for its own spends not said whose, which may be texts', async () => {
    const [text] = spends('198.51.100.1', 4);
    const claim = slots.claim(looked('198.51.100.1'), null);
    expect(await settled(claim)).toBe('pending');
    text.release();
    expect(await settled(claim)).toBe('passed');
  });

  it('refuses at once a claim whose client or team holds its share in files said whose', async () => {
    const held = spends('198.51.100.1', 4);
    for (const slot of held) slots.serves(slot, 'team-a');
    expect(await settled(slots.claim(looked('198.51.100.1'), 'team-b'))).toBe(CLIENT_FULL);
    expect(await settled(slots.claim(looked('198.51.100.2'), 'team-a'))).toBe(TEAM_FULL);
    expect(await settled(slots.claim(looked('198.51.100.3'), 'team-b'))).toBe('passed');
  });

  it('counts a claim that passed in the next one’s count, which waits for the spend that would make the share', async () => {
    const [first, ...rest] = spends('198.51.100.1', 4);
    for (const slot of rest) slots.serves(slot, 'team-a');
    slots.serves(looked('198.51.100.9'), 'team-b');
    slots.serves(looked('198.51.100.9'), 'team-b');
    // team-b holds two; the one unsure spend would make three, so each claim alone may pass.
    const claims = [slots.claim(looked('198.51.100.2'), 'team-b'), slots.claim(looked('198.51.100.3'), 'team-b')];
    expect(await settled(claims[0])).toBe('passed');
    expect(await settled(claims[1])).toBe('pending');
    slots.serves(first, 'team-a');
    expect(await settled(claims[1])).toBe('passed');
  });

  it('counts a client’s reveals claiming a slot towards its share when one more would wait for a slot', async () => {
    spends('198.51.100.1', 4);
    const claims = Array.from({ length: 4 }, () => slots.claim(looked('198.51.100.2'), 'team-b'));
    for (const claim of claims) expect(await settled(claim)).toBe('pending');
    expect(slots.take('198.51.100.2')).toBeNull();
    expect(await settled(slots.wait('198.51.100.2'))).toBe(CLIENT_FULL);
  });
});
