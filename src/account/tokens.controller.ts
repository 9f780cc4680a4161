import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { TokenAuth } from '../auth/auth-context';
import { Auth, Authenticated, Public } from '../auth/auth.decorators';
import { CreatedTokenResponse, TokenResponse } from '../auth/token.response';
import { ApiData, ApiErrors, ApiNoContent, ApiPage } from '../common/http/api-responses';
import { Client, ClientInfo } from '../geo/client.decorator';
import { PageQuery, toPage } from '../common/http/pagination';
import { IdParamPipe } from '../common/http/id-param.pipe';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { AccountTokensService } from './account-tokens.service';
import { CreateTokenDto } from './dto/create-token.dto';
import { EmptyBody, NoBody } from '../common/validation/no-body';

@ApiTags('auth')
@Controller('auth')
export class TokensController {
  constructor(private readonly tokens: AccountTokensService) {}

  /** Exchanges credentials for a personal access token bound to one team; the token is shown once. */
  @Post('token')
  @Public()
  @RateLimit('login')
  @ApiData(201, CreatedTokenResponse)
  @ApiErrors({ 401: 'The email and password do not match.', 403: '`team_id` names a team the user is not in.' })
  async create(@Body() dto: CreateTokenDto, @Client() client: ClientInfo) {
    return { message: 'Token created successfully.', data: await this.tokens.issue(dto, client) };
  }

  /** The caller's tokens in this team: prefixes, never values. */
  @Get('tokens')
  @Authenticated({ ability: 'any' })
  @ApiPage(TokenResponse)
  list(@Auth() auth: TokenAuth, @Query() query: PageQuery) {
    return this.tokens.list(auth, toPage(query));
  }

  /** Revokes one of the caller's tokens in this team, holding no ability the calling token lacks. */
  @Delete('tokens/:id')
  @HttpCode(204)
  @Authenticated({ ability: 'any' })
  @ApiNoContent()
  @ApiErrors({ 403: 'The token to revoke holds an ability the calling token lacks.' })
  async revoke(
    @Auth() auth: TokenAuth,
    @Param('id', IdParamPipe) id: string,
    @EmptyBody() _body: NoBody,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.tokens.revoke(auth, id, client);
  }
}
