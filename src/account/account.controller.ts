import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { TokenAuth } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import { AccountService } from './account.service';

@ApiTags('auth')
@Controller('account')
export class AccountController {
  constructor(private readonly account: AccountService) {}

  /** The caller, the token's team and role, the token's abilities, this period's usage and the plan's limits. */
  @Get()
  @Authenticated()
  async show(@Auth() auth: TokenAuth) {
    return { data: await this.account.describe(auth) };
  }
}
