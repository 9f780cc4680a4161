import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../database/database-unavailable';
import { violatedForeignKey } from '../database/foreign-key-violation';
import { pgErrorOf } from '../database/pg-error';
import { isAbortedRequest } from '../http/aborted-request';
import { aboutRequest } from '../logging/logger';
import { ApiError, ApiErrorBody } from './api-error';
import { STATUS_MESSAGES } from './status-messages';

interface RenderedError {
  status: number;
  body: ApiErrorBody;
  headers: Record<string, string>;
}

/** Fastify's errors about the URL rather than the body: it could not route the request. */
const URL_ERRORS: Record<string, string> = {
  FST_ERR_BAD_URL: 'The request URL could not be decoded.',
  FST_ERR_MAX_PARAM_LENGTH: 'The request URL is too long.',
};

/** Fastify's own errors (URL, body parsing, size, content type) carry a statusCode and an FST_ code. */
function fromFrameworkStatus(status: number, message?: string): RenderedError {
  const known = STATUS_MESSAGES[status] ? status : status >= 500 ? 500 : 400;
  return { status: known, body: { message: message ?? STATUS_MESSAGES[known] }, headers: {} };
}

const logger = new Logger('Exceptions');

/** Transactions PostgreSQL rolled back over a conflict with another: the database is up, and a retry may pass. */
const CONFLICTS: Record<string, string> = {
  '40P01': 'Database deadlock; rolled back',
  '40001': 'Serialization failure; rolled back',
};

/**
 * A write that refers to a row deleted while the request ran (its transaction rolled back, so
 * nothing changed). Every team-scoped write is to the token's own team: its team_id gone means the
 * team was deleted, and the token with it.
 */
function referenceDeleted(column: string): ApiError {
  if (column === 'team_id') return ApiError.unauthenticated(true);
  return new ApiError(409, 'Something this request refers to was deleted while it ran.', { code: 'resource_deleted' });
}

/**
 * Maps any thrown value to the contract's error body; nothing internal ever leaves the process.
 * What is worth a log line is logged with the request id, which ties it to the access log and
 * to the client's X-Request-Id.
 */
export function renderError(error: unknown, requestId: string): RenderedError {
  const log = (level: 'warn' | 'error' | 'debug', message: string) =>
    logger[level](aboutRequest(requestId, `request ${requestId}: ${message}`));
  if (error instanceof ApiError) {
    return { status: error.status, body: error.body, headers: error.headers };
  }
  if (error instanceof HttpException) {
    const rendered = fromFrameworkStatus(error.getStatus());
    if (rendered.status === 401) rendered.headers['WWW-Authenticate'] = 'Bearer realm="oncelink"';
    return rendered;
  }
  if (isAbortedRequest(error)) {
    // Nobody is left to answer; the request has no access log line, so this is its one.
    log('debug', 'the connection closed before its body had arrived');
    return fromFrameworkStatus(400);
  }
  if (isDatabaseUnavailable(error)) {
    const words = CONFLICTS[pgErrorOf(error)?.code ?? ''] ?? 'Database unavailable';
    log('warn', `${words}: ${(error as Error).message}`);
    return renderError(ApiError.unavailable(), requestId);
  }
  const reference = violatedForeignKey(error);
  if (reference) return renderError(referenceDeleted(reference), requestId);
  const statusCode = (error as { statusCode?: unknown })?.statusCode;
  const code = (error as { code?: unknown })?.code;
  if (typeof statusCode === 'number' && statusCode < 500 && typeof code === 'string' && code.startsWith('FST_')) {
    return fromFrameworkStatus(statusCode, URL_ERRORS[code]);
  }
  log('error', error instanceof Error ? (error.stack ?? error.message) : 'Non-error thrown');
  return { status: 500, body: { message: STATUS_MESSAGES[500] }, headers: {} };
}

function sendError(reply: FastifyReply, rendered: RenderedError): void {
  reply.status(rendered.status).headers(rendered.headers).header('content-type', 'application/json; charset=utf-8');
  reply.send(JSON.stringify(rendered.body));
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendError(http.getResponse<FastifyReply>(), renderError(error, http.getRequest<FastifyRequest>().id));
  }
}
