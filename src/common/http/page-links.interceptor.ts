import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { tap } from 'rxjs';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import type { Paginated } from './pagination';

/**
 * A list's neighbouring pages as a `Link` header (RFC 8288), as GitHub sends them: `first`, `prev`,
 * `next` and `last`, each the request's own URL with another `page`, so paginators that follow
 * `rel="next"` (Octokit, `gh api --paginate`) walk the whole list.
 */
@Injectable()
export class PageLinksInterceptor implements NestInterceptor {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  intercept(context: ExecutionContext, next: CallHandler) {
    const http = context.switchToHttp();
    return next.handle().pipe(
      tap((page: Paginated<unknown>) => {
        const links = this.links(http.getRequest<FastifyRequest>().url, page.meta);
        if (links) http.getResponse<FastifyReply>().header('Link', links);
      }),
    );
  }

  private links(requestUrl: string, meta: Paginated<unknown>['meta']): string {
    const url = new URL(requestUrl, 'http://path.only');
    const to = (page: number, rel: string) => {
      url.searchParams.set('page', String(page));
      return `<${this.config.publicUrl}${url.pathname}${url.search}>; rel="${rel}"`;
    };
    const { current_page: current, last_page: last } = meta;
    return [
      ...(current > 1 ? [to(1, 'first'), to(Math.min(current - 1, last), 'prev')] : []),
      ...(current < last ? [to(current + 1, 'next'), to(last, 'last')] : []),
    ].join(', ');
  }
}
