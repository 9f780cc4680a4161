import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { PasswordHasher } from '../auth/password-hasher';
import { ApiError } from '../common/errors/api-error';
import type { ClientInfo } from '../geo/client.decorator';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { DecryptionError, Keyring } from './crypto/keyring';
import { ReportDto } from './dto/report.dto';
import { RevealDto } from './dto/reveal.dto';
import { presentLink } from './link.presenter';
import type { LinkResponse, RevealedContent } from './link.response';
import { LinkReportRepository } from './link-report.repository';
import { hashLinkToken, isWellFormedLinkToken } from './link-token';
import { Secret } from './secret.entity';
import { SecretRepository, SpentView } from './secret.repository';
import { statusOf } from './secret-status';
import { goneError } from './secret-gone';

const MAX_PASSCODE_ATTEMPTS = 5;

const DECRYPTION_FAILED = () => new ApiError(500, 'The secret could not be decrypted.', { code: 'decryption_failed' });

/** The public side: whoever holds the link token may look at and spend the secret. */
@Injectable()
export class LinksService {
  private readonly logger = new Logger(LinksService.name);

  constructor(
    private readonly secrets: SecretRepository,
    private readonly keyring: Keyring,
    private readonly hasher: PasswordHasher,
    private readonly reports: LinkReportRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async lookup(token: string): Promise<LinkResponse> {
    return presentLink(await this.findActive(token));
  }

  /**
   * The common path is one statement: spend, wipe on the last view, audit. A secret with a
   * passcode or a country rule (or one this instance cannot open) falls to the slower path,
   * which looks at it first and says why it will not open, spending nothing.
   */
  async reveal(token: string, dto: RevealDto, client: ClientInfo): Promise<RevealedContent> {
    if (!isWellFormedLinkToken(token)) throw ApiError.notFound('Secret not found.');
    const tokenHash = hashLinkToken(token);
    const spent =
      (await this.secrets.reveal(tokenHash, this.keyring.keyIds, false, client)) ?? (await this.revealChecked(tokenHash, dto, client));
    return this.open(spent);
  }

  private async revealChecked(tokenHash: Buffer, dto: RevealDto, client: ClientInfo): Promise<SpentView> {
    const secret = await this.findActive(tokenHash);
    if (secret.keyId && !this.keyring.keyIds.includes(secret.keyId)) {
      this.logger.error(`Secret ${secret.id} is sealed with key ${secret.keyId}, which this instance does not hold`);
      throw DECRYPTION_FAILED();
    }
    if (secret.allowedCountries && (!client.country || !secret.allowedCountries.includes(client.country))) {
      throw ApiError.forbidden('This secret cannot be opened from your country.', 'geo_blocked');
    }
    if (secret.hasPasscode) await this.checkPasscode(secret, dto.passcode);
    const spent = await this.secrets.reveal(tokenHash, this.keyring.keyIds, true, client);
    // Spent by someone else in the meantime.
    if (!spent) throw goneError(await this.findByToken(tokenHash));
    return spent;
  }

  /** Distinct reporters (by address) past the threshold suspend the link and destroy the content. */
  async report(token: string, dto: ReportDto, client: ClientInfo): Promise<void> {
    const secret = await this.findActive(token);
    const reporter = createHash('sha256').update(`${secret.id}:${client.ip}`).digest();
    const reporters = await this.reports.add(secret.id, reporter, dto.reason);
    if (reporters >= this.config.reportSuspendThreshold) await this.secrets.suspend(secret.id);
  }

  private async checkPasscode(secret: Secret, passcode: string | undefined): Promise<void> {
    if (passcode === undefined) {
      throw new ApiError(401, 'This secret requires a passcode.', {
        code: 'passcode_required',
        attempts_remaining: MAX_PASSCODE_ATTEMPTS - secret.failedAttempts,
      });
    }
    if (await this.hasher.verify(secret.passcodeHash, passcode)) return;
    const failed = await this.secrets.recordFailedPasscode(secret.id, MAX_PASSCODE_ATTEMPTS);
    if (failed === null) throw goneError(await this.findByToken(secret.tokenHash));
    throw new ApiError(401, 'The passcode is incorrect.', {
      code: 'passcode_incorrect',
      attempts_remaining: Math.max(0, MAX_PASSCODE_ATTEMPTS - failed),
    });
  }

  /** The view is already spent: a ciphertext that fails authentication (tampering) is a 500, and that view is gone. */
  private open(spent: SpentView): RevealedContent {
    if (spent.kind === 'encrypted') {
      return { kind: 'encrypted', ciphertext: spent.ciphertext.toString('base64'), iv: spent.iv.toString('base64') };
    }
    try {
      const plaintext = this.keyring.decrypt(spent.id, { keyId: spent.key_id!, iv: spent.iv, ciphertext: spent.ciphertext });
      return { kind: 'text', content: plaintext.toString('utf8') };
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      this.logger.error(`Secret ${spent.id} failed decryption: ${error.message}`);
      throw DECRYPTION_FAILED();
    }
  }

  private async findByToken(token: string | Buffer): Promise<Secret> {
    if (typeof token === 'string' && !isWellFormedLinkToken(token)) throw ApiError.notFound('Secret not found.');
    const secret = await this.secrets.findByTokenHash(typeof token === 'string' ? hashLinkToken(token) : token);
    if (!secret) throw ApiError.notFound('Secret not found.');
    return secret;
  }

  private async findActive(token: string | Buffer): Promise<Secret> {
    const secret = await this.findByToken(token);
    if (statusOf(secret) !== 'active') throw goneError(secret);
    return secret;
  }
}
