/** What an error answer says beyond its message, for a caller to act on. */
export interface OncelinkErrorDetails {
  /** A wrong or missing passcode's guesses left before the secret is destroyed (a 401's `attempts_remaining`). */
  attemptsRemaining?: number;
  /** Seconds to wait before trying again (a 429's or 503's `Retry-After`). */
  retryAfter?: number;
}

/** An error the API answered with; `status` is its HTTP status (0 when there was no answer) and `code` its error code, if any. */
export class OncelinkError extends Error {
  readonly attemptsRemaining?: number;
  readonly retryAfter?: number;

  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    details: OncelinkErrorDetails = {},
  ) {
    super(message);
    this.attemptsRemaining = details.attemptsRemaining;
    this.retryAfter = details.retryAfter;
  }
}
