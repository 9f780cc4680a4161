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
});
