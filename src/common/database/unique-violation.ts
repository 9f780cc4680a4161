/** PostgreSQL's unique_violation, as TypeORM or pg surfaces it; of the named index or constraint, when one is given. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const driverError = (error as { driverError?: { code?: string; constraint?: string } })?.driverError;
  const { code, constraint: violated } = driverError ?? (error as { code?: string; constraint?: string }) ?? {};
  return code === '23505' && (constraint === undefined || violated === constraint);
}
