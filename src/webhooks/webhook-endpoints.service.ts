import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, Not } from 'typeorm';
import { TeamsService } from '../teams/teams.service';
import { AuditService } from '../audit/audit.service';
import type { TokenAuth } from '../auth/auth-context';
import { BillingService } from '../billing/billing.service';
import { ApiError } from '../common/errors/api-error';
import { findPage, Page, paginated, Paginated } from '../common/http/pagination';
import type { ClientInfo } from '../geo/client.decorator';
import { CreateWebhookEndpointDto } from './dto/create-webhook-endpoint.dto';
import { UpdateWebhookEndpointDto } from './dto/update-webhook-endpoint.dto';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { presentWebhookEndpoint } from './webhook-endpoint.presenter';
import type { WebhookEndpointResponse } from './webhook-endpoint.response';
import { WEBHOOK_EVENT_TYPES, WebhookEventType } from './webhook-event';
import { canonicalWebhookUrl, WebhookUrlGuard } from './webhook-url-guard';
import { lockUntilCommit } from '../common/database/advisory-lock';

/** Endpoints a team may have: each is another delivery of every event. */
const MAX_ENDPOINTS_PER_TEAM = 10;

/** A team's own endpoints, which receive its events (a Pro feature). */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly urls: WebhookUrlGuard,
    private readonly billing: BillingService,
    private readonly audit: AuditService,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly teamsService: TeamsService,
  ) {}

  async list(auth: TokenAuth, page: Page): Promise<Paginated<WebhookEndpointResponse>> {
    const [endpoints, total] = await findPage(this.db.getRepository(WebhookEndpoint), page, {
      where: { teamId: auth.teamId },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    return paginated(endpoints.map(presentWebhookEndpoint), total, page);
  }

  async create(auth: TokenAuth, dto: CreateWebhookEndpointDto, client: ClientInfo): Promise<WebhookEndpointResponse> {
    this.billing.assertAllowed(this.billing.planOf(auth), 'webhooks');
    const url = await this.urls.accepted('url', dto.url);
    const endpoint = await this.db.transaction(async (manager) => {
      await lockUntilCommit(manager, 'webhook_endpoints', auth.teamId);
      await this.teamsService.assertAdminNow(auth, manager);
      const existing = await this.othersOfTeam(manager, auth.teamId, url);
      if (existing.length >= MAX_ENDPOINTS_PER_TEAM) {
        throw ApiError.validation(
          { url: [`A team may have at most ${MAX_ENDPOINTS_PER_TEAM} webhook endpoints.`] },
          'webhook_endpoint_limit',
        );
      }
      const row = manager.getRepository(WebhookEndpoint).create({
        id: randomUUID(),
        teamId: auth.teamId,
        url,
        events: dto.events ?? [...WEBHOOK_EVENT_TYPES],
      });
      await manager.getRepository(WebhookEndpoint).insert(row);
      await this.audit.record(auth, client, 'webhook.created', row.id, manager);
      return manager.getRepository(WebhookEndpoint).findOneByOrFail({ id: row.id });
    });
    return presentWebhookEndpoint(endpoint);
  }

  /**
   * Changes what is given; deliveries still due to the endpoint go to its new URL. What it has
   * already (its URL however spelt, its events in any order) is no change, and records nothing.
   * Asked in GitHub's order, as a retry is (WebhookDeliveriesService): the caller's role now (a
   * demotion since the guard read it), then the endpoint (another team's id is a 404 whatever the
   * plan), then the plan; the role is read again under the transaction's lock, as the URL's check
   * may wait on DNS.
   */
  async update(auth: TokenAuth, id: string, dto: UpdateWebhookEndpointDto, client: ClientInfo): Promise<WebhookEndpointResponse> {
    await this.teamsService.assertAdminNow(auth, this.db.manager);
    if (!(await this.db.getRepository(WebhookEndpoint).existsBy({ teamId: auth.teamId, id }))) throw endpointNotFound();
    this.billing.assertAllowed(this.billing.planOf(auth), 'webhooks');
    const url = dto.url === undefined ? undefined : await this.urls.accepted('url', dto.url);
    const endpoint = await this.db.transaction(async (manager) => {
      await lockUntilCommit(manager, 'webhook_endpoints', auth.teamId);
      await this.teamsService.assertAdminNow(auth, manager);
      const endpoints = manager.getRepository(WebhookEndpoint);
      const endpoint = await endpoints.findOneBy({ teamId: auth.teamId, id });
      if (!endpoint) throw endpointNotFound();
      const changes = {
        ...(url !== undefined && !sameUrl(endpoint.url, url) && { url }),
        ...(dto.events !== undefined && !sameEvents(endpoint.events, dto.events) && { events: dto.events }),
      };
      if (Object.keys(changes).length === 0) return endpoint;
      if (changes.url !== undefined) await this.othersOfTeam(manager, auth.teamId, changes.url, id);
      // The row first: a hand retry reading it (sendAgain) then waits for this change, or made its delivery pending before it.
      await endpoints.update({ teamId: auth.teamId, id }, changes);
      if (changes.url !== undefined) await this.deliveries.redirectPendingForEndpoint(auth.teamId, id, changes.url, manager);
      await this.audit.record(auth, client, 'webhook.updated', id, manager);
      return endpoints.findOneByOrFail({ id });
    });
    return presentWebhookEndpoint(endpoint);
  }

  async remove(auth: TokenAuth, id: string, client: ClientInfo): Promise<void> {
    const removed = await this.db.transaction(async (manager) => {
      await this.teamsService.assertAdminNow(auth, manager);
      const result = await manager.getRepository(WebhookEndpoint).delete({ teamId: auth.teamId, id });
      if (!result.affected) return false;
      await this.deliveries.failPendingForEndpoint(auth.teamId, id, manager);
      await this.audit.record(auth, client, 'webhook.deleted', id, manager);
      return true;
    });
    if (!removed) throw endpointNotFound();
  }

  /**
   * The URLs of the team's endpoints other than `exceptId`; refuses `url` when one of them has it,
   * as GitHub refuses a second hook for one URL: each would get its own copy of every event.
   */
  private async othersOfTeam(manager: EntityManager, teamId: string, url: string, exceptId?: string): Promise<{ url: string }[]> {
    const others = await manager.getRepository(WebhookEndpoint).find({
      where: { teamId, ...(exceptId && { id: Not(exceptId) }) },
      select: { url: true },
    });
    if (others.some((endpoint) => sameUrl(endpoint.url, url))) {
      throw ApiError.field('url', 'A webhook endpoint with this URL already exists.');
    }
    return others;
  }
}

const endpointNotFound = () => ApiError.notFound('Webhook endpoint not found.');

/** Two URLs of one receiver (`https://Hooks.example.` and `https://hooks.example/`), as a row stored before canonicalWebhookUrl may be spelt otherwise. */
const sameUrl = (a: string, b: string) => canonicalWebhookUrl(a).href === canonicalWebhookUrl(b).href;

/** Two lists of distinct event types (as the DTO holds them) that subscribe to the same events, in whatever order. */
const sameEvents = (a: readonly WebhookEventType[], b: readonly WebhookEventType[]) =>
  a.length === b.length && b.every((type) => a.includes(type));
