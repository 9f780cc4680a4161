import { Body, Controller, Get, HttpCode, Param, Post, StreamableFile } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { GONE_FAILURE } from './secret-gone';
import { ApiData, ApiErrors, ApiMessage, dataSchema } from '../common/http/api-responses';
import { Client, ClientInfo } from '../geo/client.decorator';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { ReportDto } from './dto/report.dto';
import { RevealDto } from './dto/reveal.dto';
import { LinkResponse, RevealedCiphertextResponse, RevealedTextResponse } from './link.response';
import { LinksService } from './links.service';

const NO_SUCH_LINK = { 404: 'No secret has this link.' };

@ApiTags('links')
@RateLimit('links')
@Controller('links')
// No bearer token here: the link token in the path is the capability.
@Public()
export class LinksController {
  constructor(private readonly links: LinksService) {}

  /** What the link leads to (kind, expiry, views left, passcode needed); spends nothing. */
  @Get(':token')
  @ApiData(200, LinkResponse)
  @ApiErrors({
    ...NO_SUCH_LINK,
    ...GONE_FAILURE,
  })
  async lookup(@Param('token') token: string) {
    return { data: await this.links.lookup(token) };
  }

  /** Spends one view and returns the content (or the client's ciphertext and IV, or the file's bytes). */
  @Post(':token/reveal')
  @HttpCode(200)
  @ApiExtraModels(RevealedTextResponse, RevealedCiphertextResponse)
  @ApiResponse({
    status: 200,
    description:
      'A text or encrypted secret as JSON; a file secret as its bytes, always with `Content-Disposition: attachment` (and `nosniff`): a client-mode file as `application/octet-stream`, a server-mode one with its own Content-Type, the type it was uploaded with, which may be `application/json`. So a client tells a file from the JSON answer by `Content-Disposition`, not by `Content-Type`.',
    content: {
      'application/json': { schema: dataSchema(RevealedTextResponse, RevealedCiphertextResponse) },
      'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
      '*/*': { schema: { type: 'string', format: 'binary' } },
    },
    headers: {
      'Content-Disposition': {
        description: 'A file’s download, and only a file’s: `attachment; filename=…`',
        schema: { type: 'string' },
      },
      'Content-Length': { description: 'A file’s size in bytes', schema: { type: 'integer' } },
    },
  })
  @ApiBody({ type: RevealDto, required: false })
  @ApiErrors({
    401: 'The passcode is missing or wrong: `attempts_remaining` says how many guesses are left (the fifth wrong one burns the secret).',
    403: 'The viewer’s country is not allowed (`code: geo_blocked`), or cannot be told (unknown fails closed).',
    ...NO_SUCH_LINK,
    ...GONE_FAILURE,
    429: 'Rate limited, or another guess at this passcode is still being judged (`code: passcode_attempts_pending`).',
  })
  async reveal(@Param('token') token: string, @Body() dto: RevealDto, @Client() client: ClientInfo) {
    const revealed = await this.links.reveal(token, dto ?? {}, client);
    return revealed instanceof StreamableFile ? revealed : { data: revealed };
  }

  /** Reports abuse; enough distinct reporters suspend the link. */
  @Post(':token/report')
  @HttpCode(202)
  @ApiMessage(202)
  @ApiErrors({
    ...NO_SUCH_LINK,
    ...GONE_FAILURE,
  })
  async report(@Param('token') token: string, @Body() dto: ReportDto, @Client() client: ClientInfo) {
    await this.links.report(token, dto, client);
    return { message: 'Report received.' };
  }
}
