import { ApiError } from '../errors/api-error';
import { refuseWideJson } from '../validation/json-breadth';

// A byte-order mark is kept in the text, and the JSON parser (secure-json-parse) drops one that
// starts it, as RFC 8259 §8.1 lets a parser: a body that begins with one is taken.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

/**
 * A JSON body's text. JSON is UTF-8 (RFC 8259 §8.1): a body declared in another charset is a 415
 * and bytes that are not UTF-8 a 400, where decoding them anyway would put U+FFFD in a secret in
 * place of what was sent. An empty body is no body (undefined), as if none had been sent. One
 * holding more values than any route takes is a 422, before it is decoded or parsed.
 */
export function jsonBodyText(contentType: string | undefined, body: Buffer): string | undefined {
  const charset = CHARSET.exec(contentType ?? '')?.[1].toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new ApiError(415, 'A JSON body must be UTF-8 (charset=utf-8).');
  }
  if (body.length === 0) return undefined;
  refuseWideJson(body);
  try {
    return UTF8.decode(body);
  } catch {
    throw new ApiError(400, 'The request body is not valid UTF-8.');
  }
}
