import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { AuthContext, TokenAuth } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import { GONE_FAILURE } from './secret-gone';
import { ApiData, ApiErrors, ApiNoContent, ApiPage } from '../common/http/api-responses';
import { Client, ClientInfo } from '../geo/client.decorator';
import { PageQuery, toPage } from '../common/http/pagination';
import { WebhookDeliveryResponse } from '../webhooks/webhook-delivery.response';
import { IdParamPipe } from '../common/http/id-param.pipe';
import { CreateFileSecretForm } from './dto/create-file-secret.dto';
import { CreateSecretDto } from './dto/create-secret.dto';
import { ListSecretsQuery } from './dto/list-secrets.query';
import { UpdateSecretDto } from './dto/update-secret.dto';
import { SecretResponse } from './secret.response';
import { SecretsService } from './secrets.service';
import { CreateSecretBody, MultipartUpload } from './files/create-secret-body';
import { ReadsMultipart } from '../common/http/multipart';
import { FileSecretsService } from './files/file-secrets.service';
import { EmptyBody, NoBody } from '../common/validation/no-body';

@ApiTags('secrets')
@Controller('secrets')
export class SecretsController {
  constructor(
    private readonly secrets: SecretsService,
    private readonly files: FileSecretsService,
  ) {}

  /**
   * Creates a secret; the response is the only place its link token ever appears. A
   * `multipart/form-data` body (the fields, then one `file` part) makes a file secret.
   */
  @Post()
  @Authenticated({ ability: 'secrets:write', anonymous: true })
  @ReadsMultipart()
  @ApiExtraModels(CreateSecretDto, CreateFileSecretForm)
  @ApiOperation({
    requestBody: {
      required: true,
      content: {
        'application/json': { schema: { $ref: getSchemaPath(CreateSecretDto) } },
        'multipart/form-data': { schema: { $ref: getSchemaPath(CreateFileSecretForm) } },
      },
    },
  })
  @ApiData(201, SecretResponse)
  @ApiErrors({
    401: 'The token is malformed, unknown, expired or revoked (no `Authorization` at all makes an anonymous secret, when allowed).',
    403: 'The token lacks `secrets:write`, or the plan lacks files, webhooks or geo-blocking (`code: plan_limit`).',
  })
  async create(@Auth() auth: AuthContext, @CreateSecretBody() body: CreateSecretDto | MultipartUpload, @Client() client: ClientInfo) {
    const data =
      body instanceof MultipartUpload ? await this.files.create(auth, body.request, client) : await this.secrets.create(auth, body, client);
    return { message: 'Secret created successfully.', data };
  }

  /** The team's secrets, metadata only, newest first. */
  @Get()
  @Authenticated({ ability: 'secrets:read' })
  @ApiPage(SecretResponse)
  list(@Auth() auth: TokenAuth, @Query() query: ListSecretsQuery) {
    return this.secrets.list(auth, query.status, toPage(query));
  }

  /** One secret's metadata; spends no view. */
  @Get(':id')
  @Authenticated({ ability: 'secrets:read' })
  @ApiData(200, SecretResponse)
  async show(@Auth() auth: TokenAuth, @Param('id', IdParamPipe) id: string) {
    return { data: await this.secrets.show(auth, id) };
  }

  @Put(':id')
  @Authenticated({ ability: 'secrets:write' })
  @ApiData(200, SecretResponse)
  @ApiErrors({
    403: 'The token lacks `secrets:write`, or a member changes a colleague’s secret.',
    ...GONE_FAILURE,
  })
  async update(@Auth() auth: TokenAuth, @Param('id', IdParamPipe) id: string, @Body() dto: UpdateSecretDto, @Client() client: ClientInfo) {
    return { message: 'Secret updated successfully.', data: await this.secrets.update(auth, id, dto, client) };
  }

  /** Destroys the content at once; the link answers 410 from then on. */
  @Delete(':id')
  @HttpCode(204)
  @Authenticated({ ability: 'secrets:write' })
  @ApiNoContent()
  @ApiErrors({
    403: 'The token lacks `secrets:write`, or a member deletes a colleague’s secret.',
    ...GONE_FAILURE,
  })
  async remove(
    @Auth() auth: TokenAuth,
    @Param('id', IdParamPipe) id: string,
    @EmptyBody() _body: NoBody,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.secrets.remove(auth, id, client);
  }

  /** The webhook deliveries of this secret's events, newest first. */
  @Get(':id/webhook-deliveries')
  @Authenticated({ ability: 'secrets:read', admin: true })
  @ApiPage(WebhookDeliveryResponse)
  webhookDeliveries(@Auth() auth: TokenAuth, @Param('id', IdParamPipe) id: string, @Query() query: PageQuery) {
    return this.secrets.webhookDeliveriesOf(auth, id, toPage(query));
  }
}
