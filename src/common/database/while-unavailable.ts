import { setTimeout as sleep } from 'node:timers/promises';
import { isDatabaseUnavailable } from './database-unavailable';

const FIRST_PAUSE_MS = 100;

/**
 * `attempt`'s answer, tried again while it fails for want of the database (a restart, a
 * terminated backend, a statement that went unanswered) after pauses of 100 ms, 200 ms, 400 ms…
 * for as long as the next try starts within `withinMs` of the first failure; past that, or on
 * any other failure, the failure is thrown. Only for what may safely run twice, as a read.
 */
export async function whileUnavailable<T>(attempt: () => Promise<T>, withinMs: number): Promise<T> {
  let giveUpAt: number | undefined;
  for (let pause = FIRST_PAUSE_MS; ; pause *= 2) {
    try {
      return await attempt();
    } catch (error) {
      giveUpAt ??= Date.now() + withinMs;
      if (!isDatabaseUnavailable(error) || Date.now() + pause > giveUpAt) throw error;
    }
    await sleep(pause);
  }
}
