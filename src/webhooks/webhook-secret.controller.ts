import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { TokenAuth } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import { ApiData, ApiErrors } from '../common/http/api-responses';
import { Client, ClientInfo } from '../geo/client.decorator';
import { WebhookSecretResponse } from './webhook-secret.response';
import { WebhookSecretsService } from './webhook-secrets.service';
import { EmptyBody, NoBody } from '../common/validation/no-body';

@ApiTags('webhooks')
@Controller('team/webhook-secret')
export class WebhookSecretController {
  constructor(private readonly secrets: WebhookSecretsService) {}

  /** The HMAC key that signs this team's webhooks. */
  @Get()
  @Authenticated({ ability: 'team:write', admin: true })
  @ApiData(200, WebhookSecretResponse)
  @ApiErrors({ 503: '`key_unavailable`: the secret is sealed under a master key this instance does not hold (mid-rollout); another may.' })
  async show(@Auth() auth: TokenAuth) {
    return { data: await this.secrets.show(auth.teamId) };
  }

  /** A new signing key; the old one keeps signing alongside it for 24 hours. */
  @Post('rotate')
  @HttpCode(200)
  @Authenticated({ ability: 'team:write', admin: true })
  @ApiData(200, WebhookSecretResponse)
  async rotate(@Auth() auth: TokenAuth, @EmptyBody() _body: NoBody, @Client() client: ClientInfo) {
    return { message: 'Webhook secret rotated.', data: await this.secrets.rotate(auth, client) };
  }
}
