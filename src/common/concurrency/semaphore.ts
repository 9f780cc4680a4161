import { ApiError } from '../errors/api-error';

/**
 * Bounds how many expensive jobs (argon2 hashes, 64 MiB each; uploads, downloads) run at once and
 * how many may wait, so a flood of password or passcode guesses queues briefly and is then refused
 * instead of exhausting memory or starving libuv's thread pool.
 */
export class Semaphore {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly maxWaiting: number,
  ) {}

  /**
   * Runs `job` once a slot is free. A job whose client has gone by then (`gone()`) is dropped
   * unrun, so a flood of abandoned requests does not keep the slots busy after the fact.
   */
  async run<T>(job: () => Promise<T>, gone: () => boolean = () => false): Promise<T> {
    if (this.running < this.limit) {
      this.running++;
    } else {
      if (this.waiting.length >= this.maxWaiting) {
        throw new ApiError(503, 'The server is busy; try again shortly.', { code: 'server_busy' }, { 'Retry-After': '1' });
      }
      // The finishing job hands its slot straight to us, so `running` never overshoots.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      if (gone()) throw ApiError.clientGone();
      return await job();
    } finally {
      this.release();
    }
  }

  /** A slot now, never waiting: answers the function that gives it back (once, however often called), or null when none is free. */
  tryTake(): (() => void) | null {
    if (this.running >= this.limit) return null;
    this.running++;
    return this.held();
  }

  /**
   * A slot now or once one is handed on within `ms`, as `tryTake` answers it; null when none came
   * in time or the queue is full. A waiter that times out leaves the queue, so no slot goes to it.
   */
  async take(ms: number): Promise<(() => void) | null> {
    const now = this.tryTake();
    if (now || this.waiting.length >= this.maxWaiting) return now;
    const handed = await new Promise<boolean>((resolve) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        resolve(false);
      }, ms);
      this.waiting.push(waiter);
    });
    return handed ? this.held() : null;
  }

  /** The give-back of a slot this caller holds (`running` already counts it). */
  private held(): () => void {
    let held = true;
    return () => {
      if (held) this.release();
      held = false;
    };
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
