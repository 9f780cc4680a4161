import { Body, Controller, Delete, Get, HttpCode, Patch, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { TokenAuth } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import { ApiData, ApiErrors, ApiNoContent } from '../common/http/api-responses';
import type { HeaderSink } from '../common/http/direct-routes';
import { Client, ClientInfo } from '../geo/client.decorator';
import { AccountDeletionService } from './account-deletion.service';
import { AccountSettingsService } from './account-settings.service';
import { AccountResponse, AccountUserResponse, BillingResponse } from './account.response';
import { AccountService } from './account.service';
import { DeleteAccountDto } from './dto/delete-account.dto';
import { UpdateAccountDto } from './dto/update-account.dto';

@Controller()
export class AccountController {
  constructor(
    private readonly account: AccountService,
    private readonly settings: AccountSettingsService,
    private readonly deletion: AccountDeletionService,
  ) {}

  /** The caller, the token's team and role, the token's abilities, this period's usage and the plan's limits. */
  @Get('account')
  @ApiTags('auth')
  @Authenticated({ ability: 'any' })
  @ApiData(200, AccountResponse)
  async show(@Auth() auth: TokenAuth) {
    return { data: await this.account.describe(auth) };
  }

  /** Changes the caller's name or password (`current_password` confirms a new one); answers GET /account's `user`. */
  @Patch('account')
  @ApiTags('auth')
  @Authenticated({ ability: 'any' })
  @ApiData(200, AccountUserResponse)
  @ApiErrors({
    401: '`password_incorrect`: `current_password` is not the account’s (it spends from POST /auth/token’s budget for the account), without `WWW-Authenticate`, which only a refused token’s 401 carries.',
    422: 'Validation failed, `current_password` without `password` included; or `password` for a service account, which has none.',
  })
  async update(
    @Auth() auth: TokenAuth,
    @Body() dto: UpdateAccountDto,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) reply: HeaderSink,
  ) {
    return { message: 'Account updated.', data: await this.settings.update(auth, dto, client, reply) };
  }

  /** Deletes the caller's user for good, with their personal team and its secrets; every token of theirs stops working. */
  @Delete('account')
  @HttpCode(204)
  @ApiTags('auth')
  @Authenticated({ ability: 'any' })
  @ApiNoContent()
  @ApiErrors({
    401: '`password_incorrect`: `password` is not the account’s (it spends from POST /auth/token’s budget for the account), without `WWW-Authenticate`, which only a refused token’s 401 carries.',
    403: 'A service account’s token: an admin deletes service accounts.',
    422: 'Validation failed; or `last_owner`: the user is the last owner of other teams, each named in `errors.account`.',
  })
  async delete(
    @Auth() auth: TokenAuth,
    @Body() dto: DeleteAccountDto,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) reply: HeaderSink,
  ): Promise<void> {
    await this.deletion.delete(auth, dto, client, reply);
  }

  /** The team's plan, billing status, limits and this period's usage. */
  @Get('billing')
  @ApiTags('billing')
  @Authenticated({ ability: 'any' })
  @ApiData(200, BillingResponse)
  async billing(@Auth() auth: TokenAuth) {
    return { data: await this.account.billingOverview(auth) };
  }
}
