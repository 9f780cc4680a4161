import { Logger } from '@nestjs/common';

/**
 * Says why the instance is not ready, once, when readiness changes: a probe every few seconds
 * would otherwise repeat it, and each 503's access line says only that it was refused. Both
 * directions are warnings, so a log read at `warn` shows when it stopped and when it came back.
 */
export class ReadinessLog {
  private readonly logger = new Logger('Readiness');
  /** The reason of the last probe that failed, until one succeeds; none while ready. */
  private notReadyBecause?: string;

  ready(): void {
    if (this.notReadyBecause === undefined) return;
    this.notReadyBecause = undefined;
    this.logger.warn('ready again');
  }

  /** `reason` is the 503's message; `detail`, what lies behind it (the database's error), is for the log only. */
  notReady(reason: string, detail?: string): void {
    if (this.notReadyBecause === reason) return;
    this.notReadyBecause = reason;
    this.logger.warn(`not ready: ${reason}${detail ? ` (${detail})` : ''}`);
  }
}
