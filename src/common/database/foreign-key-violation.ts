interface PgError {
  code?: string;
  detail?: string;
}

function pgErrorOf(error: unknown): PgError | undefined {
  return (error as { driverError?: PgError })?.driverError ?? (error as PgError | undefined);
}

/** PostgreSQL's foreign_key_violation, as TypeORM or pg surfaces it: the row referred to is gone. */
export function isForeignKeyViolation(error: unknown): boolean {
  return pgErrorOf(error)?.code === '23503';
}

/** The referring column of a foreign-key violation, read from PostgreSQL's detail: `Key (team_id)=(…) is not present in table "teams".` */
export function violatedForeignKey(error: unknown): string | undefined {
  const pgError = pgErrorOf(error);
  if (pgError?.code !== '23503') return undefined;
  return /^Key \((\w+)\)=/.exec(pgError.detail ?? '')?.[1];
}
