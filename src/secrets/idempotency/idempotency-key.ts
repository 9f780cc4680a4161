import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { AuthContext } from '../../auth/auth-context';
import { ApiError } from '../../common/errors/api-error';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** Set on an answer that repeats an earlier create's, as Stripe's API does. */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';
/** How long a key keeps answering its retries; PostgreSQL interval syntax. */
export const IDEMPOTENCY_WINDOW = '24 hours';

/** Printable ASCII (a UUID, a job id and attempt), as Stripe takes them. */
export const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

const invalid = (message: string) => new ApiError(400, message, { code: 'idempotency_key_invalid' });

/** The `Idempotency-Key` header as sent, checked by `idempotencyKey` once the body has been. */
export type KeyHeader = string | string[] | undefined;

/**
 * The create's key, if it sent one: a malformed one is a 400, and so is any from an anonymous
 * caller, whose retries there is no caller to match to.
 */
export function idempotencyKey(auth: AuthContext, header: KeyHeader): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string') throw invalid('Send one Idempotency-Key header, not several.');
  if (!IDEMPOTENCY_KEY.test(header)) throw invalid('The Idempotency-Key header must be 1 to 255 printable ASCII characters.');
  if (auth.kind !== 'token') throw invalid('An Idempotency-Key needs a token: an anonymous create has no caller to match its retries to.');
  return header;
}

/**
 * The request's `Idempotency-Key` headers as sent: one value, or each of several (Node would join
 * them into one `a, b` key).
 */
export function keyHeaderOf(raw: IncomingMessage): KeyHeader {
  const values = raw.rawHeaders.filter((_, i) => i % 2 === 1 && raw.rawHeaders[i - 1].toLowerCase() === 'idempotency-key');
  return values.length > 1 ? values : values[0];
}

/** The action parameter holding the request's `Idempotency-Key` header, unchecked. */
export const IdempotencyKey = createParamDecorator((_: unknown, context: ExecutionContext): KeyHeader =>
  keyHeaderOf(context.switchToHttp().getRequest<{ raw: IncomingMessage }>().raw),
);
