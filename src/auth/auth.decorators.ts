import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import type { Ability } from './ability';
import type { AuthContext } from './auth-context';

export const IS_PUBLIC = 'oncelink:public';
export const AUTH_RULE = 'oncelink:auth-rule';

export interface AuthRule {
  ability?: Ability;
  /** Only owners and admins of the token's team. */
  admin?: boolean;
  /** No Authorization header at all is allowed (when ALLOW_ANONYMOUS is on); a bad one is still 401. */
  anonymous?: boolean;
}

/** Opts a route out of authentication: health checks, registration, login, public links. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export const Authenticated = (rule: AuthRule = {}) =>
  applyDecorators(SetMetadata(AUTH_RULE, rule), ApiBearerAuth(), ...(rule.anonymous ? [ApiSecurity({})] : []));

export const Auth = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): AuthContext => ctx.switchToHttp().getRequest<{ user: AuthContext }>().user,
);
