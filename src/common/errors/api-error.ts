import type { ErrorCode } from './error-codes';
import { STATUS_MESSAGES } from './status-messages';

/** The status of a request whose client hung up before its answer (nginx's 499). */
export const CLIENT_GONE_STATUS = 499;

export type FieldErrors = Record<string, string[]>;

/** What an error body carries beside its message. */
export interface ApiErrorExtra {
  errors?: FieldErrors;
  code?: ErrorCode;
  [extra: string]: unknown;
}

export interface ApiErrorBody extends ApiErrorExtra {
  message: string;
}

/** A failure the client caused or may act on; the exception filter renders it as the contract's error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: ApiErrorExtra = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  get body(): ApiErrorBody {
    return { message: this.message, ...this.extra };
  }

  /** A 422 with the fields at fault; `code` when a client may act on the reason (a plan's or a team's limit). */
  static validation(errors: FieldErrors, code?: ErrorCode): ApiError {
    return new ApiError(422, 'The given data was invalid.', code ? { errors, code } : { errors });
  }

  static field(field: string, message: string): ApiError {
    return ApiError.validation({ [field]: [message] });
  }

  /**
   * A 401 for a missing token, or (`refused`) for a bearer token that was presented and is not
   * valid: malformed, unknown, expired or revoked, which RFC 6750 says with `error="invalid_token"`.
   */
  static unauthenticated(refused = false): ApiError {
    const challenge = refused ? 'Bearer realm="oncelink", error="invalid_token"' : 'Bearer realm="oncelink"';
    return new ApiError(401, 'Unauthenticated.', {}, { 'WWW-Authenticate': challenge });
  }

  static forbidden(message = 'This action is unauthorized.', code?: ErrorCode): ApiError {
    return new ApiError(403, message, code ? { code } : {});
  }

  static notFound(message = 'Not found.'): ApiError {
    return new ApiError(404, message);
  }

  /** A 429: try again in `retryAfterSeconds`. */
  static tooManyAttempts(retryAfterSeconds: number, code?: ErrorCode): ApiError {
    return new ApiError(429, STATUS_MESSAGES[429], code ? { code } : {}, { 'Retry-After': String(retryAfterSeconds) });
  }

  /** The client hung up before its answer: whatever it would have made is not made. */
  static clientGone(): ApiError {
    return new ApiError(CLIENT_GONE_STATUS, 'The client closed the request.');
  }

  /** Something the request needs cannot be reached right now (the database, Redis): a 503 to retry. */
  static unavailable(message = STATUS_MESSAGES[503], extra: ApiErrorExtra = {}): ApiError {
    return new ApiError(503, message, extra, { 'Retry-After': '5' });
  }
}
