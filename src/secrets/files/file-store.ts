/**
 * Where file secrets' bytes live. PostgreSQL by default (PgFileStore), so every instance sees
 * them; an object store would implement the same five methods, and `fileRemovalCte` (which
 * removes the bytes in the same statement that makes a secret a tombstone) would queue the
 * removal in an outbox instead.
 */
export abstract class FileStore {
  /**
   * Stores `source` for the secret, in short statements (never one transaction for the whole
   * stream); answers the bytes stored. The bytes are the team's: its deletion removes them, and
   * refuses the rest of an upload still under way.
   */
  abstract write(secretId: string, teamId: string | null, source: AsyncIterable<Buffer>): Promise<number>;

  /**
   * The stored bytes, in order, read a part at a time. A part the store cannot be reached for
   * just then is read again for a few seconds before the read fails (a reader's parts stay).
   */
  abstract read(secretId: string): AsyncIterable<Buffer>;

  abstract remove(secretId: string): Promise<void>;

  /**
   * Removes the bytes of uploads whose secret never came (aborted, crashed, or refused after the
   * bytes were stored), once `minutes` have passed since their last part. Bytes of secrets that
   * ended go with them (fileRemovalCte), or once their stale readers are released.
   */
  abstract removeOrphans(minutes: number): Promise<number>;

  /** Makes the space of removed bytes reusable where the store does not do so itself; answers whether there was any. */
  abstract reclaimSpace(): Promise<boolean>;
}
