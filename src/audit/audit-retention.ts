import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PeriodicJob } from '../common/concurrency/periodic-job';

const BATCH = 5000;

/**
 * Keeps each team's audit trail to its last AUDIT_RETENTION_DAYS (0: for good), once at start and
 * then hourly: the trail records viewers' addresses, and a listing counts all of it on every page.
 */
@Injectable()
export class AuditRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditRetention.name);
  private readonly job: PeriodicJob;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    scheduler: SchedulerRegistry,
  ) {
    this.job = new PeriodicJob(scheduler, 'prune-audit-events', () => this.pruneAndSay());
  }

  onApplicationBootstrap(): void {
    if (this.config.auditRetentionDays) this.job.start(3_600_000);
  }

  onApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }

  /** Deletes the events older than the retention, in batches so no statement holds the table long; answers how many. */
  async prune(): Promise<number> {
    if (!this.config.auditRetentionDays) return 0;
    // The embedded database runs no autovacuum, which alone summarises the page ranges that rows
    // added since: unsummarised, the BRIN index hands the scan below every page of the table.
    if (this.config.embeddedDatabase) await this.db.query(`SELECT brin_summarize_new_values('audit_events_created_brin')`);
    let total = 0;
    for (let count = BATCH; count === BATCH; total += count) {
      const [, deleted]: [unknown, number] = await this.db.query(
        // By row address (events are never updated): the batch's rows are fetched, not the table scanned to match them.
        `DELETE FROM audit_events WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM audit_events WHERE created_at < now() - make_interval(days => $1) LIMIT ${BATCH}))`,
        [this.config.auditRetentionDays],
      );
      count = deleted;
    }
    return total;
  }

  private pruneAndSay(): Promise<void> {
    return this.prune().then(
      (count) => {
        if (count) this.logger.log(`Removed ${count} audit events older than ${this.config.auditRetentionDays} days`);
      },
      (error: Error) => this.logger.warn(`Audit retention failed: ${error.message}`),
    );
  }
}
