import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
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
  const args = process.argv.slice(2);
  const [teamId, plan] = args;
  if (args.length !== 2 || !isUUID(teamId) || !PLAN_NAMES.includes(plan as PlanName)) {
    process.stderr.write(`usage: npm run plan:set -- <team_id> <${PLAN_NAMES.join('|')}>\n`);
    process.exit(64);
  }
  const config = loadConfig();
  // PGlite would make an empty database in a DATA_DIR the server never ran on (a typo'd path).
  if (!config.databaseUrl && !existsSync(join(config.dataDir, 'pgdata', 'PG_VERSION'))) {
    throw new Error(`DATA_DIR ${config.dataDir} holds no database: set DATA_DIR to the server's, or DATABASE_URL`);
  }
  const embedded = config.databaseUrl ? undefined : await startEmbeddedDatabase(config.dataDir);
  const url = config.databaseUrl ?? embedded!.url;

  @Module({
    imports: [
      ConfigModule.forRoot(config),
      // An operator is waiting: an unreachable database is said at once, not after the server's retries.
      TypeOrmModule.forRoot({ ...typeormOptions(url, 1), retryAttempts: 0 }),
      AuditModule,
      BillingModule,
    ],
  })
  class SetPlanModule {}

  let app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>> | undefined;
  try {
    // abortOnError: false, or Nest ends the process itself, in silence, before the catch below says why.
    app = await NestFactory.createApplicationContext(SetPlanModule, { logger: false, abortOnError: false });
    // A grant: the team's plan is never below it; a Stripe subscription paying for more still wins.
    const now = await app.get(TeamPlansService).grant(teamId, plan as PlanName, systemActor(teamId, 'operator'));
    const paid = now && now !== plan ? ` (its Stripe subscription pays for ${now})` : '';
    process.stdout.write(now ? `team ${teamId} is now on ${now}${paid}\n` : `no team ${teamId}\n`);
    process.exitCode = now ? 0 : 1;
  } finally {
    await app?.close();
    await embedded?.stop();
  }
}

main().catch((error: Error) => {
  // The message alone: a driver error's stack and fields would print the statement and its values.
  process.stderr.write(`plan:set failed: ${error.message}\n`);
  process.exit(1);
});
