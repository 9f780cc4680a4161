import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { admitWrite } from '../common/database/disk-space';
import { ApiError } from '../common/errors/api-error';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { isAdmin } from './role';
import { ANONYMOUS, AuthContext, TokenAuth } from './auth-context';
import { AUTH_RULE, AuthRule, IS_PUBLIC } from './auth.decorators';
import { assertOneAuthorization, PatStrategy } from './pat.strategy';

/**
 * The one global guard: every route needs a valid token unless it says `@Public()`, and a route
 * that names an ability or the admin role gets it checked here against the token's live state.
 * Every request, refused ones included, spends from its rate-limit budget here.
 */
@Injectable()
export class ApiAuthGuard extends AuthGuard('bearer') {
  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly limiter: RateLimiter,
    private readonly bearer: PatStrategy,
  ) {
    super();
  }

  /**
   * For /api/v1 requests answered before any route's guard ran (a body that does not parse, a URL
   * no route takes): they spend from the budget of the valid token they carry (a public route's
   * request too: it is that token's traffic), else from the address's (also when the lookup fails).
   */
  async settle(request: FastifyRequest & { user?: AuthContext }, reply: FastifyReply): Promise<void> {
    if (!this.limiter.unsettled(request)) return;
    const caller = request.headers.authorization === undefined ? null : await this.bearer.validate(request).catch(() => null);
    if (caller) request.user = caller;
    await this.limiter.settle(request, reply, caller !== null);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthContext }>();
    // Ahead of everything that could write, token checks included (a reveal writes too).
    admitWrite(request.raw, context.switchToHttp().getResponse<Pick<FastifyReply, 'raw'>>().raw, this.config.bodyLimitBytes);
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) {
      await this.limiter.spend(context, false);
      return true;
    }
    const rule = this.reflector.getAllAndOverride<AuthRule | undefined>(AUTH_RULE, targets);

    // No Authorization header at all: an anonymous caller, where the route allows one.
    if (request.headers.authorization === undefined && rule?.anonymous && this.config.allowAnonymous) {
      request.user = ANONYMOUS;
      await this.limiter.spend(context, false);
      return true;
    }
    try {
      if (request.headers.authorization === undefined) throw ApiError.unauthenticated();
      assertOneAuthorization(request.raw.rawHeaders);
      await super.canActivate(context);
    } catch (error) {
      // Failed attempts spend the caller's address budget, which also slows down token guessing.
      await this.limiter.spend(context, false);
      throw error;
    }
    await this.limiter.spend(context, true);
    const auth = request.user as TokenAuth;
    // As GitHub's token expiration header: a script learns its token is running out while it still works.
    if (auth.expiresAt)
      context.switchToHttp().getResponse<FastifyReply>().header('Oncelink-Token-Expiration', auth.expiresAt.toISOString());
    // Deny by default: a route that declares no rule is closed to every token, not open to all.
    if (!rule) throw ApiError.forbidden();
    if (rule.ability !== 'any' && !auth.abilities.includes(rule.ability)) {
      throw ApiError.forbidden(`This token does not have the ${rule.ability} ability.`);
    }
    if ((rule.admin || rule.owner) && !isAdmin(auth.role)) {
      throw ApiError.forbidden('Only owners and admins of the team may do this.');
    }
    return true;
  }

  override handleRequest<T>(error: unknown, user: T | false, _info: unknown, context: ExecutionContext): T {
    // Errors from the lookup (a database outage) pass on to the exception filter as they are.
    if (error) throw error as Error;
    if (!user) {
      const authorization = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
      throw ApiError.unauthenticated(/^bearer\s+\S/i.test(authorization));
    }
    return user;
  }
}
