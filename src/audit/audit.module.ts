import { Global, Module } from '@nestjs/common';
import { AuditRetention } from './audit-retention';
import { AuditService } from './audit.service';

/** The trail every domain writes to; its listing is a team route (teams/audit-events.controller.ts). */
@Global()
@Module({
  providers: [AuditService, AuditRetention],
  exports: [AuditService],
})
export class AuditModule {}
