import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiSecurity } from '@nestjs/swagger';
import type { Ability } from './ability';
import type { AuthContext } from './auth-context';

export const IS_PUBLIC = 'oncelink:public';
export const AUTH_RULE = 'oncelink:auth-rule';

export interface AuthRule {
  /** The ability the token must hold; `'any'` says in so many words that every token may call the route. */
  ability: Ability | 'any';
  /** Only owners and admins of the token's team. */
  admin?: boolean;
  /**
   * Only owners of the token's team. The guard lets admins on (as `admin`); the service refuses
   * them where it locks the team's owners, so a demotion meanwhile counts.
   */
  owner?: boolean;
  /** No Authorization header at all is allowed (when ALLOW_ANONYMOUS is on); a bad one is still 401. */
  anonymous?: boolean;
}

/** Opts a route out of authentication: health checks, registration, login, public links. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/**
 * Every route that needs a token says which ability (and role) it needs; OpenAPI shows them as
 * `x-ability`, and `x-admin` or, on an owner's route, `x-owner` in its place.
 */
export const Authenticated = (rule: AuthRule) =>
  applyDecorators(
    SetMetadata(AUTH_RULE, rule),
    ApiBearerAuth(),
    ApiExtension('x-ability', rule.ability),
    rule.owner ? ApiExtension('x-owner', true) : ApiExtension('x-admin', rule.admin ?? false),
    ...(rule.anonymous ? [ApiSecurity({})] : []),
  );

export const Auth = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): AuthContext => ctx.switchToHttp().getRequest<{ user: AuthContext }>().user,
);
