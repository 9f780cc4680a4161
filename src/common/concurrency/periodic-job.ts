import type { SchedulerRegistry } from '@nestjs/schedule';

/**
 * Work run once at start-up and then every interval (an instance that was down has its backlog at
 * once, not an interval later), one run at a time: a tick while a run is under way is skipped.
 * `run` handles its own failures. Stopping waits for the run under way.
 */
export class PeriodicJob {
  private running: Promise<void> | null = null;

  constructor(
    private readonly scheduler: SchedulerRegistry,
    private readonly name: string,
    private readonly run: () => Promise<void>,
  ) {}

  start(intervalMs: number): void {
    const timer = setInterval(() => this.tick(), intervalMs);
    timer.unref();
    this.scheduler.addInterval(this.name, timer);
    this.tick();
  }

  async stop(): Promise<void> {
    if (this.scheduler.doesExist('interval', this.name)) this.scheduler.deleteInterval(this.name);
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.run().finally(() => {
      this.running = null;
    });
  }
}
