import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { BillingModule } from '../billing/billing.module';
import { MemberSeats } from './member-seats';
import { MembersController } from './members.controller';
import { MembersService } from './members.service';
import { ServiceAccountRepository } from './service-account.repository';
import { ServiceAccountsController } from './service-accounts.controller';
import { ServiceAccountsService } from './service-accounts.service';
import { TeamsController } from './teams.controller';
import { TeamsModule } from './teams.module';

/** The team routes. Separate from TeamsModule, which auth needs at registration and login. */
@Module({
  imports: [AuthModule, TeamsModule, BillingModule],
  controllers: [TeamsController, MembersController, ServiceAccountsController],
  providers: [MemberSeats, MembersService, ServiceAccountsService, ServiceAccountRepository],
})
export class TeamsApiModule {}
