/** An error the API answered with; `status` is its HTTP status (0 when there was no answer) and `code` its error code, if any. */
export class OncelinkError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}
