import { Module } from '@nestjs/common';
import { BillingModule } from '../billing/billing.module';
import { TeamsModule } from '../teams/teams.module';
import { TeamWebhookSecretRepository } from './team-webhook-secret.repository';
import { WebhookDeliveriesController } from './webhook-deliveries.controller';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookEndpointsController } from './webhook-endpoints.controller';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WebhookSecretController } from './webhook-secret.controller';
import { WebhookSecretsService } from './webhook-secrets.service';
import { WebhookSender } from './webhook-sender';
import { WebhookUrlGuard } from './webhook-url-guard';

/** Consultation webhooks: the outbox the secrets' statements write, its worker, signing, endpoints and the log. */
@Module({
  imports: [BillingModule, TeamsModule],
  controllers: [WebhookEndpointsController, WebhookDeliveriesController, WebhookSecretController],
  providers: [
    WebhookUrlGuard,
    TeamWebhookSecretRepository,
    WebhookSecretsService,
    WebhookSender,
    WebhookDeliveryRepository,
    WebhookDispatcher,
    WebhookEndpointsService,
    WebhookDeliveriesService,
  ],
  exports: [WebhookUrlGuard, WebhookDeliveriesService, WebhookDispatcher, WebhookSecretsService],
})
export class WebhooksModule {}
