import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { SecretsModule } from '../secrets/secrets.module';
import { TeamsModule } from '../teams/teams.module';
import { AccountController } from './account.controller';
import { AccountService } from './account.service';

@Module({
  imports: [AuthModule, TeamsModule, SecretsModule],
  controllers: [AccountController],
  providers: [AccountService],
})
export class AccountModule {}
