import { Body, Controller, Get, HttpCode, Param, Post, StreamableFile } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { ApiData, ApiMessage } from '../common/http/api-responses';
import { Client, ClientInfo } from '../geo/client.decorator';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { ReportDto } from './dto/report.dto';
import { RevealDto } from './dto/reveal.dto';
import { LinkResponse, RevealedCiphertextResponse, RevealedTextResponse } from './link.response';
import { LinksService } from './links.service';

/** No bearer token here: the link token in the path is the capability. */
@ApiTags('links')
@RateLimit('links')
@Controller('links')
@Public()
export class LinksController {
  constructor(private readonly links: LinksService) {}

  /** What the link leads to (kind, expiry, views left, passcode needed); spends nothing. */
  @Get(':token')
  @ApiData(200, LinkResponse)
  async lookup(@Param('token') token: string) {
    return { data: await this.links.lookup(token) };
  }

  /** Spends one view and returns the content (or the client's ciphertext and IV, or the file's bytes). */
  @Post(':token/reveal')
  @HttpCode(200)
  @ApiData(200, RevealedTextResponse, RevealedCiphertextResponse)
  @ApiProduces('application/json', 'application/octet-stream')
  async reveal(@Param('token') token: string, @Body() dto: RevealDto, @Client() client: ClientInfo) {
    const revealed = await this.links.reveal(token, dto ?? {}, client);
    return revealed instanceof StreamableFile ? revealed : { data: revealed };
  }

  /** Reports abuse; enough distinct reporters suspend the link. */
  @Post(':token/report')
  @HttpCode(202)
  @ApiMessage(202)
  async report(@Param('token') token: string, @Body() dto: ReportDto, @Client() client: ClientInfo) {
    await this.links.report(token, dto, client);
    return { message: 'Report received.' };
  }
}
