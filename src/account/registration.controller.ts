import { Body, Controller, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { ApiData } from '../common/http/api-responses';
import { Client, ClientInfo } from '../geo/client.decorator';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { RegisteredResponse } from './account.response';
import { RegisterDto } from './dto/register.dto';
import { RegistrationService } from './registration.service';

@ApiTags('auth')
@Controller('auth')
export class RegistrationController {
  constructor(private readonly registration: RegistrationService) {}

  /** Creates a user and their personal team (role owner, plan free). */
  @Post('register')
  @Public()
  @RateLimit('login')
  @ApiData(201, RegisteredResponse)
  async register(@Body() dto: RegisterDto, @Client() client: ClientInfo) {
    return { message: 'Registered successfully.', data: await this.registration.register(dto, client) };
  }
}
