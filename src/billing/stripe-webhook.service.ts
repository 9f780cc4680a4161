import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isUUID } from 'class-validator';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { ApiError } from '../common/errors/api-error';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { TeamPlansService } from './team-plans.service';
import { readEvent, readSubscription, SIGNATURE_TOLERANCE_SECONDS, SubscriptionFields } from './stripe-event-reader';
import type { PlanName } from './plans';

/** In the order Stripe makes them for one subscription, which breaks ties between events of the same second. */
const SUBSCRIPTION_EVENTS = ['customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted'];
/**
 * Subscriptions that keep their plan. `past_due` does, as Stripe's dunning expects: its retries
 * run for days, and dropping to free at the first failed renewal would stop a team's webhooks
 * (with nothing queued) until the card is fixed; `unpaid`, `canceled` and the rest do not.
 */
const PAYING = ['active', 'trialing', 'past_due'];
/**
 * How long an event id is kept to deduplicate its deliveries: well past the 3 days Stripe retries
 * an event for, and as long as Stripe keeps an event for someone to resend it from the Dashboard.
 */
const EVENT_RETENTION_DAYS = 30;
const FORGOTTEN_PER_RUN = 10_000;

/**
 * The timestamp constructEvent checks the signature against, read as the stripe library's own
 * parseHeader reads it (which it does not export): the last `t=` item's, by parseInt. Another
 * reading would let `t=<now>,t=<future>,v1=<signature over future>` through the future check.
 */
function signedTimestamp(header: string): number {
  let timestamp = NaN;
  for (const item of header.split(',')) {
    const [key, value] = item.split('=');
    if (key === 't') timestamp = parseInt(value, 10);
  }
  return timestamp;
}

@Injectable()
export class StripeWebhookService implements OnApplicationBootstrap {
  private readonly logger = new Logger(StripeWebhookService.name);
  // Only the webhook helpers are used; no API key is needed to verify signatures.
  private readonly stripe = new Stripe('sk_unused_for_signature_checks');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly teamPlans: TeamPlansService,
  ) {}

  /** A secret without prices takes every event and gives every subscription the free plan. */
  onApplicationBootstrap(): void {
    const { webhookSecret, pricesPro, pricesEnterprise } = this.config.stripe;
    if (webhookSecret && !pricesPro.length && !pricesEnterprise.length) {
      this.logger.warn(
        'STRIPE_WEBHOOK_SECRET is set but neither STRIPE_PRICE_PRO nor STRIPE_PRICE_ENTERPRISE: every subscription will mean the free plan',
      );
    }
  }

  async handle(rawBody: Buffer | undefined, signature: string | undefined): Promise<{ received: true }> {
    const secret = this.config.stripe.webhookSecret;
    if (!secret) throw ApiError.unavailable('Stripe billing is not configured.', { code: 'billing_not_configured' });
    const event = readEvent(this.verify(rawBody, signature, secret));
    if (!event) {
      this.logger.warn('A signed Stripe event is not shaped as Stripe sends them; ignored');
      return { received: true };
    }

    await this.db.transaction(async (manager) => {
      const fresh: { id: string }[] = await manager.query(
        `INSERT INTO stripe_events (id, type) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING id`,
        [event.id, event.type],
      );
      // The first delivery of an event id is the only one that counts.
      if (!fresh.length || !SUBSCRIPTION_EVENTS.includes(event.type)) return;
      const subscription = readSubscription(event.object);
      if (!subscription) {
        this.logger.warn(`Stripe event ${event.id} names no readable subscription`);
        return;
      }
      const named = subscription.teamId && isUUID(subscription.teamId) ? subscription.teamId : undefined;
      const deleted = event.type === 'customer.subscription.deleted';
      const applied = await this.teamPlans.applySubscription(
        named,
        {
          id: subscription.id,
          plan: deleted ? 'free' : this.planOf(subscription),
          status: deleted ? 'canceled' : subscription.status,
          at: new Date(event.created * 1000),
          rank: SUBSCRIPTION_EVENTS.indexOf(event.type),
        },
        manager,
      );
      if (!applied) {
        this.logger.warn(
          `Stripe event ${event.id} changed nothing (no team: an unknown subscription whose metadata names none; or older than its subscription's last)`,
        );
      }
    });
    return { received: true };
  }

  /**
   * Forgets the event ids past the retention: Stripe delivers none of those events again. A batch
   * a run, so a backlog (the first run after an upgrade) takes a few runs rather than one long statement.
   */
  async forgetOldEvents(): Promise<void> {
    await this.db.query(
      `DELETE FROM stripe_events WHERE id IN (
         SELECT id FROM stripe_events WHERE received_at < now() - make_interval(days => ${EVENT_RETENTION_DAYS}) LIMIT ${FORGOTTEN_PER_RUN})`,
    );
  }

  /** The signed event, or undefined for a signed body it cannot read (acknowledged and ignored, like any such event). */
  private verify(rawBody: Buffer | undefined, signature: string | undefined, secret: string): Stripe.Event | undefined {
    const invalid = () => new ApiError(400, 'The Stripe signature is invalid.', { code: 'invalid_signature' });
    if (!rawBody || !signature) throw invalid();
    // constructEvent refuses stale timestamps; a timestamp from the future is refused here.
    const timestamp = signedTimestamp(signature);
    if (!Number.isFinite(timestamp) || timestamp - Date.now() / 1000 > SIGNATURE_TOLERANCE_SECONDS) throw invalid();
    try {
      return this.stripe.webhooks.constructEvent(rawBody, signature, secret, SIGNATURE_TOLERANCE_SECONDS);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeSignatureVerificationError) throw invalid();
      // Verified, then not read: a body that is not JSON, or an event the library will not build.
      return undefined;
    }
  }

  /**
   * Paying subscriptions get the plan their price maps to; anything else is free. A paying one
   * whose prices are none of STRIPE_PRICE_* is said, as its team stays on free though it pays.
   */
  private planOf(subscription: SubscriptionFields): PlanName {
    if (!PAYING.includes(subscription.status)) return 'free';
    const { id, prices } = subscription;
    const { pricesPro, pricesEnterprise } = this.config.stripe;
    if (prices.some((price) => pricesEnterprise.includes(price))) return 'enterprise';
    if (prices.some((price) => pricesPro.includes(price))) return 'pro';
    this.logger.warn(
      `Stripe subscription ${id} is ${subscription.status} on prices [${prices.join(', ')}], none of STRIPE_PRICE_PRO or STRIPE_PRICE_ENTERPRISE: its team gets the free plan`,
    );
    return 'free';
  }
}
