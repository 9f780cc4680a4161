import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { ApiTags } from '@nestjs/swagger';
import { Client, ClientInfo } from '../common/http/client.decorator';
import { PageQuery, toPage } from '../common/http/pagination';
import { IdParamPipe } from '../common/http/uuid-param.pipe';
import type { TokenAuth } from './auth-context';
import { Auth, Authenticated, Public } from './auth.decorators';
import { AuthService } from './auth.service';
import { CreateTokenDto } from './dto/create-token.dto';
import { RegisterDto } from './dto/register.dto';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Creates a user and their personal team (role owner, plan free). */
  @Post('register')
  @Public()
  @RateLimit('login')
  async register(@Body() dto: RegisterDto) {
    return { message: 'Registered successfully.', data: await this.auth.register(dto) };
  }

  /** Exchanges credentials for a personal access token bound to one team; the token is shown once. */
  @Post('token')
  @Public()
  @RateLimit('login')
  async createToken(@Body() dto: CreateTokenDto, @Client() client: ClientInfo) {
    return { message: 'Token created successfully.', data: await this.auth.issueToken(dto, client) };
  }

  /** The caller's tokens in this team: prefixes, never values. */
  @Get('tokens')
  @Authenticated()
  listTokens(@Auth() auth: TokenAuth, @Query() query: PageQuery) {
    return this.auth.listTokens(auth, toPage(query));
  }

  @Delete('tokens/:id')
  @HttpCode(204)
  @Authenticated()
  async revokeToken(@Auth() auth: TokenAuth, @Param('id', IdParamPipe) id: string, @Client() client: ClientInfo): Promise<void> {
    await this.auth.revokeToken(auth, id, client);
  }
}
