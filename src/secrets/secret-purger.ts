import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { WebhookDispatcher } from '../webhooks/webhook-dispatcher';
import { SecretRepository } from './secret.repository';
import { FileStore } from './files/file-store';

const BATCH = 500;
const JOB = 'purge-expired-secrets';
/** How long file bytes without an active secret wait: an upload or a last download may still be running. */
const ORPHAN_MINUTES = 60;

/** Destroys the material of expired secrets within PURGE_INTERVAL_SECONDS (30 by default) of expiry. */
@Injectable()
export class SecretPurger implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SecretPurger.name);
  private running: Promise<void> | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly secrets: SecretRepository,
    private readonly files: FileStore,
    private readonly scheduler: SchedulerRegistry,
    private readonly webhooks: WebhookDispatcher,
  ) {}

  /** Purges once at start, then every interval: an instance that was down has a backlog at once, not after an interval. */
  onApplicationBootstrap(): void {
    const timer = setInterval(() => this.tick(), this.config.purgeIntervalSeconds * 1000);
    timer.unref();
    this.scheduler.addInterval(JOB, timer);
    this.tick();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.scheduler.doesExist('interval', JOB)) this.scheduler.deleteInterval(JOB);
    await this.running;
  }

  /**
   * Purges until nothing expired is left (their secret.expired webhooks go out at once), then file
   * bytes no active secret owns, then lapsed idempotency keys; overlapping ticks are skipped.
   */
  async purge(): Promise<number> {
    let total = 0;
    for (let count = BATCH; count === BATCH; total += count) count = await this.secrets.purgeExpired(BATCH);
    if (total) this.webhooks.wake();
    await this.files.removeOrphans(ORPHAN_MINUTES);
    await this.secrets.releaseStaleReaders(ORPHAN_MINUTES);
    await this.secrets.forgetLapsedIdempotencyKeys();
    return total;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.purge()
      .then((count) => {
        if (count) this.logger.log(`Purged ${count} expired secrets`);
      })
      .catch((error: Error) => this.logger.warn(`Purge failed: ${error.message}`))
      .finally(() => {
        this.running = null;
      });
  }
}
