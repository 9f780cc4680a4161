import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.decorators';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { buildSharePage } from './share-page';

/**
 * GET /s/{token}: the same page for every link. It spends nothing when it loads (chat previews
 * and mail scanners fetch links); the viewer's click calls the links API from the browser.
 */
@ApiTags('share')
@Controller('s')
@Public()
@RateLimit('none')
export class SharePageController {
  private readonly page = buildSharePage();

  @Get(':token')
  @ApiParam({ name: 'token', type: String, description: 'The link’s token; the key stays in the URL fragment, which is never sent' })
  @ApiOkResponse({
    description: 'The same page for every token, known or not: it spends nothing until the viewer clicks Reveal.',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  show(@Res() reply: FastifyReply): void {
    reply
      .header('Content-Security-Policy', this.page.csp)
      .header('Referrer-Policy', 'no-referrer')
      .header('X-Robots-Tag', 'noindex, nofollow')
      .type('text/html; charset=utf-8')
      .send(this.page.html);
  }
}
