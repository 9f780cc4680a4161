import { Module } from '@nestjs/common';
import { AuditRetention } from './audit-retention';

/** The trail's pruning, for the server alone: the operator's commands use AuditModule without it. */
@Module({ providers: [AuditRetention] })
export class AuditRetentionModule {}
