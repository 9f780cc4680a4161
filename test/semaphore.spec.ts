import { Semaphore } from '../src/common/concurrency/semaphore';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Semaphore (bounds argon2 work)', () => {
  it('never runs more jobs at once than its limit, and runs them all', async () => {
    const gate = new Semaphore(2, 100);
    let running = 0;
    let peak = 0;
    const job = async () => {
      running++;
      peak = Math.max(peak, running);
      await tick();
      running--;
    };
    await Promise.all(Array.from({ length: 20 }, () => gate.run(job)));
    expect(peak).toBe(2);
  });

  it('refuses with 503 once its queue is full, instead of queueing without end', async () => {
    const gate = new Semaphore(1, 2);
    let release!: () => void;
    const blocker = gate.run(() => new Promise<void>((resolve) => (release = resolve)));
    const queued = [gate.run(() => Promise.resolve(1)), gate.run(() => Promise.resolve(2))];
    await expect(gate.run(() => Promise.resolve(3))).rejects.toMatchObject({ status: 503, extra: { code: 'server_busy' } });
    release();
    await blocker;
    expect(await Promise.all(queued)).toEqual([1, 2]);
    expect(await gate.run(() => Promise.resolve(4))).toBe(4);
  });

  it('drops a queued job whose client has gone by the time its slot comes, without running it', async () => {
    const gate = new Semaphore(1, 10);
    let release!: () => void;
    const blocker = gate.run(() => new Promise<void>((resolve) => (release = resolve)));
    let clientGone = false;
    const job = jest.fn(() => Promise.resolve('ran'));
    const queued = gate.run(job, () => clientGone);
    clientGone = true;
    release();
    await blocker;
    await expect(queued).rejects.toMatchObject({ status: 499 });
    expect(job).not.toHaveBeenCalled();
    expect(await gate.run(() => Promise.resolve('next'))).toBe('next');
  });

  describe('take(ms), a slot waited for at most ms', () => {
    it('hands given-back slots to its waiters in the order they came, never running more than its limit', async () => {
      const gate = new Semaphore(1, 10);
      const first = gate.tryTake()!;
      const order: number[] = [];
      const waiters = [1, 2, 3].map(async (n) => {
        const give = await gate.take(10_000);
        order.push(n);
        return give!;
      });
      await tick();
      expect(gate.tryTake()).toBeNull();
      first();
      first(); // a second give-back of the same slot gives nothing more
      const second = await waiters[0];
      await tick();
      expect(order).toEqual([1]);
      expect(gate.tryTake()).toBeNull();
      second();
      (await waiters[1])();
      (await waiters[2])();
      expect(order).toEqual([1, 2, 3]);
      const again = gate.tryTake();
      expect(again).not.toBeNull();
      expect(gate.tryTake()).toBeNull();
    });

    it('answers null once ms pass without a slot, and leaves the queue, so the next slot goes to the next waiter', async () => {
      const gate = new Semaphore(1, 10);
      const held = gate.tryTake()!;
      const late = gate.take(20);
      const patient = gate.take(10_000);
      expect(await late).toBeNull();
      held();
      const handed = await patient;
      expect(handed).not.toBeNull();
      expect(gate.tryTake()).toBeNull();
      handed!();
      expect(gate.tryTake()).not.toBeNull();
    });

    it('takes a free slot at once, and answers null at once when its queue is full', async () => {
      const gate = new Semaphore(1, 1);
      const held = await gate.take(10_000);
      expect(held).not.toBeNull();
      const queued = gate.take(10_000);
      const started = Date.now();
      expect(await gate.take(10_000)).toBeNull();
      expect(Date.now() - started).toBeLessThan(1_000);
      held!();
      (await queued)!();
    });
  });
});
