import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService, auditActorOf } from '../audit/audit.service';
import type { AuthContext, TokenAuth } from '../auth/auth-context';
import { PasswordHasher } from '../auth/password-hasher';
import { BillingService } from '../billing/billing.service';
import type { PlanName } from '../billing/plans';
import { ApiError } from '../common/errors/api-error';
import type { ClientInfo } from '../geo/client.decorator';
import { Page, paginated, Paginated } from '../common/http/pagination';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { isAdmin } from '../auth/role';
import { Keyring } from '../crypto/keyring';
import { CreateSecretDto } from './dto/create-secret.dto';
import { UpdateSecretDto } from './dto/update-secret.dto';
import { viewBudgetFor } from './expiry';
import { generateLinkToken, hashLinkToken, linkTokenPrefix } from './link-token';
import { replacementContent, sizeOf, submittedContent } from './secret-content';
import { ExpireMode, FileEncryption, Secret, SecretKind } from './secret.entity';
import { Presenting, presentSecret, withoutQuery } from './secret.presenter';
import type { SecretResponse } from './secret.response';
import { CreateRefusal, SecretRepository, TeamSecretsUsage } from './secret.repository';
import { goneError } from './secret-gone';
import { statusOf, SecretStatus } from './secret-status';
import { WebhookUrlGuard } from '../webhooks/webhook-url-guard';
import { WebhookDeliveriesService } from '../webhooks/webhook-deliveries.service';
import { WebhookDispatcher } from '../webhooks/webhook-dispatcher';
import type { DeliveryStatus } from '../webhooks/webhook-delivery.entity';
import type { WebhookDeliveryResponse } from '../webhooks/webhook-delivery.response';
import { isUniqueViolation } from '../common/database/unique-violation';
import { idempotencyKey, KeyHeader } from './idempotency/idempotency-key';
import { IdempotentCreates, jsonCreate, KeyedCreate } from './idempotency/idempotent-creates';
import { withFileInfoOpened } from './files/file-info';
import { assertFileFits } from './files/file-size-rule';
import { assertSecretFeatures } from './secret-feature-rule';

/** The create fields every kind of secret has. */
export type SecretFields = Pick<
  CreateSecretDto,
  'expire_mode' | 'expire_value' | 'expires_in_minutes' | 'passcode' | 'label' | 'webhook_url' | 'allowed_countries'
>;

/** A secret's content as stored: sealed text, the client's ciphertext, or a file whose bytes are in the file store. */
export interface SecretMaterial {
  kind: SecretKind;
  ciphertext: Buffer | null;
  iv: Buffer | null;
  keyId: string | null;
  contentBytes: number;
  /** `sealedInfo`: a `server` file's name and type, sealed (see sealFileInfo). */
  file: { sealedInfo: Buffer | null; size: number; encryption: FileEncryption } | null;
}

/** A create's answer, and whether it repeats an earlier create's under the same `Idempotency-Key`. */
export interface Created {
  data: SecretResponse;
  replayed: boolean;
}

/** The unique index that holds each caller's idempotency keys. */
const IDEMPOTENCY_INDEX = 'secrets_idempotency_key';

/** Team-scoped management of secrets: every read and write takes the token's team. */
@Injectable()
export class SecretsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly secrets: SecretRepository,
    private readonly keyring: Keyring,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    private readonly billing: BillingService,
    private readonly webhookUrls: WebhookUrlGuard,
    private readonly webhookDeliveries: WebhookDeliveriesService,
    private readonly webhooks: WebhookDispatcher,
    private readonly idempotency: IdempotentCreates,
  ) {}

  async create(auth: AuthContext, dto: CreateSecretDto, client: ClientInfo, keyHeader?: KeyHeader): Promise<Created> {
    const key = idempotencyKey(auth, keyHeader);
    const keyed = key === undefined ? undefined : jsonCreate(key, dto);
    const plan = this.billing.planOf(auth);
    const content = submittedContent(dto);
    let fields: SecretFields;
    try {
      this.billing.assertContentSize(plan, sizeOf(content));
      fields = await this.checkFields(auth, dto);
    } catch (error) {
      // A retry of a keyed create made before the plan changed is answered as that create was. Looked
      // for only here, so a keyed create the plan allows (every `oncelink send`) makes no extra query.
      const planLimit = error instanceof ApiError && error.extra.code === 'plan_limit';
      const earlier = keyed && planLimit && auth.kind === 'token' ? await this.idempotency.made(auth, keyed.key) : null;
      if (earlier) return this.replay(earlier, keyed!);
      throw error;
    }
    const id = randomUUID();
    const sealed =
      content.kind === 'text'
        ? this.keyring.encrypt(id, content.plaintext)
        : { keyId: null, iv: content.iv, ciphertext: content.ciphertext };
    const material = { kind: content.kind, ...sealed, contentBytes: sizeOf(content), file: null };
    return this.insert(auth, fields, client, id, material, keyed);
  }

  /**
   * A retry of the keyed create that made `earlier`, answered as that create was, whatever the plan
   * (which may have changed since) allows now; 410 once it ended, 422 for another request.
   */
  replay(earlier: Secret, keyed: KeyedCreate): Created {
    return this.replayed(this.idempotency.answer(earlier, keyed));
  }

  /**
   * What every kind of secret checks before its content is taken: the plan's features and lifetime,
   * the webhook URL; answers the fields as they are stored (the webhook URL in its canonical form).
   */
  async checkFields(auth: AuthContext, fields: SecretFields): Promise<SecretFields> {
    const plan = this.billing.planOf(auth);
    assertSecretFeatures(this.billing, plan, {
      webhookUrl: fields.webhook_url !== undefined,
      countries: fields.allowed_countries !== undefined,
    });
    const webhookUrl = fields.webhook_url === undefined ? undefined : await this.webhookUrls.accepted('webhook_url', fields.webhook_url);
    this.budgetFor(plan, fields.expire_mode, fields.expire_value, fields.expires_in_minutes ?? null);
    return webhookUrl === undefined ? fields : { ...fields, webhook_url: webhookUrl };
  }

  /**
   * Writes a secret whose material is ready (and whose fields `checkFields` passed), with its
   * `secret.created` event; or, for a create `keyed` the same as one before it, answers as that
   * one was answered (`replayed`), writing nothing.
   */
  async insert(
    auth: AuthContext,
    fields: SecretFields,
    client: ClientInfo,
    id: string,
    material: SecretMaterial,
    keyed?: KeyedCreate,
  ): Promise<Created> {
    const token = generateLinkToken();
    const plan = this.billing.planOf(auth);
    const budget = this.budgetFor(plan, fields.expire_mode, fields.expire_value, fields.expires_in_minutes ?? null);
    const row = {
      id,
      teamId: auth.kind === 'token' ? auth.teamId : null,
      createdBy: auth.kind === 'token' ? auth.userId : null,
      tokenHash: hashLinkToken(token),
      tokenPrefix: linkTokenPrefix(token),
      kind: material.kind,
      label: fields.label ?? null,
      expireMode: fields.expire_mode,
      expireValue: fields.expire_value,
      viewsRemaining: budget.viewsRemaining,
      viewsCount: 0,
      lifetimeMinutes: budget.lifetimeMinutes,
      windowMinutes: budget.windowMinutes,
      status: 'active' as const,
      destroyedAt: null,
      suspendedAt: null,
      hasPasscode: fields.passcode !== undefined,
      passcodeHash: fields.passcode !== undefined ? await this.hasher.hashPasscode(fields.passcode, client.gone) : null,
      failedAttempts: 0,
      pendingPasscodeGuesses: 0,
      ciphertext: material.ciphertext,
      iv: material.iv,
      keyId: material.keyId,
      contentBytes: material.contentBytes,
      allowedCountries: fields.allowed_countries?.map((code) => code.toUpperCase()) ?? null,
      webhookUrl: fields.webhook_url ?? null,
      lastViewedAt: null,
      fileName: null,
      fileContentType: null,
      sealedFileInfo: material.file?.sealedInfo ?? null,
      fileSize: material.file?.size ?? null,
      fileEncryption: material.file?.encryption ?? null,
      ...this.idempotency.columns(id, token, keyed, fields, budget),
    };
    // The event of a team's secret commits in the same statement; anonymous secrets have no team to record it.
    const actor = auth.kind === 'token' ? auditActorOf(auth) : null;
    const audit = actor && { actorType: actor.type, actorId: actor.id, actorName: actor.name, ip: client.ip, country: client.country };
    for (let attempt = 1; ; attempt++) {
      let created: Secret | CreateRefusal;
      try {
        created = await this.secrets.create(
          row,
          audit,
          this.billing.contentBytesPerMonth(plan),
          auth.kind === 'token' ? auth.tokenId : null,
        );
      } catch (error) {
        if (!keyed || auth.kind !== 'token' || !isUniqueViolation(error, IDEMPOTENCY_INDEX)) throw error;
        // The key's first create holds it; or held it past 24 hours, and it is freed for one more try.
        const earlier = await this.idempotency.earlier(auth, keyed);
        if (earlier) return this.replayed(earlier);
        if (attempt > 1) throw error;
        continue;
      }
      if (created instanceof Secret) return { data: this.present(created, token), replayed: false };
      // As the guard would answer it now: the token was revoked, or went with its member, while the create waited.
      if (created === 'caller_gone') throw ApiError.unauthenticated(true);
      // Nothing written, as the month's content is spent; a retry of a keyed create made before is answered as it was.
      const earlier = keyed && auth.kind === 'token' ? await this.idempotency.earlier(auth, keyed) : null;
      if (earlier) return this.replayed(earlier);
      throw this.billing.monthlyContentSpent(plan);
    }
  }

  /** As it was answered then: presented as at its creation, when it was active. */
  private replayed(earlier: { secret: Secret; token: string }): Created {
    return { data: this.present(earlier.secret, earlier.token, earlier.secret.createdAt.getTime()), replayed: true };
  }

  private present(secret: Secret, token: string, at?: number): SecretResponse {
    return this.presented(secret, { link: { token, url: `${this.config.publicUrl}/s/${token}` }, at });
  }

  /**
   * The API's Secret; an active one's file name and type opened (the rows of one page at most), and its
   * webhook URL without the query for a `reader` who is neither its creator nor an owner or admin.
   */
  private presented(secret: Secret, { link, at, reader }: Omit<Presenting, 'shown'> & { reader?: TokenAuth } = {}): SecretResponse {
    const shown = (active: Secret) => {
      const opened = withFileInfoOpened(this.keyring, active);
      if (!reader || !opened.webhookUrl || isAdmin(reader.role) || opened.createdBy === reader.userId) return opened;
      return Object.assign(new Secret(), opened, { webhookUrl: withoutQuery(opened.webhookUrl) });
    };
    return presentSecret(secret, { link, at, shown });
  }

  async list(auth: TokenAuth, status: SecretStatus | undefined, page: Page): Promise<Paginated<SecretResponse>> {
    const [rows, total] = await this.secrets.list(auth.teamId, status, page);
    return paginated(
      rows.map((row) => this.presented(row, { reader: auth })),
      total,
      page,
    );
  }

  async show(auth: TokenAuth, id: string): Promise<SecretResponse> {
    return this.presented(await this.find(auth, id), { reader: auth });
  }

  async update(auth: TokenAuth, id: string, dto: UpdateSecretDto, client: ClientInfo): Promise<SecretResponse> {
    const secret = await this.findManageable(auth, id);
    const changes: Parameters<SecretRepository['updateActive']>[2] = {};
    if (dto.label !== undefined && dto.label !== secret.label) changes.label = dto.label;
    const content = replacementContent(secret.kind, dto);
    if (content) {
      this.billing.assertContentSize(auth.teamPlan, sizeOf(content));
      // Stored as create stores it: text sealed with the keyring, the client's ciphertext as it came.
      const sealed =
        content.kind === 'text'
          ? this.keyring.encrypt(secret.id, content.plaintext)
          : { keyId: null, iv: content.iv, ciphertext: content.ciphertext };
      Object.assign(changes, { ciphertext: sealed.ciphertext, iv: sealed.iv, keyId: sealed.keyId, contentBytes: sizeOf(content) });
    }
    const newBudget = dto.expire_mode !== undefined || dto.expire_value !== undefined;
    if (newBudget || dto.expires_in_minutes !== undefined) {
      const mode = dto.expire_mode ?? secret.expireMode;
      const value = dto.expire_value ?? secret.expireValue;
      // A new budget without a window of its own keeps the secret's window length (a `minutes` secret has none).
      const window = dto.expires_in_minutes ?? (mode === 'views' ? secret.windowMinutes : null);
      const { viewsRemaining, ...lifetime } = this.budgetFor(auth.teamPlan, mode, value, window);
      await this.assertRenewable(auth, secret, content !== undefined);
      // A new window alone runs from now on the views left.
      Object.assign(changes, newBudget ? { expireMode: mode, expireValue: value, viewsRemaining, ...lifetime } : lifetime);
    }
    if (Object.keys(changes).length === 0) {
      // `{}` changes nothing, and is answered as Stripe's and GitHub's updates are: as it is, with no event.
      return this.presented(secret);
    }
    const updated = await this.db.transaction(async (manager) => {
      const row = await this.secrets.updateActive(auth.teamId, id, changes, manager);
      if (!row) return null;
      // New content is stored as a create's is, so it counts against the month as one does; refused, the update rolls back.
      const monthly = this.billing.contentBytesPerMonth(auth.teamPlan);
      if (
        changes.contentBytes !== undefined &&
        !(await this.secrets.countReplacedContent(auth.teamId, changes.contentBytes, monthly, manager))
      ) {
        throw this.billing.monthlyContentSpent(auth.teamPlan);
      }
      await this.audit.record(auth, client, 'secret.updated', id, manager);
      return row;
    });
    if (!updated) throw goneError(await this.find(auth, id));
    return this.presented(updated);
  }

  async remove(auth: TokenAuth, id: string, client: ClientInfo): Promise<void> {
    await this.findManageable(auth, id);
    const deleted = await this.db.transaction(async (manager) => {
      if (!(await this.secrets.deleteActive(auth.teamId, id, manager))) return false;
      await this.audit.record(auth, client, 'secret.deleted', id, manager);
      return true;
    });
    if (!deleted) throw goneError(await this.find(auth, id));
    this.webhooks.wake();
  }

  /** The deliveries of one of the team's secrets' events. */
  async webhookDeliveriesOf(auth: TokenAuth, id: string, page: Page, status?: DeliveryStatus): Promise<Paginated<WebhookDeliveryResponse>> {
    await this.find(auth, id);
    return this.webhookDeliveries.list(auth.teamId, id, page, status);
  }

  /**
   * Secrets the user made are no longer theirs (their account, or a service account of `teamId`,
   * is being deleted), in the caller's transaction.
   */
  forgetCreator(userId: string, teamId: string | null, manager: EntityManager): Promise<void> {
    return this.secrets.forgetCreator(userId, teamId, manager);
  }

  /** Bytes the team's files hold in the store (the plan's file storage counts them), and its plan now (null once the team is gone). */
  fileRoom(teamId: string): Promise<{ plan: PlanName | null; held: number }> {
    return this.secrets.fileRoom(teamId);
  }

  /** Destroys every secret of the team being deleted, with its file's bytes and its counts, in the deletion's transaction. */
  deleteAllOfTeam(teamId: string, manager: EntityManager): Promise<void> {
    return this.secrets.deleteAllOfTeam(teamId, manager);
  }

  /** Secrets the team created this month (UTC), those active now, and the bytes its files hold (see fileRoom). */
  usageThisPeriod(teamId: string): Promise<TeamSecretsUsage> {
    return this.secrets.usageThisPeriod(teamId);
  }

  /**
   * A `minutes` secret lives as long as asked, within the plan; a `views` secret for its window
   * (`expires_in_minutes`) if it has one, else as long as the plan allows. A `minutes` secret
   * takes no window: its `expire_value` is one.
   */
  private budgetFor(plan: PlanName, mode: ExpireMode, value: number, window: number | null) {
    if (mode === 'minutes') {
      if (window !== null) {
        throw ApiError.field(
          'expires_in_minutes',
          'The expires in minutes field is for views secrets only: a minutes secret lasts its expire_value.',
        );
      }
      return viewBudgetFor(mode, value, this.billing.lifetimeMinutes(plan, value), null);
    }
    return viewBudgetFor(mode, value, this.billing.lifetimeMinutes(plan, window ?? undefined, 'expires_in_minutes'), window);
  }

  /**
   * A new budget or window keeps the secret on past the one it was made with, so the plan as it is
   * now must take it as a create would (after a downgrade, what was made before lasts its budget
   * out): its webhook URL and countries on a plan with those features; a file on a plan with
   * files, within its file size, with the team's files within its storage (this one's bytes are
   * among them already); other content within its content size (new content was held to it already).
   */
  private async assertRenewable(auth: TokenAuth, secret: Secret, contentReplaced: boolean): Promise<void> {
    const plan = auth.teamPlan;
    assertSecretFeatures(this.billing, plan, { webhookUrl: secret.webhookUrl !== null, countries: secret.allowedCountries !== null });
    if (secret.kind !== 'file') {
      if (!contentReplaced) this.billing.assertContentSize(plan, secret.contentBytes);
      return;
    }
    this.billing.assertAllowed(plan, 'files');
    assertFileFits(this.billing, plan, secret.fileEncryption!, secret.fileSize!);
    this.billing.assertFileStorage(plan, (await this.secrets.fileRoom(auth.teamId)).held, 0);
  }

  private async find(auth: TokenAuth, id: string): Promise<Secret> {
    const secret = await this.secrets.findById(auth.teamId, id);
    if (!secret) throw ApiError.notFound('Secret not found.');
    return secret;
  }

  /** Owners and admins manage any of the team's secrets; members only their own. */
  private async findManageable(auth: TokenAuth, id: string): Promise<Secret> {
    const secret = await this.find(auth, id);
    if (!isAdmin(auth.role) && secret.createdBy !== auth.userId) {
      throw ApiError.forbidden('Members may only change secrets they created.');
    }
    if (statusOf(secret) !== 'active') {
      // Expired, the purge not yet by: ended now, so a Delete pressed to be sure leaves nothing.
      if (secret.status === 'active') {
        await this.secrets.expireIfDue(auth.teamId, id);
        this.webhooks.wake();
      }
      throw goneError(secret);
    }
    return secret;
  }
}
