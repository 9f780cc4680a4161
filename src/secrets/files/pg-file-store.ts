import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { assertDiskRoom } from '../../common/database/disk-space';
import { Sql } from '../../common/database/sql.service';
import { whileUnavailable } from '../../common/database/while-unavailable';
import { activeRow } from '../secret-status';
import { FileStore } from './file-store';

/** Bytes per stored part: large enough for few statements, small enough to keep memory flat. */
const PART_BYTES = 1024 * 1024;
/**
 * How long a part is read again while the database cannot be reached: a blip (a terminated
 * backend, a restart, a lock held a moment) makes a download slower rather than cut or refused
 * after its view was spent. The parts stay while the download counts as a reader (file_readers).
 */
const PART_READ_RETRY_MS = 5_000;
/** The tables reclaimSpace vacuums. */
const RECLAIMED_TABLES = ['secret_file_parts', 'file_download_ends'];

/**
 * The removal of a file's bytes as one CTE of a statement that ends secrets, so they go in the
 * same transaction as the tombstone. `source` names the CTE of ended secrets (`id`,
 * `file_readers`): bytes a download is still reading stay until the last one ends
 * (SecretRepository.endDownload), or, if its instance died meanwhile, until the purge releases
 * its stale readers (SecretRepository.releaseStaleReaders).
 */
export function fileRemovalCte(source: string): string {
  return `file_parts_gone AS (DELETE FROM secret_file_parts WHERE secret_id IN (SELECT id FROM ${source} WHERE file_readers = 0))`;
}

@Injectable()
export class PgFileStore extends FileStore {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly sql: Sql,
  ) {
    super();
  }

  async write(secretId: string, teamId: string | null, source: AsyncIterable<Buffer>): Promise<number> {
    let seq = 0;
    let total = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      const data = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      // Checked at each part, not only as the request began: one file can outgrow the floor.
      await assertDiskRoom(data.length);
      // A team deleted meanwhile took the parts before this one (ON DELETE CASCADE); this one fails
      // its foreign key, which the error renderer answers 401, as the token went with the team.
      await this.sql.rows('file_part_insert', 'INSERT INTO secret_file_parts (secret_id, seq, team_id, data) VALUES ($1, $2, $3, $4)', [
        secretId,
        seq++,
        teamId,
        data,
      ]);
    };
    for await (const chunk of source) {
      let rest = chunk;
      while (rest.length) {
        const taken = rest.subarray(0, PART_BYTES - pendingBytes);
        pending.push(taken);
        pendingBytes += taken.length;
        total += taken.length;
        rest = rest.subarray(taken.length);
        if (pendingBytes === PART_BYTES) await flush();
      }
    }
    if (pendingBytes || seq === 0) await flush();
    return total;
  }

  async *read(secretId: string): AsyncGenerator<Buffer> {
    for (let seq = 0; ; seq++) {
      const [part] = await whileUnavailable(
        () =>
          this.sql.rows<{ data: Buffer }>('file_part_read', 'SELECT data FROM secret_file_parts WHERE secret_id = $1 AND seq = $2', [
            secretId,
            seq,
          ]),
        PART_READ_RETRY_MS,
      );
      if (!part) return;
      yield part.data;
    }
  }

  async remove(secretId: string): Promise<void> {
    await this.db.query('DELETE FROM secret_file_parts WHERE secret_id = $1', [secretId]);
  }

  async removeOrphans(minutes: number): Promise<number> {
    // It looks only at files whose secret it has not found yet (their first part, by its time),
    // and marks those whose secret it finds: every live file's parts are read once, not each purge.
    // An orphan is judged by its latest part: an upload still writing parts is never cut short.
    const [row]: { removed: number }[] = await this.db.query(
      `WITH unseen AS (
         SELECT secret_id FROM secret_file_parts
          WHERE seq = 0 AND NOT owner_seen AND created_at < now() - $1 * interval '1 minute'),
       seen AS (
         UPDATE secret_file_parts p SET owner_seen = true
          WHERE p.seq = 0 AND p.secret_id IN (SELECT secret_id FROM unseen)
            AND EXISTS (SELECT 1 FROM secrets s WHERE s.id = p.secret_id AND ${activeRow('s.status')})),
       orphaned AS (
         SELECT u.secret_id FROM unseen u
          WHERE NOT EXISTS (SELECT 1 FROM secrets s WHERE s.id = u.secret_id
                               AND (s.status = 'active' OR s.destroyed_at >= now() - $1 * interval '1 minute'))
            AND NOT EXISTS (SELECT 1 FROM secret_file_parts p WHERE p.secret_id = u.secret_id
                               AND p.created_at >= now() - $1 * interval '1 minute')),
       gone AS (DELETE FROM secret_file_parts WHERE secret_id IN (SELECT secret_id FROM orphaned) RETURNING 1)
       SELECT count(*)::int AS removed FROM gone`,
      [minutes],
    );
    return row.removed;
  }

  /**
   * VACUUMs the parts' table when removed parts wait in it, and the download ends' when forgotten
   * ends do. For the embedded database only, which runs no autovacuum: without this their space is
   * never reused, and DATA_DIR grows by every file uploaded and downloaded. There a VACUUM holds up
   * every other query while it runs (one connection).
   */
  async reclaimSpace(): Promise<boolean> {
    // PGlite writes out the statistics the next statement reads only when asked to.
    await this.db.query('SELECT pg_stat_force_next_flush()');
    const dead: { relname: string }[] = await this.db.query(
      `SELECT relname FROM pg_stat_user_tables WHERE relname = ANY($1) AND n_dead_tup > 0`,
      [RECLAIMED_TABLES],
    );
    for (const table of RECLAIMED_TABLES) if (dead.some(({ relname }) => relname === table)) await this.db.query(`VACUUM ${table}`);
    return dead.length > 0;
  }
}
