import { Controller, Headers, HttpCode, Post, RawBodyRequest, Req } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../auth/auth.decorators';
import { RawBodyOnly } from '../common/http/raw-body-only';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { StripeWebhookService } from './stripe-webhook.service';

@ApiTags('billing')
@Controller('billing')
export class StripeWebhookController {
  constructor(private readonly stripe: StripeWebhookService) {}

  /** Stripe's subscription events, verified by signature; each event id counts once. */
  @Post('stripe/webhook')
  @HttpCode(200)
  @Public()
  @RateLimit('stripe')
  @RawBodyOnly()
  @ApiExcludeEndpoint()
  receive(@Req() request: RawBodyRequest<FastifyRequest>, @Headers('stripe-signature') signature: string | undefined) {
    return this.stripe.handle(request.rawBody, signature);
  }
}
