import { Injectable } from '@nestjs/common';
import type { User } from '../auth/user.entity';
import { UsersService } from '../auth/users.service';
import { ApiError } from '../common/errors/api-error';
import type { HeaderSink } from '../common/http/direct-routes';
import type { ClientInfo } from '../geo/client.decorator';
import { RateLimiter } from '../rate-limit/rate-limiter';

const INCORRECT = 'The password is incorrect.';

/**
 * A person's password confirming a change to their own account (PATCH and DELETE /account). Each
 * attempt spends from POST /auth/token's budget for the account, so a stolen token guesses the
 * password no faster than a login would.
 */
@Injectable()
export class PasswordConfirmation {
  constructor(
    private readonly users: UsersService,
    private readonly limiter: RateLimiter,
  ) {}

  /** A 401 naming `field` unless `password` is the user's; a 429 (its headers on `reply`) past the login budget. */
  async confirm(user: User, password: string, field: string, client: ClientInfo, reply: HeaderSink): Promise<void> {
    await this.limiter.spendPasswordAttempt(user.email ?? '', client.ip, reply);
    if (!(await this.users.checkPassword(user, password, client.gone))) throw incorrectPassword(field);
  }
}

/**
 * A 401 without `WWW-Authenticate`: the token was fine, so no challenge sends a client for a new
 * one; `code` tells it from a refused token's 401.
 */
export function incorrectPassword(field: string): ApiError {
  return new ApiError(401, INCORRECT, { code: 'password_incorrect', errors: { [field]: [INCORRECT] } });
}
