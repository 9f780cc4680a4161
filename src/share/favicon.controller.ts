import { Controller, Get, Header, HttpCode } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { RateLimit } from '../rate-limit/rate-limit.decorator';

/** Browsers ask a page's origin for /favicon.ico: an empty answer, not a 404 in the viewer's console. */
@ApiExcludeController()
@Controller()
@Public()
@RateLimit('none')
export class FaviconController {
  @Get('favicon.ico')
  @HttpCode(204)
  @Header('Cache-Control', 'public, max-age=86400')
  none(): void {}
}
