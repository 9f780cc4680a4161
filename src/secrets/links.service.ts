import { Inject, Injectable, Logger, StreamableFile } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuditService, linkActor } from '../audit/audit.service';
import { PasswordHasher } from '../auth/password-hasher';
import { ApiError } from '../common/errors/api-error';
import { aboutRequest } from '../common/logging/logger';
import { codePoints } from '../common/validation/text-field';
import { reporterKey } from '../geo/address-key';
import type { ClientInfo } from '../geo/client.decorator';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { DecryptionError, Keyring } from '../crypto/keyring';
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
import { MAX_PASSCODE_ATTEMPTS, MIN_PASSCODE_LENGTH } from './passcode';
import { FileSecretsService } from './files/file-secrets.service';
import { withFileInfoOpened } from './files/file-info';
import { DECRYPTION_FAILED } from './secret-content';
import { WebhookDispatcher } from '../webhooks/webhook-dispatcher';

/** How long a guess waits for an attempt while all that are left are being judged (the gate judges one at a time). */
const PENDING_GUESS_WAIT_MS = 10_000;

/** The public side: whoever holds the link token may look at and spend the secret. */
@Injectable()
export class LinksService {
  private readonly logger = new Logger(LinksService.name);

  constructor(
    private readonly secrets: SecretRepository,
    private readonly keyring: Keyring,
    private readonly hasher: PasswordHasher,
    private readonly reports: LinkReportRepository,
    private readonly webhooks: WebhookDispatcher,
    private readonly files: FileSecretsService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async lookup(token: string): Promise<LinkResponse> {
    return presentLink(withFileInfoOpened(this.keyring, await this.findActive(token)));
  }

  /**
   * The common path is one statement: spend, wipe on the last view, audit. A secret with a
   * passcode or a country rule (or one this instance cannot open) falls to the slower path,
   * which looks at it first and says why it will not open, spending nothing; so does a file
   * that found no download slot free, which waits briefly for one, or one whose slot may not
   * spend a file unlooked-at (its client's or its team's share of the slots is checked then).
   */
  async reveal(token: string, dto: RevealDto, client: ClientInfo): Promise<RevealedContent | StreamableFile> {
    if (!isWellFormedLinkToken(token)) throw ApiError.notFound('Secret not found.');
    const tokenHash = hashLinkToken(token);
    // Taken before any view is spent, as only then is a file's view never spent on a download this
    // instance has no room for; a text's slot is given back as soon as its kind is known.
    let downloadSlot = this.files.takeDownloadSlot(client);
    try {
      // A client gone by now would spend its view for nobody: a 499, nothing spent.
      if (client.gone()) throw ApiError.clientGone();
      let spent = await this.secrets.reveal(tokenHash, this.keyring.keyIds, false, client, 0, downloadSlot?.spendsFile === true);
      if (!spent) {
        const secret = await this.findActive(tokenHash);
        // Before a file waits for (or takes) a download slot: a viewer the rule refuses is told so
        // on a busy instance too, and holds no slot of the team's share meanwhile.
        if (!countryAllowed(secret, client)) {
          downloadSlot?.release();
          downloadSlot = null;
          throw await this.geoBlocked(secret, client);
        }
        // The fast statement may have left a file alone for want of a download slot (one may come
        // back soon), or of one free to spend it unlooked-at; either way it is checked now.
        if (secret.kind === 'file') {
          downloadSlot = await this.files.downloadSlotFor(downloadSlot, secret.teamId, client);
          // Before a passcode's attempt is spent on nobody.
          if (client.gone()) throw ApiError.clientGone();
        } else {
          // A text's passcode may wait seconds for its hash: its slot would count against every
          // team's share of them meanwhile (DownloadSlots.claim), so it goes back now.
          downloadSlot?.release();
          downloadSlot = null;
        }
        spent = await this.revealChecked(secret, tokenHash, dto, client);
      }
      if (spent.webhooks > 0) this.webhooks.wake();
      if (spent.kind === 'file') return await this.files.download(spent, downloadSlot!, client);
      downloadSlot?.release();
      return this.open(spent, client.requestId);
    } catch (error) {
      downloadSlot?.release();
      throw error;
    }
  }

  private async revealChecked(secret: Secret, tokenHash: Buffer, dto: RevealDto, client: ClientInfo): Promise<SpentView> {
    if (secret.keyId && !this.keyring.keyIds.includes(secret.keyId)) {
      this.logger.error(
        aboutRequest(client.requestId, `Secret ${secret.id} is sealed with key ${secret.keyId}, which this instance does not hold`),
      );
      // Nothing is spent: another instance (mid-rollout) may hold the key, so this one says to retry.
      throw ApiError.unavailable('This server cannot open this secret now; nothing was spent.', { code: 'key_unavailable' });
    }
    const refund = secret.hasPasscode ? await this.checkPasscode(secret, dto.passcode, client) : 0;
    // As on the fast path; after a passcode, checkPasscode has asked since its hash (nothing is awaited between).
    if (client.gone()) throw ApiError.clientGone();
    const spent = await this.secrets.reveal(tokenHash, this.keyring.keyIds, true, client, refund);
    // Spent by someone else in the meantime.
    if (!spent) throw goneError(await this.findByToken(tokenHash));
    return spent;
  }

  /** The 403 of a viewer the secret's country rule refuses, recorded in its team's audit trail. */
  private async geoBlocked(secret: Secret, client: ClientInfo): Promise<ApiError> {
    const message = client.country
      ? 'This secret cannot be opened from your country.'
      : 'This secret cannot be opened from where you are: your country could not be determined.';
    if (secret.teamId) await this.audit.record(linkActor(secret.teamId), client, 'secret.access_denied', secret.id);
    return ApiError.forbidden(message, 'geo_blocked');
  }

  /**
   * Distinct reporters past the threshold suspend the link and destroy the content. A reporter
   * is a network (an IPv4 /24, an IPv6 /48), so a client with a handful of addresses cannot
   * suspend a link alone. It is kept as an HMAC under the keyring, not a plain hash, which
   * anyone could match by trying the 16 million IPv4 networks. A viewer the country rule
   * refuses gets the same 202 but is not counted: the contract lists no other answer, and one
   * who cannot see the content cannot vouch for it, nor take it down from outside the countries allowed.
   */
  async report(token: string, dto: ReportDto, client: ClientInfo): Promise<void> {
    const secret = await this.findActive(token);
    if (!countryAllowed(secret, client)) return;
    const reporter = this.keyring.digest(this.keyring.activeKeyId, `${secret.id}:${reporterKey(client.ip)}`)!;
    const reporters = await this.reports.add(secret.id, reporter, dto.reason);
    if (reporters >= this.config.reportSuspendThreshold) {
      await this.secrets.suspend(secret.id);
      this.webhooks.wake();
    }
  }

  /**
   * Judges a guess only after reserving one of the five attempts, so parallel guesses cannot
   * outrun the count; the fifth wrong one burns the secret. Answers the attempts to give back
   * (1: the guess was right). An empty passcode is a missing one, and one shorter than any
   * passcode can be is wrong without spending an attempt: a client that sends `""` by default
   * must not burn the secret.
   */
  private async checkPasscode(secret: Secret, passcode: string | undefined, client: ClientInfo): Promise<number> {
    const attemptsLeft = (failed: number) => Math.max(0, MAX_PASSCODE_ATTEMPTS - failed);
    if (passcode === undefined || passcode === '') {
      throw new ApiError(401, 'This secret requires a passcode.', {
        code: 'passcode_required',
        attempts_remaining: attemptsLeft(secret.failedAttempts),
      });
    }
    // Code points, as at creation, or a passcode of emoji could never open; of the NFD form, the
    // longest of any (as typed, NFC), so that only what no passcode ever set can match is refused.
    if (codePoints(passcode.normalize('NFD')) < MIN_PASSCODE_LENGTH) {
      throw new ApiError(401, 'The passcode is incorrect.', {
        code: 'passcode_incorrect',
        attempts_remaining: attemptsLeft(secret.failedAttempts),
      });
    }
    await this.reserveAttempt(secret, client);
    let right: boolean;
    try {
      right = await this.hasher.verifyPasscode(secret.passcodeHash, passcode, client.gone);
      if (client.gone()) throw ApiError.clientGone();
    } catch (error) {
      // Not judged (the gate was full), or judged for nobody (the client left): the attempt goes back.
      await this.secrets.returnPasscodeAttempt(secret.id);
      throw error;
    }
    if (right) {
      // A security event operators want to see (never the guess itself).
      this.logger.log(aboutRequest(client.requestId, `Passcode attempt on secret ${secret.id}: right`));
      return 1;
    }
    const failed = await this.secrets.recordWrongPasscode(secret.id, MAX_PASSCODE_ATTEMPTS, client).catch(async (error: unknown) => {
      // Nothing was recorded: the attempt goes back, or it would stay reserved for good.
      await this.secrets
        .returnPasscodeAttempt(secret.id)
        .catch((failure: Error) =>
          this.logger.warn(
            aboutRequest(
              client.requestId,
              `Passcode attempt on secret ${secret.id} not given back (held until its lease ends): ${failure.message}`,
            ),
          ),
        );
      throw error;
    });
    // The secret ended while the guess was judged: a wrong guess at a secret no longer there counts for nothing.
    if (failed === null) throw goneError(await this.findByToken(secret.tokenHash));
    this.logger.log(aboutRequest(client.requestId, `Passcode attempt on secret ${secret.id}: wrong (${failed}/${MAX_PASSCODE_ATTEMPTS})`));
    if (failed >= MAX_PASSCODE_ATTEMPTS) this.webhooks.wake();
    throw new ApiError(401, 'The passcode is incorrect.', { code: 'passcode_incorrect', attempts_remaining: attemptsLeft(failed) });
  }

  /**
   * One of the five attempts for this guess. While every attempt left is being judged, the guess
   * waits for one to come back (a right guess or an unjudged one gives its attempt back), so
   * concurrent right guesses of a secret with more views than attempts all open it, as the
   * contract's "N concurrent reveals … succeed exactly V times" asks. It polls the row, since the
   * guesses being judged may be on other instances.
   */
  private async reserveAttempt(secret: Secret, client: ClientInfo): Promise<void> {
    const giveUpAt = Date.now() + PENDING_GUESS_WAIT_MS;
    for (let pause = 20; ; pause = Math.min(pause * 2, 250)) {
      if (await this.secrets.reservePasscodeAttempt(secret.id, MAX_PASSCODE_ATTEMPTS)) return;
      let current = await this.findByToken(secret.tokenHash);
      // Five wrong guesses recorded but not burned: a row from before the two were one transaction.
      if (statusOf(current) === 'active' && current.failedAttempts >= MAX_PASSCODE_ATTEMPTS) {
        await this.secrets.burnAfterWrongPasscodes(secret.id, MAX_PASSCODE_ATTEMPTS, client);
        this.webhooks.wake();
        current = await this.findByToken(secret.tokenHash);
      }
      if (statusOf(current) !== 'active') throw goneError(current);
      if (client.gone()) throw ApiError.clientGone();
      if (Date.now() + pause > giveUpAt) {
        throw ApiError.tooManyAttempts(1, 'passcode_attempts_pending');
      }
      await sleep(pause);
    }
  }

  /** The view of a text or sealed secret is already spent: a ciphertext that fails authentication (tampering) is a 500, and that view is gone. */
  private open(spent: SpentView, requestId: string): RevealedContent {
    const { ciphertext, iv } = spent;
    // Only a file keeps its material elsewhere: a text or sealed secret without its own is a broken row.
    if (!ciphertext || !iv) {
      this.logger.error(aboutRequest(requestId, `Secret ${spent.id} was revealed without its ciphertext`));
      throw DECRYPTION_FAILED();
    }
    if (spent.kind === 'encrypted') return { kind: 'encrypted', ciphertext: ciphertext.toString('base64'), iv: iv.toString('base64') };
    try {
      const plaintext = this.keyring.decrypt(spent.id, { keyId: spent.key_id!, iv, ciphertext });
      return { kind: 'text', content: plaintext.toString('utf8') };
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      this.logger.error(aboutRequest(requestId, `Secret ${spent.id} failed decryption: ${error.message}`));
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

/** Whether the secret's country rule (if any) lets this viewer open it: an unknown country does not. */
const countryAllowed = (secret: Secret, client: ClientInfo): boolean =>
  !secret.allowedCountries || (client.country !== null && secret.allowedCountries.includes(client.country));
