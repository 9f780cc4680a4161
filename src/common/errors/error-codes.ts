/**
 * Every `code` an error body may carry: the one list ApiError takes its codes from, OpenAPI's
 * `ErrorResponse.code` enum is made of, and README's table of error codes describes.
 */
export const ERROR_CODES = [
  'plan_limit',
  'team_limit',
  'webhook_endpoint_limit',
  'geo_blocked',
  'passcode_required',
  'passcode_incorrect',
  'passcode_attempts_pending',
  'password_incorrect',
  'secret_burned',
  'secret_expired',
  'secret_deleted',
  'secret_suspended',
  'idempotency_key_invalid',
  'idempotency_key_reused',
  'malformed_multipart',
  'invalid_signature',
  'last_owner',
  'subscription_active',
  'resource_deleted',
  'endpoint_deleted',
  'delivery_in_flight',
  'decryption_failed',
  'key_unavailable',
  'disk_full',
  'server_busy',
  'billing_not_configured',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
