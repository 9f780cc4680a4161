import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const SECRET_KINDS = ['text', 'encrypted', 'file'] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];
export const FILE_ENCRYPTIONS = ['server', 'client'] as const;
export type FileEncryption = (typeof FILE_ENCRYPTIONS)[number];
export const EXPIRE_MODES = ['views', 'minutes'] as const;
export type ExpireMode = (typeof EXPIRE_MODES)[number];
/** Stored state; a row still `active` past its `expires_at` reads as `expired` until the purge runs. */
export type StoredStatus = 'active' | 'burned' | 'expired' | 'deleted';

/**
 * One secret. Its material (`ciphertext`, `iv`, `passcode_hash`, a file's name and type, its
 * webhook URL, what an idempotent create kept) is set to NULL in the same statement that burns, deletes or expires
 * it; the row stays as a tombstone with metadata.
 */
@Entity('secrets')
@Index('secrets_team_created_idx', ['teamId', 'createdAt'])
@Index('secrets_active_expiry_idx', ['expiresAt'], { where: `status = 'active'` })
@Index('secrets_team_active_idx', ['teamId'], { where: `status = 'active'` })
@Index('secrets_team_being_read_idx', ['teamId'], { where: `status <> 'active' AND file_readers > 0` })
@Index('secrets_idempotency_key', ['teamId', 'createdBy', 'idempotencyKey'], { unique: true, where: 'idempotency_key IS NOT NULL' })
export class Secret {
  @PrimaryColumn('uuid')
  id!: string;

  /**
   * NULL for anonymous secrets, which belong to no team and are reachable only by link. No foreign
   * key, so a create locks no teams row (the hot path: concurrent creates in a team would all write
   * to that one row). A team's deletion removes its secrets itself (TeamDeletionService.erase).
   */
  @Column({ name: 'team_id', type: 'uuid', nullable: true })
  teamId!: string | null;

  /**
   * NULL for anonymous secrets, and once the person who made it deletes their account: the secret
   * stays with its team. No foreign key, so a create checks no users row (the hot path).
   */
  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy!: string | null;

  @Index('secrets_token_hash_key', { unique: true })
  @Column({ name: 'token_hash', type: 'bytea' })
  tokenHash!: Buffer;

  @Column({ name: 'token_prefix', type: 'varchar', length: 8 })
  tokenPrefix!: string;

  @Column({ type: 'varchar', length: 10 })
  kind!: SecretKind;

  @Column({ type: 'varchar', length: 100, nullable: true })
  label!: string | null;

  @Column({ name: 'expire_mode', type: 'varchar', length: 7 })
  expireMode!: ExpireMode;

  @Column({ name: 'expire_value', type: 'integer' })
  expireValue!: number;

  @Column({ name: 'views_remaining', type: 'integer', nullable: true })
  viewsRemaining!: number | null;

  @Column({ name: 'views_count', type: 'integer', default: 0 })
  viewsCount!: number;

  /**
   * A `views` secret's window (`expires_in_minutes`): it ends that long after its budget began,
   * views left or not. NULL for the plan's lifetime, and for `minutes` secrets.
   */
  @Column({ name: 'window_minutes', type: 'integer', nullable: true })
  windowMinutes!: number | null;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ type: 'varchar', length: 10, default: 'active' })
  status!: StoredStatus;

  /** When the secret stopped being active (burned, deleted or expired). */
  @Column({ name: 'destroyed_at', type: 'timestamptz', nullable: true })
  destroyedAt!: Date | null;

  /** Set when abuse reports suspended the link (status then reads `deleted`). */
  @Column({ name: 'suspended_at', type: 'timestamptz', nullable: true })
  suspendedAt!: Date | null;

  @Column({ name: 'has_passcode', type: 'boolean', default: false })
  hasPasscode!: boolean;

  @Column({ name: 'passcode_hash', type: 'text', nullable: true })
  passcodeHash!: string | null;

  /** Wrong passcode guesses judged so far. */
  @Column({ name: 'failed_attempts', type: 'integer', default: 0 })
  failedAttempts!: number;

  /** Passcode guesses holding an attempt while they are judged. */
  @Column({ name: 'pending_passcode_guesses', type: 'integer', default: 0 })
  pendingPasscodeGuesses!: number;

  /** Until when those guesses hold their attempts: past it, they are a dead instance's, and count no more. */
  @Column({ name: 'passcode_guesses_until', type: 'timestamptz', nullable: true })
  passcodeGuessesUntil!: Date | null;

  /** Server-encrypted content (text) or the client's ciphertext verbatim (encrypted). */
  @Column({ type: 'bytea', nullable: true })
  ciphertext!: Buffer | null;

  @Column({ type: 'bytea', nullable: true })
  iv!: Buffer | null;

  /** Which keyring key encrypted the content (a `text` secret, a server-mode file's parts); NULL for zero-knowledge ones. */
  @Column({ name: 'key_id', type: 'varchar', length: 16, nullable: true })
  keyId!: string | null;

  @Column({ name: 'content_bytes', type: 'integer' })
  contentBytes!: number;

  /**
   * A `server` file's name and type in clear, as rows written before `sealed_file_info` kept them
   * (read still, never written now), while the secret is active.
   */
  @Column({ name: 'file_name', type: 'varchar', length: 255, nullable: true })
  fileName!: string | null;

  @Column({ name: 'file_content_type', type: 'varchar', length: 255, nullable: true })
  fileContentType!: string | null;

  /**
   * A `server` file's name and type as uploaded, sealed under `key_id` (see sealFileInfo), while
   * the secret is active; a `client` file keeps them inside its ciphertext.
   */
  @Column({ name: 'sealed_file_info', type: 'bytea', nullable: true })
  sealedFileInfo!: Buffer | null;

  /** The file's size: its plaintext for `server` files, the stored ciphertext for `client` ones. */
  @Column({ name: 'file_size', type: 'integer', nullable: true })
  fileSize!: number | null;

  @Column({ name: 'file_encryption', type: 'varchar', length: 6, nullable: true })
  fileEncryption!: FileEncryption | null;

  /** Downloads of the file under way: spent views whose bytes are still being read; the last to end removes them. */
  @Column({ name: 'file_readers', type: 'integer', default: 0 })
  fileReaders!: number;

  @Column({ name: 'allowed_countries', type: 'char', length: 2, array: true, nullable: true })
  allowedCountries!: string[] | null;

  @Column({ name: 'webhook_url', type: 'text', nullable: true })
  webhookUrl!: string | null;

  /** The caller's `Idempotency-Key`, for 24 hours; it outlives the material, so a late retry learns the secret is gone. */
  @Column({ name: 'idempotency_key', type: 'varchar', length: 255, nullable: true })
  idempotencyKey!: string | null;

  /** A keyed digest of the request that made the secret, to tell its retries from another request under the same key. */
  @Column({ name: 'idempotency_digest', type: 'bytea', nullable: true })
  idempotencyDigest!: Buffer | null;

  /** The link token sealed under the keyring (IV, then ciphertext and tag), for answering a retry as the create was answered. */
  @Column({ name: 'idempotency_link', type: 'bytea', nullable: true })
  idempotencyLink!: Buffer | null;

  /** The keyring key the digest and the sealed link were made with. */
  @Column({ name: 'idempotency_keyring_id', type: 'varchar', length: 16, nullable: true })
  idempotencyKeyringId!: string | null;

  @Column({ name: 'last_viewed_at', type: 'timestamptz', nullable: true })
  lastViewedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
