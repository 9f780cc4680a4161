import { Global, Module } from '@nestjs/common';
import { AuditService } from './audit.service';

/** The trail every domain writes to; its listing is a team route (teams/audit-events.controller.ts). */
@Global()
@Module({
  providers: [AuditService],
  exports: [AuditService],
})
export class AuditModule {}
