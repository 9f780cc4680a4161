import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { auditCte, linkActorColumns } from '../audit/audit-cte';
import { tokenStillHeld } from '../auth/token-held';
import { webhookOutboxCte } from '../webhooks/webhook-outbox';
import { fileRemovalCte } from './files/pg-file-store';
import type { AuditActorType } from '../audit/audit-event.entity';
import type { PlanName } from '../billing/plans';
import type { ClientInfo } from '../geo/client.decorator';
import { lockUntilCommit } from '../common/database/advisory-lock';
import { Sql } from '../common/database/sql.service';
import { Page, readPage } from '../common/http/pagination';
import { FileEncryption, Secret, SecretKind, StoredStatus } from './secret.entity';
import { STATUS_SQL, SecretStatus, activeRow } from './secret-status';
import { expiresAfter } from './expiry';
import { IDEMPOTENCY_WINDOW } from './idempotency/idempotency-key';

export interface SpentView {
  id: string;
  team_id: string | null;
  kind: SecretKind;
  label: string | null;
  /** NULL for files, whose bytes are in the file store. */
  ciphertext: Buffer | null;
  iv: Buffer | null;
  key_id: string | null;
  views_remaining: number | null;
  /** `burned` when this was the last view. */
  status: StoredStatus;
  file_size: number | null;
  file_encryption: FileEncryption | null;
  /** Webhook deliveries the view queued. */
  webhooks: number;
}

/** Whoever holds the link, as its events record them. */
export type Viewer = Pick<ClientInfo, 'ip' | 'country'>;

/** A link holder as the actor of an event whose statement takes their address as $2 and country as $3. */
const LINK_ACTOR = linkActorColumns('$2', '$3');

/** What the audit row of a create records about who did it. */
export interface AuditFields {
  actorType: AuditActorType;
  actorId: string | null;
  actorName: string | null;
  ip: string;
  country: string | null;
}

export interface TeamSecretsUsage {
  /** The month the count is of (UTC), as an ISO timestamp of its first instant. */
  periodStart: string;
  created: number;
  /** What the month's text and encrypted secrets hold, as the plan's monthly content counts it. */
  contentBytes: number;
  active: number;
  fileBytes: number;
}

/** A secret to write; `expires_at` is `lifetimeMinutes` from the insert's `now()`, as `created_at` is. */
export type NewSecret = Omit<Secret, 'createdAt' | 'updatedAt' | 'expiresAt' | 'fileReaders' | 'passcodeGuessesUntil' | 'team'> & {
  lifetimeMinutes: number;
};

/** Why a create wrote nothing: its token was revoked (or went with its member) meanwhile, or the month's content is spent. */
export type CreateRefusal = 'caller_gone' | 'monthly_content_spent';

/** CREATE's one row: the times are null when nothing was written. */
interface CreatedRow {
  caller_held: boolean;
  created_at: Date | null;
  updated_at: Date | null;
  expires_at: Date | null;
}

/** What a team's active secrets hold in the file store, over `FROM secrets WHERE team_id = … AND status = 'active'`. */
const FILE_BYTES_HELD = `coalesce(sum(content_bytes) FILTER (WHERE kind = 'file'), 0)::bigint`;
/** The bytes of the team's ($1) ended file secrets that a download is still reading: they stay in the store until it ends. */
const FILE_BYTES_BEING_READ = `(SELECT ${FILE_BYTES_HELD} FROM secrets WHERE team_id = $1 AND status <> 'active' AND file_readers > 0)`;

/** `SET` items that empty the columns. */
const nulled = (columns: readonly string[]) => columns.map((column) => `${column} = NULL`).join(', ');

/** What a keyed create kept of its request and link goes with the material; the key stays, so a late retry learns the secret ended. */
const UNKEYED_COLUMNS = ['idempotency_digest', 'idempotency_link'];
const UNKEYED = nulled(UNKEYED_COLUMNS);
/** A key freed, with what its create kept: no one may replay it any more. */
const KEY_FREED = `idempotency_key = NULL, ${UNKEYED}`;

/**
 * What a tombstone loses, the one list that destroy() and REVEAL's last view both wipe: a
 * tombstone keeps metadata only. A server file's name and type go too: the name is often the
 * secret part. So does the webhook URL (it may carry a receiver's credential): the statement that
 * ends a secret queues its last events, and each delivery keeps its own copy of the URL.
 */
const WIPED_COLUMNS = [
  'ciphertext',
  'iv',
  'passcode_hash',
  'file_name',
  'file_content_type',
  'sealed_file_info',
  'webhook_url',
  ...UNKEYED_COLUMNS,
];

/** Wipes the material; `destroyed_at` is when the secret stopped being active. */
const destroy = (endedAt = 'now()') => `${nulled(WIPED_COLUMNS)}, destroyed_at = ${endedAt}, updated_at = now()`;
const DESTROY = destroy();

/**
 * What a statement that ends secrets hands to their webhook events. The webhook URL it wipes is
 * read from the statement's snapshot, which still holds the row as it was (the URL never changes
 * while a secret is active).
 */
const GONE_COLUMNS = `RETURNING id, team_id, label, views_remaining,
    (SELECT was.webhook_url FROM secrets was WHERE was.id = secrets.id) AS webhook_url, file_readers`;

/** How long a reservation holds the passcode guesses' attempts (see reservePasscodeAttempt). */
const PASSCODE_GUESS_LEASE = '60 seconds';

/** A create's Idempotency-Key has lapsed: its window is over, and the key may be used again (and is freed). */
const KEY_LAPSED = `created_at <= now() - interval '${IDEMPOTENCY_WINDOW}'`;

/** The month (UTC) a secret counts towards, as SecretCount keys it. */
const THIS_PERIOD = `date_trunc('month', now() AT TIME ZONE 'UTC')::date`;

/** Whether `bytes` more keep the team's month's content within `limit` bytes (the plan's `content_bytes_per_month`). */
const withinMonthlyContent = (teamId: string, bytes: string, limit: string) =>
  `(SELECT coalesce(sum(content_bytes), 0) FROM team_secret_counts WHERE team_id = ${teamId} AND period = ${THIS_PERIOD}) + ${bytes} <= ${limit}::bigint`;

/**
 * Adds `created` secrets and `bytes` of content to the month of each team in `source` (a CTE with
 * `team_id`), on the shard of the statement's connection (see CREATE).
 */
const countInMonth = (source: string, created: string, bytes: string) => `
    INSERT INTO team_secret_counts AS c (team_id, period, shard, created, content_bytes)
    SELECT team_id, ${THIS_PERIOD}, pg_backend_pid() % 64, ${created}, ${bytes} FROM ${source} WHERE team_id IS NOT NULL
    ON CONFLICT (team_id, period, shard) DO UPDATE SET created = c.created + ${created}, content_bytes = c.content_bytes + EXCLUDED.content_bytes`;

/** What a create adds to its month's content ($6 the kind, $17 the bytes): files are held to the file store's own bound. */
const COUNTED_BYTES = `CASE WHEN $6::varchar = 'file' THEN 0 ELSE $17::integer END`;

/**
 * The secret and, for a team's secret, its `secret.created` event and one more in the month's
 * count: one statement, one round trip. The count is spread over 64 rows a team and month by
 * the connection's backend pid, so concurrent creates seldom wait on one another's row (a
 * connection runs one statement at a time; two that share a row wait only for a commit). A
 * team's secret that would take the month's content past $33 bytes is not written: creates
 * running at once may each pass, by a secret's size at most each. Nor is one whose token ($36,
 * null for an anonymous create) is gone: revoked, or deleted with its member's membership, while
 * the create waited (a passcode's hash, a file's upload); one probe of the token's primary key,
 * no lock taken. The one row answered says which (`caller_held`), and the times of a secret written.
 * The count is also what a create racing its team's deletion fails on (its foreign key; secrets
 * have none): see TeamDeletionService.erase.
 */
const CREATE = `
  WITH caller AS (SELECT $36::uuid IS NULL OR ${tokenStillHeld('$36')} AS held),
  secret AS (
    INSERT INTO secrets (id, team_id, created_by, token_hash, token_prefix, kind, label, expire_mode, expire_value,
                         views_remaining, expires_at, has_passcode, passcode_hash, ciphertext, iv, key_id,
                         content_bytes, allowed_countries, webhook_url, file_name, file_content_type, file_size, file_encryption,
                         idempotency_key, idempotency_digest, idempotency_link, idempotency_keyring_id, window_minutes,
                         sealed_file_info)
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, ${expiresAfter('$11')}, $12, $13, $14, $15, $16, $17, $18, $19, $25, $26, $27, $28,
           $29, $30, $31, $32, $34, $35
      FROM caller
     WHERE caller.held
       AND ($2::uuid IS NULL OR ${COUNTED_BYTES} = 0
            OR ${withinMonthlyContent('$2', '$17', '$33')})
    RETURNING id, team_id, created_at, updated_at, expires_at),
  ${auditCte('secret', 'secret.created', { actorType: '$20', actorId: '$21', actorName: '$22', ip: '$23', country: '$24' })},
  counted AS (${countInMonth('secret', '1', COUNTED_BYTES)})
  SELECT caller.held AS caller_held, secret.created_at, secret.updated_at, secret.expires_at FROM caller LEFT JOIN secret ON true`;

/**
 * Spends one view of the secret behind a link, in one statement: the conditional UPDATE is the
 * exactly-once (concurrent reveals serialise on the row lock and re-check it), the last view
 * wipes the material in the same UPDATE, the self-join hands back the material as it was, and
 * the audit row commits with it. The joined row is read under the row lock: a row a reveal
 * waited on (a PUT replacing the content) is re-checked in its new version, but a joined one is
 * not re-read, so without the lock the reveal would spend the new budget on the old content.
 * token_hash = $1 stays in the UPDATE's own WHERE, and its status test is activeRow's, so the planner
 * takes the unique index, never a walk of the active rows. The expiry is tested on the locked row, as the lock
 * hands it over, by the clock then: a reveal that waited on the lock across the expiry instant spends nothing
 * (the UPDATE's own WHERE was read before the wait, and the statement's now() is older still).
 * A secret whose key this instance does not hold is never
 * spent ($2), nor one with a passcode or a country rule unless those were checked ($3). The
 * view's webhook events (and `secret.burned` with the last view) are queued in the same statement.
 */
const REVEAL = `
  WITH locked AS (SELECT id, ciphertext, iv, key_id, webhook_url, expires_at FROM secrets WHERE token_hash = $1 FOR NO KEY UPDATE),
  spent AS (
    UPDATE secrets s SET
        views_count = s.views_count + 1,
        file_readers = s.file_readers + CASE WHEN s.kind = 'file' THEN 1 ELSE 0 END,
        pending_passcode_guesses = GREATEST(s.pending_passcode_guesses - $6, 0),
        views_remaining = CASE WHEN s.expire_mode = 'views' THEN s.views_remaining - 1 END,
        last_viewed_at = now(),
        updated_at = now(),
        status = CASE WHEN s.views_remaining = 1 THEN 'burned' ELSE s.status END,
        destroyed_at = CASE WHEN s.views_remaining = 1 THEN now() ELSE s.destroyed_at END,
        ${WIPED_COLUMNS.map((column) => `${column} = CASE WHEN s.views_remaining = 1 THEN NULL ELSE s.${column} END`).join(',\n        ')}
      FROM locked old
     WHERE s.token_hash = $1 AND old.id = s.id
       AND ${activeRow('s.status')} AND old.expires_at > clock_timestamp()
       AND (s.expire_mode = 'minutes' OR s.views_remaining > 0)
       AND (s.key_id IS NULL OR s.key_id = ANY($2::text[]))
       AND ($3::boolean OR (NOT s.has_passcode AND s.allowed_countries IS NULL))
       AND ($7::boolean OR s.kind <> 'file')
    RETURNING s.id, s.team_id, s.kind, s.label, s.status, old.webhook_url, old.ciphertext, old.iv, old.key_id, s.views_remaining,
              s.file_size, s.file_encryption),
  ${auditCte('spent', 'secret.viewed', linkActorColumns('$4', '$5'))},
  ${webhookOutboxCte('spent', `CASE WHEN src.status = 'burned' THEN ARRAY['secret.viewed', 'secret.burned'] ELSE ARRAY['secret.viewed'] END`, '$5')}
  SELECT id, team_id, kind, label, ciphertext, iv, key_id, views_remaining, status,
         file_size, file_encryption, (SELECT count(*)::int FROM webhook_outbox) AS webhooks
    FROM spent`;

@Injectable()
export class SecretRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly sql: Sql,
  ) {}

  private manager(manager?: EntityManager): EntityManager {
    return manager ?? this.db.manager;
  }

  /** How many active secrets each key id outside `held` sealed (for MissingKeys; a scan of the active ones). */
  async countSealedWithout(held: string[]): Promise<Map<string, number>> {
    const rows = await this.db.query<{ key_id: string; count: number }[]>(
      `SELECT key_id, count(*)::int AS count FROM secrets WHERE status = 'active' AND key_id <> ALL($1) GROUP BY key_id`,
      [held],
    );
    return new Map(rows.map((row) => [row.key_id, row.count]));
  }

  /**
   * Inserts the secret and, when `audit` is given (a team's secret), its `secret.created` event;
   * writes nothing, and answers why, when `callerTokenId` (null for an anonymous create) no longer
   * exists, or when a team's text or encrypted secret would take its month's content past
   * `monthlyContentBytes`.
   */
  async create(
    secret: NewSecret,
    audit: AuditFields | null,
    monthlyContentBytes: number,
    callerTokenId: string | null,
  ): Promise<Secret | CreateRefusal> {
    const { lifetimeMinutes, ...fields } = secret;
    const [row] = await this.sql.rows<CreatedRow>('secret_create', CREATE, [
      secret.id,
      secret.teamId,
      secret.createdBy,
      secret.tokenHash,
      secret.tokenPrefix,
      secret.kind,
      secret.label,
      secret.expireMode,
      secret.expireValue,
      secret.viewsRemaining,
      lifetimeMinutes,
      secret.hasPasscode,
      secret.passcodeHash,
      secret.ciphertext,
      secret.iv,
      secret.keyId,
      secret.contentBytes,
      secret.allowedCountries,
      secret.webhookUrl,
      audit?.actorType ?? null,
      audit?.actorId ?? null,
      audit?.actorName ?? null,
      audit?.ip ?? null,
      audit?.country ?? null,
      secret.fileName,
      secret.fileContentType,
      secret.fileSize,
      secret.fileEncryption,
      secret.idempotencyKey,
      secret.idempotencyDigest,
      secret.idempotencyLink,
      secret.idempotencyKeyringId,
      monthlyContentBytes,
      secret.windowMinutes,
      secret.sealedFileInfo,
      callerTokenId,
    ]);
    if (!row.caller_held) return 'caller_gone';
    if (!row.created_at) return 'monthly_content_spent';
    return Object.assign(new Secret(), fields, { createdAt: row.created_at, updatedAt: row.updated_at, expiresAt: row.expires_at });
  }

  /**
   * Spends a view of the secret behind `tokenHash` (see REVEAL); null when nothing was spent:
   * no such secret, no longer active, a passcode or country rule not yet checked, a key this
   * instance does not hold, or a file while `files` is false. The caller then looks at the secret to say which.
   */
  async reveal(
    tokenHash: Buffer,
    keyIds: string[],
    checked: boolean,
    viewer: Viewer,
    refundedAttempts = 0,
    files = true,
  ): Promise<SpentView | null> {
    const values = [tokenHash, keyIds, checked, viewer.ip, viewer.country, refundedAttempts, files];
    const rows = await this.sql.rows<SpentView>('secret_reveal', REVEAL, values);
    return rows[0] ?? null;
  }

  /**
   * One download (`downloadId`) of a file secret has ended, however it ended: the bytes go once
   * the secret is no longer active and no other download is reading them (an earlier view's may
   * still be). Its end is noted with its id, so a second one of the same download (a retry whose
   * first try ran unanswered) uncounts nothing; of two that run at once, one waits on the other's id.
   */
  async endDownload(id: string, downloadId: string): Promise<void> {
    await this.sql.rows(
      'file_download_end',
      `WITH noted AS (INSERT INTO file_download_ends (id) VALUES ($2) ON CONFLICT (id) DO NOTHING RETURNING id),
       ended AS (
         UPDATE secrets SET file_readers = file_readers - 1
          WHERE id = $1 AND file_readers > 0 AND EXISTS (SELECT FROM noted)
          RETURNING id, status, file_readers),
       last AS (SELECT id, file_readers FROM ended WHERE status <> 'active' AND file_readers = 0),
       ${fileRemovalCte('last')}
       SELECT 1`,
      [id, downloadId],
    );
  }

  /**
   * Readers still counted on secrets that ended more than `minutes` ago: their instance died
   * mid-download, so they count no more, and their bytes go (secrets_team_being_read_idx finds them).
   * Download ends noted more than `minutes` ago are forgotten: no retry of theirs comes that late.
   */
  async releaseStaleReaders(minutes: number): Promise<void> {
    await this.db.query(
      `WITH forgotten AS (DELETE FROM file_download_ends WHERE ended_at < now() - $1 * interval '1 minute'),
       released AS (
         UPDATE secrets SET file_readers = 0
          WHERE status <> 'active' AND file_readers > 0 AND destroyed_at < now() - $1 * interval '1 minute'
          RETURNING id, file_readers),
       ${fileRemovalCte('released')}
       SELECT 1`,
      [minutes],
    );
  }

  /**
   * Every secret of the team, its file's bytes and the team's monthly counts, for good (DELETE
   * /team): a download still reading the bytes is cut short, as nothing of the team may remain.
   */
  async deleteAllOfTeam(teamId: string, manager: EntityManager): Promise<void> {
    await manager.query(
      `WITH counts AS (DELETE FROM team_secret_counts WHERE team_id = $1),
       gone AS (DELETE FROM secrets WHERE team_id = $1 RETURNING id)
       DELETE FROM secret_file_parts WHERE secret_id IN (SELECT id FROM gone)`,
      [teamId],
    );
  }

  findById(teamId: string, id: string): Promise<Secret | null> {
    return this.db.getRepository(Secret).findOneBy({ teamId, id });
  }

  /** The secret the caller's create under `key` made in the last 24 hours, if any. */
  findByIdempotencyKey(teamId: string, userId: string, key: string): Promise<Secret | null> {
    return this.db
      .getRepository(Secret)
      .createQueryBuilder('s')
      .where('s.team_id = :teamId AND s.created_by = :userId AND s.idempotency_key = :key', { teamId, userId, key })
      .andWhere(`NOT (${KEY_LAPSED})`)
      .getOne();
  }

  /**
   * Frees the caller's `key` if it has lapsed, with what its create kept: a create
   * meeting it frees it for itself, and leaves every other lapsed key to the purge.
   */
  async forgetLapsedIdempotencyKey(teamId: string, userId: string, key: string): Promise<void> {
    await this.sql.rows(
      'secret_idempotency_forget',
      `UPDATE secrets SET ${KEY_FREED}
        WHERE team_id = $1 AND created_by = $2 AND idempotency_key = $3 AND ${KEY_LAPSED}`,
      [teamId, userId, key],
    );
  }

  /** Frees every key older than 24 hours, with what its create kept (the purge); the partial unique index finds them. */
  async forgetLapsedIdempotencyKeys(): Promise<void> {
    await this.db.query(
      `UPDATE secrets SET ${KEY_FREED}
        WHERE idempotency_key IS NOT NULL AND ${KEY_LAPSED}`,
    );
  }

  findByTokenHash(tokenHash: Buffer): Promise<Secret | null> {
    return this.db.getRepository(Secret).findOneBy({ tokenHash });
  }

  list(teamId: string, status: SecretStatus | undefined, page: Page): Promise<[Secret[], number]> {
    const query = this.db.getRepository(Secret).createQueryBuilder('s').where('s.team_id = :teamId', { teamId });
    if (status) query.andWhere(STATUS_SQL[status]);
    return readPage(
      page,
      () => query.getCount(),
      () => query.orderBy('s.created_at', 'DESC').addOrderBy('s.id', 'DESC').skip(page.offset).take(page.perPage).getMany(),
    );
  }

  /**
   * Abuse reports took the link down: its status reads as a deletion (its webhook event too), and
   * its audit event is `secret.suspended`, by a link holder with no address: who reported a link
   * is never kept (LinkReportRepository holds a hash of the network), nor shown to its team.
   */
  async suspend(id: string): Promise<void> {
    await this.db.query(
      `WITH gone AS (
         UPDATE secrets SET status = 'deleted', suspended_at = now(), ${DESTROY} WHERE id = $1 AND ${activeRow()} ${GONE_COLUMNS}),
       ${auditCte('gone', 'secret.suspended', linkActorColumns('NULL', 'NULL'))},
       ${webhookOutboxCte('gone', `ARRAY['secret.deleted']`, 'NULL')},
       ${fileRemovalCte('gone')}
       SELECT 1`,
      [id],
    );
  }

  /**
   * Reserves one of the passcode attempts for a guess about to be judged, in one conditional
   * statement, so however many guesses arrive at once (on however many instances) at most
   * `maxAttempts` are ever judged. False when every attempt is spent or being judged (or the
   * secret is no longer active). A right guess gives its reservation back in the reveal statement.
   * Each reservation holds the guesses' attempts for PASSCODE_GUESS_LEASE more: guesses older than
   * that were an instance's that died judging them (a guess waits at most seconds for the gate).
   */
  async reservePasscodeAttempt(id: string, maxAttempts: number): Promise<boolean> {
    const held = `CASE WHEN passcode_guesses_until > now() THEN pending_passcode_guesses ELSE 0 END`;
    const rows = await this.sql.rows(
      'secret_passcode_reserve',
      `UPDATE secrets SET pending_passcode_guesses = ${held} + 1, passcode_guesses_until = now() + interval '${PASSCODE_GUESS_LEASE}'
        WHERE id = $1 AND ${activeRow()} AND expires_at > now() AND failed_attempts + ${held} < $2
        RETURNING 1`,
      [id, maxAttempts],
    );
    return rows.length > 0;
  }

  /** Gives back an attempt reserved for a guess that was never judged. */
  async returnPasscodeAttempt(id: string): Promise<void> {
    await this.sql.rows(
      'secret_passcode_return',
      `UPDATE secrets SET pending_passcode_guesses = pending_passcode_guesses - 1 WHERE id = $1 AND pending_passcode_guesses > 0`,
      [id],
    );
  }

  /**
   * A reserved guess judged wrong; answers the wrong guesses so far, or null when the secret
   * ended (expired, deleted, spent) while the guess was judged: nothing is recorded on it then.
   * The one that reaches `maxAttempts` burns the secret (`guesser` is on its event) in the same
   * transaction, so no failure between the two leaves five wrong guesses recorded on a secret
   * still open. Only wrong guesses count: one still being judged may be right. The expiry is
   * tested on the locked row by the clock then, as the reveal's is: a guess that waited on the
   * row across the expiry instant finds the secret expired.
   */
  async recordWrongPasscode(id: string, maxAttempts: number, guesser: Viewer): Promise<number | null> {
    return this.db.transaction(async (manager) => {
      const [row]: { failed_attempts: number }[] = await manager.query(
        `WITH locked AS (SELECT id, expires_at FROM secrets WHERE id = $1 FOR NO KEY UPDATE),
         wrong AS (
           UPDATE secrets s SET failed_attempts = s.failed_attempts + 1, pending_passcode_guesses = GREATEST(s.pending_passcode_guesses - 1, 0)
             FROM locked old
            WHERE s.id = $1 AND old.id = s.id AND ${activeRow('s.status')} AND old.expires_at > clock_timestamp()
            RETURNING s.id, s.team_id, s.failed_attempts),
         ${auditCte('wrong', 'secret.passcode_failed', LINK_ACTOR)}
         SELECT failed_attempts FROM wrong`,
        [id, guesser.ip, guesser.country],
      );
      if (!row) return null;
      const failed = row.failed_attempts;
      if (failed >= maxAttempts) await this.burnAfterWrongPasscodes(id, maxAttempts, guesser, manager);
      return failed;
    });
  }

  /**
   * The secret burns once `maxAttempts` wrong guesses are recorded. The event is the guesser's
   * whose guess burned it, or, for a row recorded before that was one transaction, the next visitor's.
   */
  async burnAfterWrongPasscodes(id: string, maxAttempts: number, guesser: Viewer, manager?: EntityManager): Promise<void> {
    await this.manager(manager).query(
      `WITH gone AS (
         UPDATE secrets SET status = 'burned', ${DESTROY} WHERE id = $1 AND ${activeRow()} AND expires_at > clock_timestamp() AND failed_attempts >= $4 ${GONE_COLUMNS}),
       ${auditCte('gone', 'secret.burned', LINK_ACTOR)},
       ${webhookOutboxCte('gone', `ARRAY['secret.burned']`, '$3')},
       ${fileRemovalCte('gone')}
       SELECT 1`,
      [id, guesser.ip, guesser.country, maxAttempts],
    );
  }

  /**
   * Applies `changes` only while the secret is still active, in the caller's transaction; null
   * when it no longer is. The row is locked first (see lockForChange).
   */
  async updateActive(
    teamId: string,
    id: string,
    changes: Partial<
      Pick<
        Secret,
        'label' | 'ciphertext' | 'iv' | 'keyId' | 'contentBytes' | 'expireMode' | 'expireValue' | 'viewsRemaining' | 'windowMinutes'
      > & {
        /** A new lifetime, from now. */
        lifetimeMinutes: number;
      }
    >,
    manager: EntityManager,
  ): Promise<Secret | null> {
    const { lifetimeMinutes, ...columns } = changes;
    await this.lockForChange(teamId, id, manager);
    const result = await manager
      .createQueryBuilder()
      .update(Secret)
      .set(lifetimeMinutes === undefined ? columns : { ...columns, expiresAt: () => expiresAfter(':lifetimeMinutes') })
      .where(`team_id = :teamId AND id = :id AND ${activeRow()} AND expires_at > clock_timestamp()`, { teamId, id, lifetimeMinutes })
      .execute();
    if (!result.affected) return null;
    return manager.getRepository(Secret).findOneByOrFail({ teamId, id });
  }

  /**
   * Locks the secret's row until the caller's transaction ends, ahead of a change that tests its
   * expiry. An UPDATE reads its WHERE before it waits on a row lock, and reads it again after
   * only if the holder changed the row; and the transaction's now() is from before the wait. So
   * the lock is taken first, and the change tests the expiry by clock_timestamp(): a change that
   * waited across the expiry instant finds the secret expired. Its stamps (updated_at, a new
   * expires_at, destroyed_at) stay the transaction's now(), so a new lifetime is exactly
   * expires_at - updated_at.
   */
  private async lockForChange(teamId: string, id: string, manager: EntityManager): Promise<void> {
    await manager.query(`SELECT 1 FROM secrets WHERE team_id = $1 AND id = $2 FOR NO KEY UPDATE`, [teamId, id]);
  }

  /**
   * Counts `bytes` of content a PUT stored against the team's month as a create counts its own
   * (the replaced content's bytes stay counted: the month counts what was stored, not what is
   * kept); false, counting nothing, when they would take it past `monthlyContentBytes`. The
   * team's lock, held to the commit, makes PUTs running at once take their turns, so two never
   * both pass the month's last bytes.
   */
  async countReplacedContent(teamId: string, bytes: number, monthlyContentBytes: number, manager: EntityManager): Promise<boolean> {
    await lockUntilCommit(manager, 'team_secret_counts', teamId);
    const rows: unknown[] = await manager.query(
      `WITH allowed AS (SELECT $1::uuid AS team_id WHERE ${withinMonthlyContent('$1', '$2::integer', '$3')}),
       counted AS (${countInMonth('allowed', '0', '$2::integer')})
       SELECT 1 FROM allowed`,
      [teamId, bytes, monthlyContentBytes],
    );
    return rows.length > 0;
  }

  /** Deletes the secret while it is still active, in the caller's transaction; false when it no longer is. The row is locked first (see lockForChange). */
  async deleteActive(teamId: string, id: string, manager: EntityManager): Promise<boolean> {
    await this.lockForChange(teamId, id, manager);
    const rows: unknown[] = await manager.query(
      `WITH gone AS (
         UPDATE secrets SET status = 'deleted', ${DESTROY}
          WHERE team_id = $1 AND id = $2 AND ${activeRow()} AND expires_at > clock_timestamp() ${GONE_COLUMNS}),
       ${webhookOutboxCte('gone', `ARRAY['secret.deleted']`, 'NULL')},
       ${fileRemovalCte('gone')}
       SELECT id FROM gone`,
      [teamId, id],
    );
    return rows.length > 0;
  }

  /**
   * Unsets the creator of every secret the user made (in `teamId` alone, when given: a service
   * account's one team), with what their Idempotency-Keys kept: a key is replayed for its creator
   * alone, so no one could use it again. A service account's reads its team's secrets; a person's,
   * who may have made secrets in teams since left, walks the table, for an account's deletion alone.
   */
  async forgetCreator(userId: string, teamId: string | null, manager: EntityManager): Promise<void> {
    await manager.query(`UPDATE secrets SET created_by = NULL, ${KEY_FREED} WHERE created_by = $1 AND ($2::uuid IS NULL OR team_id = $2)`, [
      userId,
      teamId,
    ]);
  }

  /**
   * Turns expired secrets into tombstones, a batch at a time. SKIP LOCKED lets several
   * instances purge at once without waiting on (or double-counting) each other's rows.
   */
  async purgeExpired(batchSize: number): Promise<number> {
    const [row]: { purged: number }[] = await this.db.query(
      expireSql(`SELECT id FROM secrets WHERE status = 'active' AND expires_at <= now()
                  ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED`),
      [batchSize],
    );
    return row.purged;
  }

  /** Turns the secret into a tombstone now if it has expired and the purge has not yet come by. */
  async expireIfDue(teamId: string, id: string): Promise<void> {
    await this.db.query(
      expireSql(`SELECT id FROM secrets WHERE team_id = $1 AND id = $2 AND ${activeRow()} AND expires_at <= now() FOR UPDATE`),
      [teamId, id],
    );
  }

  /**
   * What the team's files hold in the file store, in bytes (as stored): its unopened file
   * secrets', and those of ended ones until their last download ends (the bytes stay until then);
   * with the team's plan as it is now (a downgrade may have come while an upload ran), null once
   * the team is gone.
   */
  async fileRoom(teamId: string): Promise<{ plan: PlanName | null; held: number }> {
    const [row]: { plan: PlanName | null; bytes: string }[] = await this.db.query(
      `SELECT (SELECT plan FROM teams WHERE id = $1) AS plan, ${FILE_BYTES_HELD} + ${FILE_BYTES_BEING_READ} AS bytes
         FROM secrets WHERE team_id = $1 AND status = 'active'`,
      [teamId],
    );
    return { plan: row.plan, held: Number(row.bytes) };
  }

  /**
   * GET /account's figures in one statement: the month's creates from their count (at most 64
   * rows), the live secrets and the bytes files hold (see fileRoom) from the secrets themselves.
   */
  async usageThisPeriod(teamId: string): Promise<TeamSecretsUsage> {
    const [row]: { period: string; created: string; content_bytes: string; active: number; file_bytes: string }[] = await this.db.query(
      `SELECT to_char(${THIS_PERIOD}, 'YYYY-MM-DD') AS period, month.created, month.content_bytes,
              live.active, live.file_bytes + ${FILE_BYTES_BEING_READ} AS file_bytes
         FROM (SELECT count(*) FILTER (WHERE expires_at > now())::int AS active, ${FILE_BYTES_HELD} AS file_bytes
                 FROM secrets WHERE team_id = $1 AND status = 'active') live,
              (SELECT coalesce(sum(created), 0) AS created, coalesce(sum(content_bytes), 0) AS content_bytes
                 FROM team_secret_counts WHERE team_id = $1 AND period = ${THIS_PERIOD}) month`,
      [teamId],
    );
    return {
      periodStart: new Date(`${row.period}T00:00:00Z`).toISOString(),
      created: Number(row.created),
      contentBytes: Number(row.content_bytes),
      active: row.active,
      fileBytes: Number(row.file_bytes),
    };
  }
}

/**
 * The statement that ends the selected expired secrets: material wiped, each expiry's
 * `secret.expired` event (actor `system`, stamped when the secret expired) recorded and its webhooks queued, its file bytes
 * released; it answers how many it ended.
 */
function expireSql(selection: string): string {
  return `WITH gone AS (
     UPDATE secrets SET status = 'expired', ${destroy('expires_at')}
      WHERE id IN (${selection})
     ${GONE_COLUMNS}, expires_at),
   ${auditCte('gone', 'secret.expired', { actorType: 'system', actorId: 'NULL', actorName: 'NULL', ip: 'NULL', country: 'NULL', at: 'expires_at' })},
   ${webhookOutboxCte('gone', `ARRAY['secret.expired']`, 'NULL')},
   ${fileRemovalCte('gone')}
   SELECT count(*)::int AS purged FROM gone`;
}
