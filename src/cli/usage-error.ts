/** A command line the CLI refuses before doing anything: exit 2, with a pointer to --help. */
export class UsageError extends Error {}
