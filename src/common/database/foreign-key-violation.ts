/** PostgreSQL's foreign_key_violation, as TypeORM or pg surfaces it: the row referred to is gone. */
export function isForeignKeyViolation(error: unknown): boolean {
  const driverError = (error as { driverError?: { code?: string } })?.driverError;
  return (driverError ?? (error as { code?: string }))?.code === '23503';
}
