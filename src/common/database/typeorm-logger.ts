import { Logger as NestLogger } from '@nestjs/common';
import type { Logger } from 'typeorm';

/**
 * TypeORM's messages through the app's logger. With `logging: false` TypeORM still writes that a
 * migration failed (as before each lock-wait retry) as plain text on stdout, a line a JSON log
 * pipeline cannot read. It says no more than the retry's warning or the failed start's one line
 * after it, so it is a debug line; the rest stays off, as `logging: false` has it.
 */
export class TypeOrmLogger implements Logger {
  private readonly logger = new NestLogger('Migrations');

  logQuery(): void {}

  logQueryError(): void {}

  logQuerySlow(): void {}

  logSchemaBuild(): void {}

  logMigration(message: string): void {
    this.logger.debug(message);
  }

  log(): void {}
}
