/** What PostgreSQL reported about a statement it refused: its SQLSTATE and, for some, the detail and the constraint. */
export interface PgError {
  code?: string;
  detail?: string;
  constraint?: string;
}

/** The PostgreSQL error behind `error`, whether TypeORM wrapped it (QueryFailedError's driverError) or pg threw it. */
export function pgErrorOf(error: unknown): PgError | undefined {
  return (error as { driverError?: PgError } | undefined)?.driverError ?? (error as PgError | undefined);
}
