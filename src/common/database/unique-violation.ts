import { pgErrorOf } from './pg-error';

/** PostgreSQL's unique_violation, as TypeORM or pg surfaces it; of the named index or constraint, when one is given. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pgError = pgErrorOf(error);
  return pgError?.code === '23505' && (constraint === undefined || pgError.constraint === constraint);
}
