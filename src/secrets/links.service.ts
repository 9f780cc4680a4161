import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService, linkActor } from '../audit/audit.service';
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

/** The public side: whoever holds the link token may look at and spend the secret. */
@Injectable()
export class LinksService {
  private readonly logger = new Logger(LinksService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly secrets: SecretRepository,
    private readonly keyring: Keyring,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    private readonly reports: LinkReportRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async lookup(token: string): Promise<LinkResponse> {
    return presentLink(await this.findActive(token));
  }

  async reveal(token: string, dto: RevealDto, client: ClientInfo): Promise<RevealedContent> {
    const secret = await this.findActive(token);
    if (secret.allowedCountries && (!client.country || !secret.allowedCountries.includes(client.country))) {
      throw ApiError.forbidden('This secret cannot be opened from your country.', 'geo_blocked');
    }
    if (secret.hasPasscode) await this.checkPasscode(secret, dto.passcode);

    const revealed = await this.db.transaction(async (manager) => {
      const spent = await this.secrets.spendView(secret.id, manager);
      if (!spent) return null;
      // Decrypt before committing: a ciphertext that fails authentication rolls the view back.
      const content = this.open(spent);
      if (spent.views_remaining === 0) await this.secrets.burn(secret.id, manager);
      if (spent.team_id) await this.audit.record(linkActor(spent.team_id), client, 'secret.viewed', secret.id, manager);
      return content;
    });
    if (!revealed) throw goneError(await this.findByToken(token));
    return revealed;
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
      throw new ApiError(500, 'The secret could not be decrypted.', { code: 'decryption_failed' });
    }
  }

  private async findByToken(token: string | Buffer): Promise<Secret> {
    if (typeof token === 'string' && !isWellFormedLinkToken(token)) throw ApiError.notFound('Secret not found.');
    const secret = await this.secrets.findByTokenHash(typeof token === 'string' ? hashLinkToken(token) : token);
    if (!secret) throw ApiError.notFound('Secret not found.');
    return secret;
  }

  private async findActive(token: string): Promise<Secret> {
    const secret = await this.findByToken(token);
    if (statusOf(secret) !== 'active') throw goneError(secret);
    return secret;
  }
}
