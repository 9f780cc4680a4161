import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { isDatabaseUnavailable } from '../../common/database/database-unavailable';
import { SecretRepository } from '../secret.repository';

/** The pauses between tries: 1 s, doubling up to a minute, for up to 15 minutes after the download ended. */
const FIRST_PAUSE_MS = 1_000;
const LAST_PAUSE_MS = 60_000;
const RETRY_FOR_MS = 15 * 60_000;

/**
 * Records that a download ended (SecretRepository.endDownload), trying again while the database
 * cannot be reached: until then its reader stays counted, holding the file's bytes and the
 * team's storage until the purge releases stale readers an hour after the secret ended. The
 * pauses hold no shutdown up, and shutdown stops them (what is left is the purge's). A try that
 * went unanswered (a connection lost as it answered) may still have run on the server: every try
 * carries the download's id, and a retry that finds its end already noted uncounts no second
 * reader, which would take the bytes from under another download still reading them. The purge
 * forgets noted ends an hour after, long after the last retry here.
 */
@Injectable()
export class DownloadEnds implements OnApplicationShutdown {
  private readonly logger = new Logger(DownloadEnds.name);
  private readonly pauses = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly secrets: SecretRepository) {}

  /** The end of the download that took `downloadId` as it started. */
  record(secretId: string, downloadId: string): void {
    this.attempt(secretId, downloadId, Date.now() + RETRY_FOR_MS, FIRST_PAUSE_MS);
  }

  private attempt(secretId: string, downloadId: string, giveUpAt: number, pause: number): void {
    this.secrets.endDownload(secretId, downloadId).catch((error: Error) => {
      if (this.stopped || !isDatabaseUnavailable(error) || Date.now() + pause > giveUpAt) {
        this.logger.warn(`File ${secretId} stays for the purge: ${error.message}`);
        return;
      }
      const timer = setTimeout(() => {
        this.pauses.delete(timer);
        this.attempt(secretId, downloadId, giveUpAt, Math.min(pause * 2, LAST_PAUSE_MS));
      }, pause).unref();
      this.pauses.add(timer);
    });
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.pauses.size) this.logger.warn(`${this.pauses.size} download end(s) not recorded stay for the purge`);
    for (const timer of this.pauses) clearTimeout(timer);
    this.pauses.clear();
  }
}
