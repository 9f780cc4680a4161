import { Controller, Headers, HttpCode, Post, RawBodyRequest, Req } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../auth/auth.decorators';
import { ApiErrors } from '../common/http/api-responses';
import { LargeBody } from '../common/http/body-limit';
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
  @LargeBody()
  @ApiHeader({ name: 'stripe-signature', required: true, description: 'Stripe’s signature of the raw body' })
  @ApiBody({ description: 'A Stripe event, read from the signed bytes', schema: { type: 'object' } })
  @ApiResponse({
    status: 200,
    description: 'Received (an event id already seen, or of a type not handled, changes nothing)',
    schema: { type: 'object', required: ['received'], properties: { received: { type: 'boolean', enum: [true] } } },
  })
  @ApiErrors({
    400: 'The signature is missing, wrong or stale (`code: invalid_signature`).',
    503: 'STRIPE_WEBHOOK_SECRET is not set (`code: billing_not_configured`).',
  })
  receive(@Req() request: RawBodyRequest<FastifyRequest>, @Headers('stripe-signature') signature: string | undefined) {
    return this.stripe.handle(request.rawBody, signature);
  }
}
