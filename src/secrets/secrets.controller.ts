import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiExtraModels, ApiHeader, ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { AuthContext, TokenAuth } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import { GONE_CODES, GONE_FAILURE } from './secret-gone';
import { ApiData, ApiErrors, ApiNoContent, ApiPage, dataSchema, ErrorResponse } from '../common/http/api-responses';
import { Client, ClientInfo } from '../geo/client.decorator';
import { toPage } from '../common/http/pagination';
import { ListWebhookDeliveriesQuery } from '../webhooks/dto/list-webhook-deliveries.query';
import { ApiWebhookEvents } from '../webhooks/webhook-callbacks';
import { WebhookDeliveryResponse } from '../webhooks/webhook-delivery.response';
import { IdParamPipe } from '../common/http/id-param.pipe';
import { CreateFileSecretForm } from './dto/create-file-secret.dto';
import { CreateSecretDto } from './dto/create-secret.dto';
import { ListSecretsQuery } from './dto/list-secrets.query';
import { UpdateSecretDto } from './dto/update-secret.dto';
import { SecretResponse } from './secret.response';
import { SecretsService } from './secrets.service';
import { CreateSecretBody, MultipartUpload } from './files/create-secret-body';
import { LargeBody } from '../common/http/body-limit';
import { ReadsMultipart } from '../common/http/multipart';
import { FileSecretsService } from './files/file-secrets.service';
import { EmptyBody, NoBody } from '../common/validation/no-body';
import {
  IDEMPOTENCY_KEY,
  IDEMPOTENCY_KEY_HEADER,
  IdempotencyKey,
  IDEMPOTENT_REPLAYED_HEADER,
  KeyHeader,
} from './idempotency/idempotency-key';
import type { HeaderSink } from '../common/http/direct-routes';

/** On an answer that repeats an earlier create's: its 201, or the 410 once that secret has ended. */
const REPLAYED = {
  [IDEMPOTENT_REPLAYED_HEADER]: {
    description: '`true` when this answer repeats an earlier create’s under the same `Idempotency-Key`.',
    schema: { type: 'string', enum: ['true'] },
  },
};

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
  @LargeBody()
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
  @ApiHeader({
    name: IDEMPOTENCY_KEY_HEADER,
    required: false,
    schema: { type: 'string', minLength: 1, maxLength: 255, pattern: IDEMPOTENCY_KEY.source },
    description:
      'Makes retrying safe: for 24 hours, a create with the same key from the same user and team gets the first one’s answer (with `Idempotent-Replayed: true`) and makes nothing. 1 to 255 printable ASCII characters; needs a token.',
  })
  @ApiExtraModels(SecretResponse)
  @ApiResponse({ status: 201, schema: dataSchema(SecretResponse), headers: REPLAYED })
  @ApiResponse({
    status: 410,
    description: `The secret an earlier create under this \`Idempotency-Key\` made has ended (\`code\`: ${GONE_CODES}).`,
    type: ErrorResponse,
    headers: REPLAYED,
  })
  @ApiErrors({
    400: 'The body is not parseable JSON or multipart, or the `Idempotency-Key` is malformed or sent without a token (`code: idempotency_key_invalid`).',
    401: 'The token is malformed, unknown, expired or revoked (no `Authorization` at all makes an anonymous secret, when allowed).',
    403: 'The token lacks `secrets:write`, or the plan lacks files, webhooks or geo-blocking (`code: plan_limit`).',
    422: 'Validation failed (`errors` names each field; unknown fields are refused too), or this `Idempotency-Key` was used for a different request (`code: idempotency_key_reused`).',
  })
  @ApiWebhookEvents('webhook_url')
  async create(
    @Auth() auth: AuthContext,
    @CreateSecretBody() body: CreateSecretDto | MultipartUpload,
    @Client() client: ClientInfo,
    @IdempotencyKey() key: KeyHeader,
    @Res({ passthrough: true }) reply: HeaderSink,
  ) {
    const created =
      body instanceof MultipartUpload
        ? await this.files.create(auth, body.request, client, key)
        : await this.secrets.create(auth, body, client, key);
    if (created.replayed) reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
    return { message: 'Secret created successfully.', data: created.data };
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
  @LargeBody()
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
  webhookDeliveries(@Auth() auth: TokenAuth, @Param('id', IdParamPipe) id: string, @Query() query: ListWebhookDeliveriesQuery) {
    return this.secrets.webhookDeliveriesOf(auth, id, toPage(query), query.status);
  }
}
