import { ApiError } from '../errors/api-error';
import { humanize, shownName } from '../validation/messages';
import { scanJson } from '../validation/json-scan';

// A byte-order mark is kept in the text, and the JSON parser (secure-json-parse) drops one that
// starts it, as RFC 8259 §8.1 lets a parser: a body that begins with one is taken.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

/** Fastify's JSON parser (prototype poisoning refused), as the direct routes and Fastify's own content-type parser both run it. */
export type JsonParser<R = unknown> = (request: R, body: string, done: (error: Error | null, body?: unknown) => void) => void;

/**
 * A JSON body, parsed. JSON is UTF-8 (RFC 8259 §8.1): a body declared in another charset is a
 * 415 and bytes that are not UTF-8 a 400, where decoding them anyway would put U+FFFD in a secret
 * in place of what was sent. An empty body is no body (undefined), as if none had been sent. One
 * holding more values than any route takes is a 422, before it is decoded or parsed; so is one
 * that gives a key twice in an object, once it has parsed (see scanJson).
 */
export function parseJsonBody<R>(
  request: R,
  contentType: string | undefined,
  body: Buffer,
  parse: JsonParser<R>,
  done: (error: Error | null, body?: unknown) => void,
): void {
  const charset = CHARSET.exec(contentType ?? '')?.[1].toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return done(new ApiError(415, 'A JSON body must be UTF-8 (charset=utf-8).'));
  }
  if (body.length === 0) return done(null, undefined);
  let repeated: string[] | undefined;
  let text: string;
  try {
    repeated = scanJson(body);
    text = decode(body);
  } catch (error) {
    return done(error as Error);
  }
  if (repeated === undefined) return parse(request, text, done);
  const error = repeatedKey(repeated);
  parse(request, text, (refused) => done(refused ?? error));
}

/** The 422 for a key given twice, named by its path (`a.b`; a key without a name as such). */
function repeatedKey(path: string[]): ApiError {
  const field = shownName(path.join('.'));
  const message =
    path[path.length - 1] === ''
      ? 'A field without a name may be given only once.'
      : `The ${humanize(field)} field may be given only once.`;
  return ApiError.field(field, message);
}

function decode(body: Buffer): string {
  try {
    return UTF8.decode(body);
  } catch {
    throw new ApiError(400, 'The request body is not valid UTF-8.');
  }
}
