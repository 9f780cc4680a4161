import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PeriodicJob } from '../common/concurrency/periodic-job';
import { StripeWebhookService } from '../billing/stripe-webhook.service';
import { WebhookDispatcher } from '../webhooks/webhook-dispatcher';
import { SecretRepository } from './secret.repository';
import { FileStore } from './files/file-store';

const BATCH = 500;
/** How long file bytes without an active secret wait: an upload or a last download may still be running. */
const ORPHAN_MINUTES = 60;
/**
 * How often at most the purge VACUUMs removed files' space on the embedded database (no
 * autovacuum there): on its one connection a VACUUM holds up every other query while it runs.
 */
const VACUUM_INTERVAL_MS = 60_000;

/** Destroys the material of expired secrets within PURGE_INTERVAL_SECONDS (30 by default) of expiry. */
@Injectable()
export class SecretPurger implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SecretPurger.name);
  private readonly job: PeriodicJob;
  private lastVacuum = -Infinity;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly secrets: SecretRepository,
    private readonly files: FileStore,
    scheduler: SchedulerRegistry,
    private readonly webhooks: WebhookDispatcher,
    private readonly stripeEvents: StripeWebhookService,
  ) {
    this.job = new PeriodicJob(scheduler, 'purge-expired-secrets', () => this.purgeAndSay());
  }

  onApplicationBootstrap(): void {
    this.job.start(this.config.purgeIntervalSeconds * 1000);
  }

  onApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }

  /**
   * Purges until nothing expired is left (their secret.expired webhooks go out at once), then the
   * bytes of uploads whose secret never came and of downloads whose instance died, then lapsed
   * idempotency keys and Stripe event ids past their retention; on the embedded database, makes the space of removed file bytes reusable.
   */
  async purge(): Promise<number> {
    let total = 0;
    for (let count = BATCH; count === BATCH; total += count) count = await this.secrets.purgeExpired(BATCH);
    if (total) this.webhooks.wake();
    await this.files.removeOrphans(ORPHAN_MINUTES);
    await this.secrets.releaseStaleReaders(ORPHAN_MINUTES);
    await this.secrets.forgetLapsedIdempotencyKeys();
    await this.stripeEvents.forgetOldEvents();
    if (this.config.embeddedDatabase && Date.now() - this.lastVacuum >= VACUUM_INTERVAL_MS && (await this.files.reclaimSpace())) {
      this.lastVacuum = Date.now();
    }
    return total;
  }

  private purgeAndSay(): Promise<void> {
    return this.purge().then(
      (count) => {
        if (count) this.logger.log(`Purged ${count} expired secrets`);
      },
      (error: Error) => this.logger.warn(`Purge failed: ${error.message}`),
    );
  }
}
