import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';

@Injectable()
export class LinkReportRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Records the report (a repeat from the same reporter changes nothing) and counts distinct reporters. */
  async add(secretId: string, reporterHash: Buffer, reason: string): Promise<number> {
    const [row]: { reporters: number }[] = await this.db.query(
      `WITH added AS (
         INSERT INTO link_reports (id, secret_id, reporter_hash, reason) VALUES ($1, $2, $3, $4)
         ON CONFLICT (secret_id, reporter_hash) DO NOTHING RETURNING 1)
       SELECT (SELECT count(*) FROM link_reports WHERE secret_id = $2)::int + (SELECT count(*) FROM added)::int AS reporters`,
      [randomUUID(), secretId, reporterHash, reason],
    );
    return row.reporters;
  }
}
