import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { TokenAuth } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import { ApiData } from '../common/http/api-responses';
import { AccountResponse, BillingResponse } from './account.response';
import { AccountService } from './account.service';

@Controller()
export class AccountController {
  constructor(private readonly account: AccountService) {}

  /** The caller, the token's team and role, the token's abilities, this period's usage and the plan's limits. */
  @Get('account')
  @ApiTags('auth')
  @Authenticated({ ability: 'any' })
  @ApiData(200, AccountResponse)
  async show(@Auth() auth: TokenAuth) {
    return { data: await this.account.describe(auth) };
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
