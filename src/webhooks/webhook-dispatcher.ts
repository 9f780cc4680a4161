import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PeriodicJob } from '../common/concurrency/periodic-job';
import { Keyring } from '../crypto/keyring';
import { ClaimedDelivery, teamDestination, WalkPlace, WebhookDeliveryRepository } from './webhook-delivery.repository';
import { webhookBody } from './webhook-event';
import { SigningSecretDamaged, WebhookSecretsService } from './webhook-secrets.service';
import { AttemptOutcome, WEBHOOK_CONCURRENCY, WebhookSender } from './webhook-sender';
import { signatureHeaders } from './webhook-signature';

const JOB = 'deliver-webhooks';
/** How long the delivery log keeps finished deliveries. */
const DELIVERY_LOG_DAYS = 30;
/**
 * Deliveries one instance sends at once; of those, one team's (so no team's receivers can hold
 * them all), one of a team's destinations' (so a receiver that never answers leaves its team
 * room), and the places only a team with none under way may take (so a few teams whose receivers
 * never answer cannot hold them all either).
 */
const CONCURRENCY = WEBHOOK_CONCURRENCY;
const PER_TEAM = 4;
const PER_DESTINATION = 2;
const FOR_IDLE_TEAMS = 4;
/** How long past the timeout a lease lasts, for the outcome to be written. */
const LEASE_MARGIN_MS = 5_000;
/** The longest wait a receiver's Retry-After gets. */
const MAX_RETRY_AFTER_SECONDS = 86_400;

/**
 * Drains the outbox on every instance: claims due deliveries, sends each once, records the
 * outcome and, on failure, when to try again (WEBHOOK_RETRY_DELAYS, or the receiver's
 * Retry-After where it asks for longer, up to a day). Nothing waits on it: reveals only write the row.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private claiming: Promise<void> | null = null;
  /** Woken while a claim ran: what woke it (a delivery queued, a place freed) may have come after the claim looked. */
  private wokenWhileClaiming = false;
  /** Wakes the claim on WEBHOOK_POLL_INTERVAL_MS; wake() itself runs one claim at a time. */
  private readonly polling: PeriodicJob;
  private readonly pruning: PeriodicJob;
  /** Attempts under way, by delivery id: each frees its place when it ends, so one slow receiver holds up only its own. */
  private readonly sending = new Map<string, Promise<void>>();
  /** Each team's, and each of a team's destinations' (by teamDestination()), attempts under way here. */
  private readonly runningByTeam = new Map<string, number>();
  private readonly runningByDestination = new Map<string, number>();
  /** The IVs (by hex) of the teams' current signing secrets found damaged here: claims pass those teams over. One a damaged team, kept for the process's life. */
  private readonly damagedSecrets = new Map<string, Buffer>();
  /** Where the last claim's walk of the pending pairs stopped: the next walks on from there (null: from the first). */
  private walkedTo: WalkPlace | null = null;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly secrets: WebhookSecretsService,
    private readonly sender: WebhookSender,
    scheduler: SchedulerRegistry,
    private readonly keyring: Keyring,
  ) {
    this.polling = new PeriodicJob(scheduler, JOB, () => Promise.resolve(this.wake()));
    this.pruning = new PeriodicJob(scheduler, 'prune-webhook-deliveries', () =>
      this.pruneLog().then(
        () => undefined,
        (error: Error) => this.logger.warn(`Pruning failed: ${error.message}`),
      ),
    );
  }

  /**
   * Claims and prunes once at start, then on their intervals: a backlog left while no instance ran
   * goes out at once, and an instance restarted more often than hourly still prunes.
   */
  onApplicationBootstrap(): void {
    this.polling.start(this.config.webhooks.pollIntervalMs);
    this.pruning.start(3_600_000);
  }

  /** Keeps the delivery log to its last DELIVERY_LOG_DAYS days (pending deliveries stay, however old). */
  pruneLog(): Promise<number> {
    return this.deliveries.removeFinished(DELIVERY_LOG_DAYS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await Promise.all([this.polling.stop(), this.claiming, this.pruning.stop()]);
    // Attempts under way finish (within WEBHOOK_TIMEOUT_MS) before the connections close: cut,
    // each would be recorded as the receiver's failure and sent again.
    await Promise.allSettled(this.sending.values());
    this.sender.close();
  }

  /** Claims due deliveries for the free places now, or, while a claim is running, once more after it. */
  wake(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.wokenWhileClaiming = true;
      return;
    }
    this.claiming = this.claimWhileWoken()
      .catch((error: Error) => this.logger.warn(`Webhook delivery paused: ${error.message}`))
      .finally(() => {
        this.claiming = null;
      });
  }

  private async claimWhileWoken(): Promise<void> {
    do {
      this.wokenWhileClaiming = false;
      await this.claim();
    } while (this.wokenWhileClaiming && !this.stopped);
  }

  /** An attempt's lease, from its claim and again from just before its send: the send's timeout, and time to record it. */
  private get leaseMs(): number {
    return this.config.webhooks.timeoutMs + LEASE_MARGIN_MS;
  }

  private async claim(): Promise<void> {
    while (!this.stopped && this.sending.size < CONCURRENCY) {
      const room = CONCURRENCY - this.sending.size;
      const walkedFrom = this.walkedTo;
      const { deliveries: claimed, walkedTo } = await this.deliveries.claimDue(
        {
          limit: room,
          shared: CONCURRENCY - FOR_IDLE_TEAMS - this.sending.size,
          runningByTeam: this.runningByTeam,
          perTeam: PER_TEAM,
          runningByDestination: this.runningByDestination,
          perDestination: PER_DESTINATION,
          sending: [...this.sending.keys()],
        },
        this.leaseMs,
        this.keyring.keyIds,
        [...this.damagedSecrets.values()],
        this.walkedTo,
      );
      this.walkedTo = walkedTo;
      for (const delivery of claimed) {
        const destination = teamDestination(delivery.team_id, delivery.destination);
        count(this.runningByTeam, delivery.team_id, +1);
        count(this.runningByDestination, destination, +1);
        const sent: Promise<void> = this.attempt(delivery)
          .catch((error: Error) => this.logger.warn(`Webhook ${delivery.id} attempt not recorded: ${error.message}`))
          .finally(() => {
            this.sending.delete(delivery.id);
            count(this.runningByTeam, delivery.team_id, -1);
            count(this.runningByDestination, destination, -1);
            // The freed place may be the one a due delivery waits for (its team's, its destination's):
            // a backlog drains at the receiver's pace, not the poll's.
            this.wake();
          });
        this.sending.set(delivery.id, sent);
      }
      if (claimed.length === room) continue;
      // A walk that found nothing it may send walks on at once, to the last pair at most: left to
      // the next poll, a backlog of P pairs would keep a fresh event waiting about P / 256 polls.
      if (claimed.length > 0 || !walkedOn(walkedFrom, walkedTo)) return;
    }
  }

  /**
   * One attempt, its outcome always recorded (a failure to sign counts as a failed attempt), except
   * when the team's signing secret is damaged: nothing it signs would verify, so the attempt is
   * given back and the team's deliveries wait, as for a key this instance lacks, until a rotation.
   * Signing reads the database (and may wait on it, up to DATABASE_QUERY_TIMEOUT_MS), so the lease
   * is confirmed and renewed just before the send: one that ran out meanwhile may be another
   * attempt's by then, and this one is dropped unsent and uncounted.
   */
  private async attempt(claim: ClaimedDelivery): Promise<void> {
    const startedAt = new Date();
    let held = claim;
    let outcome: AttemptOutcome;
    try {
      const body = webhookBody(claim.event_id, claim.type, claim.created_at, claim.data);
      const signingSecrets = await this.secrets.signingSecrets(claim.team_id);
      const headers = signatureHeaders(signingSecrets, claim.event_id, Math.floor(startedAt.getTime() / 1000), body);
      const renewed = await this.deliveries.renewLease(claim, this.leaseMs);
      if (!renewed) {
        this.logger.warn(
          `Webhook ${claim.id} attempt ${claim.attempts} not sent: it is no longer this attempt's (its lease ran out and another took it, or it was cancelled)`,
        );
        return;
      }
      held = renewed;
      outcome = await this.sender.send(claim.url, body, headers);
    } catch (error) {
      if (error instanceof SigningSecretDamaged) return this.holdTeam(claim, error);
      outcome = {
        ok: false,
        statusCode: null,
        error: `Not sent: ${(error as Error).message}`.slice(0, 500),
        durationMs: 0,
        retryAfter: null,
      };
    }
    const retryIn = outcome.ok ? null : this.retryDelaySeconds(claim.attempts, outcome.retryAfter);
    await this.deliveries.recordAttempt(held, {
      status: outcome.ok ? 'delivered' : retryIn === null ? 'failed' : 'pending',
      statusCode: outcome.statusCode,
      error: outcome.error,
      durationMs: outcome.durationMs,
      startedAt,
      nextAttemptAt: retryIn === null ? null : new Date(Date.now() + retryIn * 1000),
    });
    if (!outcome.ok) {
      this.logger.log(`Webhook ${claim.id} attempt ${claim.attempts} failed: ${outcome.error}`);
    }
  }

  private async holdTeam(delivery: ClaimedDelivery, damaged: SigningSecretDamaged): Promise<void> {
    const key = damaged.iv.toString('hex');
    if (!this.damagedSecrets.has(key)) {
      this.damagedSecrets.set(key, damaged.iv);
      this.logger.error(`${damaged.message}: its deliveries wait, spending no attempt, until an admin rotates it`);
    }
    await this.deliveries.giveBack(delivery);
  }

  /** Seconds until the next attempt after failed attempt `attempt` (1-based); null when none is left. */
  private retryDelaySeconds(attempt: number, retryAfter: number | null): number | null {
    const delays = this.config.webhooks.retryDelaysSeconds;
    if (attempt > delays.length) return null;
    // A receiver may ask for longer than the schedule, never for less: Retry-After: 1 on every
    // answer would otherwise spend the day's attempts in seconds.
    return Math.max(delays[attempt - 1], Math.min(retryAfter ?? 0, MAX_RETRY_AFTER_SECONDS));
  }
}

/** Whether a claim walked the pending pairs and stopped short of the last (a claim with no backlog leaves the place as it was). */
function walkedOn(from: WalkPlace | null, to: WalkPlace | null): boolean {
  return to !== null && (from === null || to.team_id !== from.team_id || to.destination !== from.destination);
}

/** Adds `by` to the key's count, forgetting it at 0. */
function count(counts: Map<string, number>, key: string, by: number): void {
  const now = (counts.get(key) ?? 0) + by;
  if (now) counts.set(key, now);
  else counts.delete(key);
}
