import { pgErrorOf } from './pg-error';

/** The referring column of a foreign-key violation, read from PostgreSQL's detail: `Key (team_id)=(…) is not present in table "teams".` */
export function violatedForeignKey(error: unknown): string | undefined {
  const pgError = pgErrorOf(error);
  if (pgError?.code !== '23503') return undefined;
  return /^Key \((\w+)\)=/.exec(pgError.detail ?? '')?.[1];
}
