import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AuditModule } from '../src/audit/audit.module';
import { systemActor } from '../src/audit/audit.service';
import { BillingModule } from '../src/billing/billing.module';
import { TeamPlansService } from '../src/billing/team-plans.service';
import { PLAN_NAMES, PlanName } from '../src/billing/plans';
import { Module } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { TypeOrmModule } from '@nestjs/typeorm';
import { startEmbeddedDatabase } from '../src/common/database/embedded-database';
import { typeormOptions } from '../src/typeorm-options';
import { loadConfig } from '../src/config/app-config';
import { ConfigModule } from '../src/config/config.module';

/**
 * Operator command: `npm run plan:set -- <team_id> <free|pro|enterprise>` against DATABASE_URL,
 * or, without it, against the embedded database in DATA_DIR (stop the server first: PGlite has
 * one owner).
 */
async function main(): Promise<void> {
  const [teamId, plan] = process.argv.slice(2);
  if (!teamId || !isUUID(teamId) || !PLAN_NAMES.includes(plan as PlanName)) {
    process.stderr.write(`usage: npm run plan:set -- <team_id> <${PLAN_NAMES.join('|')}>\n`);
    process.exit(64);
  }
  const embedded = process.env.DATABASE_URL ? undefined : await startEmbeddedDatabase(process.env.DATA_DIR || './data');
  const url = process.env.DATABASE_URL ?? embedded!.url;

  @Module({
    imports: [ConfigModule.forRoot(loadConfig()), TypeOrmModule.forRoot(typeormOptions(url, 1)), AuditModule, BillingModule],
  })
  class SetPlanModule {}

  const app = await NestFactory.createApplicationContext(SetPlanModule, { logger: false });
  try {
    // A grant: the team's plan is never below it; a Stripe subscription paying for more still wins.
    const now = await app.get(TeamPlansService).grant(teamId, plan as PlanName, systemActor(teamId, 'operator'));
    const paid = now && now !== plan ? ` (its Stripe subscription pays for ${now})` : '';
    process.stdout.write(now ? `team ${teamId} is now on ${now}${paid}\n` : `no team ${teamId}\n`);
    process.exitCode = now ? 0 : 1;
  } finally {
    await app.close();
    await embedded?.stop();
  }
}

main().catch((error: Error) => {
  // The message alone: a driver error's stack and fields would print the statement and its values.
  process.stderr.write(`plan:set failed: ${error.message}\n`);
  process.exit(1);
});
