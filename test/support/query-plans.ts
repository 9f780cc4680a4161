import { Client } from 'pg';
import type { DataSource } from 'typeorm';

export interface SentStatement {
  text: string;
  values: unknown[];
}

/** Runs `work` while keeping the statements any pg client in this process sends whose text `matches`, with their parameters. */
export async function withStatementsSent<T>(matches: (text: string) => boolean, work: (sent: SentStatement[]) => Promise<T>): Promise<T> {
  const sent: SentStatement[] = [];
  const original = Client.prototype.query;
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    // A statement is sent as its text and values, or as one object (the named statements of Sql.rows).
    const [text, values] =
      typeof args[0] === 'string'
        ? [args[0], args[1] as unknown[]]
        : [(args[0] as Partial<SentStatement>)?.text, (args[0] as Partial<SentStatement>)?.values];
    if (typeof text === 'string' && matches(text)) sent.push({ text, values: values ?? [] });
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as Client['query'];
  try {
    return await work(sent);
  } finally {
    Client.prototype.query = original;
  }
}

type PlanNode = Record<string, unknown> & { Plans?: PlanNode[] };

const rowsOf = (relation: string, node: PlanNode): number =>
  (node['Relation Name'] === relation
    ? ((node['Actual Rows'] as number) + ((node['Rows Removed by Filter'] as number) ?? 0)) * (node['Actual Loops'] as number)
    : 0) + (node.Plans ?? []).reduce((sum, child) => sum + rowsOf(relation, child), 0);

/**
 * The rows of `relation` a statement's plan read (kept or filtered out), from EXPLAIN ANALYZE in a
 * transaction rolled back: a statement's work, to hold against the size of a table.
 */
export async function rowsRead(dataSource: DataSource, relation: string, statement: SentStatement): Promise<number> {
  const runner = dataSource.createQueryRunner();
  await runner.startTransaction();
  try {
    const [
      {
        'QUERY PLAN': [{ Plan: plan }],
      },
    ] = await runner.query(`EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ${statement.text}`, statement.values);
    return rowsOf(relation, plan as PlanNode);
  } finally {
    await runner.rollbackTransaction();
    await runner.release();
  }
}
