import { Controller, Get, Headers, HttpCode, Post, RawBodyRequest, Req } from '@nestjs/common';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { TokenAuth } from '../auth/auth-context';
import { Auth, Authenticated, Public } from '../auth/auth.decorators';
import { BillingOverview } from './billing-overview';
import { StripeWebhookService } from './stripe-webhook.service';

@ApiTags('billing')
@Controller('billing')
export class BillingController {
  constructor(
    private readonly overview: BillingOverview,
    private readonly stripe: StripeWebhookService,
  ) {}

  /** The team's plan, billing status, limits and this period's usage. */
  @Get()
  @Authenticated()
  async show(@Auth() auth: TokenAuth) {
    return { data: await this.overview.describe(auth) };
  }

  /** Stripe's subscription events, verified by signature; each event id counts once. */
  @Post('stripe/webhook')
  @HttpCode(200)
  @Public()
  @RateLimit('none')
  @ApiExcludeEndpoint()
  receive(@Req() request: RawBodyRequest<FastifyRequest>, @Headers('stripe-signature') signature: string | undefined) {
    return this.stripe.handle(request.rawBody, signature);
  }
}
