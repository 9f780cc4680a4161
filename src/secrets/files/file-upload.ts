import type { Multipart, MultipartFile, MultipartValue } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { Hash } from 'node:crypto';
import { basename, extname } from 'node:path';
import { ApiError } from '../../common/errors/api-error';
import { humanize, shownName } from '../../common/validation/messages';
import { showsAsNothing, UNSHOWABLE } from '../../common/validation/unshowable';
import { FILE_MAGIC, isSealedLength } from '../../crypto/file-stream';
import { boundaryOf, FormDelimiters } from './form-delimiters';

/** The form's fields that take a whole number. */
const NUMBER_FIELDS = new Set(['expire_value', 'expires_in_minutes']);

/**
 * The form's text fields as the DTO reads them: numbers from digits, however many (a minus sign
 * too, so -1 is "at least 1" and 1000000000 "not greater than" as in JSON, not "an integer"), repeated or comma-separated
 * country codes. The parser decodes a field's bytes that are not UTF-8 (nor its declared charset)
 * as U+FFFD: such a field is refused, as a JSON body's would be, rather than stored changed (a
 * passcode no one could type).
 */
export function formFields(values: MultipartValue[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const { fieldname, value } of values) {
    // A part typed application/json arrives parsed: any JSON value, left for the DTO to judge.
    const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
    if (text.includes('\uFFFD')) {
      throw ApiError.field(shownName(fieldname), `The ${humanize(shownName(fieldname))} field is not valid UTF-8.`);
    } else if (fieldname === 'allowed_countries') {
      const codes: unknown[] =
        typeof value === 'string' ? value.split(',').map((code) => code.trim()) : Array.isArray(value) ? value : [value];
      fields.allowed_countries = [...((fields.allowed_countries as unknown[] | undefined) ?? []), ...codes];
    } else if (fieldname in fields) {
      throw ApiError.field(fieldname, `The ${humanize(fieldname)} field may be given only once.`);
    } else {
      fields[fieldname] = NUMBER_FIELDS.has(fieldname) && /^-?[0-9]+$/.test(text) ? Number(text) : value;
    }
  }
  return fields;
}

/** What a name may take in UTF-8, as most file systems allow. */
const MAX_NAME_BYTES = 255;
/** An extension longer than this is part of the name, not a type to keep. */
const MAX_EXTENSION_BYTES = 32;

/**
 * What browsers (WHATWG's multipart/form-data encoding) and curl write for `"`, CR and LF in a
 * part's file name. They leave `%` as it is, so no other escape is undone: a name sent as `a%20b`
 * was named so.
 */
const FORM_ESCAPES: Record<string, string> = { '%22': '"', '%0D': '\r', '%0A': '\n' };
const FORM_ESCAPE = new RegExp(Object.keys(FORM_ESCAPES).join('|'), 'g');

/**
 * The uploaded name as a plain file name: its form escapes undone, no directories, nothing
 * unshowable (CR and LF included), one space where there were many (padding that pushes `.exe`
 * out of sight), at most 255 bytes with its extension kept.
 */
export function fileName(part: MultipartFile): string | null {
  const sent = (part.filename ?? '').replace(FORM_ESCAPE, (escape) => FORM_ESCAPES[escape]);
  const printable = basename(sent.replace(/\\/g, '/')).replace(UNSHOWABLE, '').replace(/\s+/gu, ' ').trim();
  return showsAsNothing(printable) ? null : withinBytes(printable, MAX_NAME_BYTES);
}

/** The name cut to `max` UTF-8 bytes by whole characters of its stem, so `report.pdf` stays a `.pdf`. */
function withinBytes(name: string, max: number): string {
  if (Buffer.byteLength(name) <= max) return name;
  const extension = Buffer.byteLength(extname(name)) <= MAX_EXTENSION_BYTES ? extname(name) : '';
  let stem = '';
  let bytes = Buffer.byteLength(extension);
  for (const char of name.slice(0, name.length - extension.length)) {
    bytes += Buffer.byteLength(char);
    if (bytes > max) break;
    stem += char;
  }
  return stem + extension;
}

/** The declared type when it looks like one (`type/subtype`), else a generic one. */
export function fileContentType(part: MultipartFile): string {
  return /^[\w.+-]+\/[\w.+-]+$/.test(part.mimetype) && part.mimetype.length <= 255 ? part.mimetype : 'application/octet-stream';
}

/**
 * What the multipart parser reads of a form: one file, and fields well past what a secret takes
 * (`parts` is a backstop the other two reach first).
 */
export const MULTIPART_LIMITS = { fields: 20, fieldSize: 4096, files: 1, parts: 25, headerPairs: 100 };

const MALFORMED = () => new ApiError(400, 'The multipart body is malformed or incomplete.', { code: 'malformed_multipart' });

/**
 * The multipart parser's own failures (no boundary, a garbled or truncated body, a JSON-typed
 * field that is not JSON, a client gone mid-file) are the request's fault: 400. Too many files or
 * fields, and a field named `__proto__`, are field errors: the parser's own answers are a 413
 * (which the API keeps for size) and a 400 with no code.
 * Our errors and Fastify's other ones (which carry a status) pass as they are.
 */
function asRequestError(error: unknown): unknown {
  const code = (error as { code?: unknown })?.code;
  if (code === 'FST_FILES_LIMIT') return ApiError.field('file', 'Only one file may be sent.');
  // The parser refuses a field named like an Object.prototype property without saying which.
  if (code === 'FST_PROTO_VIOLATION') return ApiError.field('body', 'No field may be named __proto__, constructor or toString, say.');
  if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') {
    return ApiError.field('body', `The form may have at most ${MULTIPART_LIMITS.fields} fields and one file.`);
  }
  if (code === 'FST_INVALID_JSON_FIELD_ERROR') return MALFORMED();
  if (error instanceof ApiError || typeof (error as { statusCode?: unknown })?.statusCode === 'number') return error;
  return MALFORMED();
}

/**
 * The request's parts, with the parser's failures as 400s. A part sent with no name is named `''`,
 * so it meets the rule an empty name does ("A field without a name is not allowed."). A body with
 * no part (empty, or only the closing delimiter) is malformed (RFC 2046 asks for one), as the
 * parser would say of any other unreadable body, not a form whose fields are all missing. So is a
 * body with a part the parser passed over (its Content-Disposition not `form-data`, or none): its
 * sender meant it (a passcode, say), so the secret is not made without it.
 */
export async function* formParts(request: FastifyRequest, options: Parameters<FastifyRequest['parts']>[0]): AsyncGenerator<Multipart> {
  const boundary = boundaryOf(request.headers['content-type']);
  // With no boundary the parser fails too; one only it can read (RFC 2231's `boundary*=`) counts no part, so a 400.
  const sent = boundary ? new FormDelimiters(boundary) : null;
  // Attached in the tick the parser's pipe is, before the body flows: it sees every chunk the parser does.
  const count = (chunk: Buffer) => sent?.write(chunk);
  request.raw.on('data', count);
  let parts = 0;
  try {
    for await (const part of request.parts(options)) {
      parts += 1;
      // busboy leaves such a part's `fieldname` undefined, though its type says string.
      part.fieldname ??= '';
      yield part;
    }
  } catch (error) {
    throw asRequestError(error);
  } finally {
    request.raw.off('data', count);
  }
  if (parts === 0 || parts !== sent?.parts) throw MALFORMED();
}

/**
 * Passes the part's bytes on, telling `onBytes` the running total first (it throws to stop the
 * upload, at the plan's limit say); the parser's own failures become 400s.
 */
export async function* metered(source: AsyncIterable<Buffer>, onBytes: (total: number) => void): AsyncGenerator<Buffer> {
  let total = 0;
  try {
    for await (const chunk of source) {
      total += chunk.length;
      onBytes(total);
      yield chunk;
    }
  } catch (error) {
    throw asRequestError(error);
  }
}

/** Passes the bytes on, each through `hash` first. */
export async function* digested(source: AsyncIterable<Buffer>, hash: Hash): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    hash.update(chunk);
    yield chunk;
  }
}

/**
 * A `client` file must start like OLF1 and end where a sealed chunk can (`isSealedLength`), else
 * its link could never open; what the chunks hold only its reader, with the key, can check. The
 * error comes at the end of the bytes, so the store's write fails and the upload keeps nothing.
 */
export async function* olf1Only(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let head = Buffer.alloc(0);
  let checked = false;
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (!checked) {
      head = Buffer.concat([head, chunk]);
      if (head.length < FILE_MAGIC.length) continue;
      if (!head.subarray(0, FILE_MAGIC.length).equals(FILE_MAGIC)) throw notOlf1();
      checked = true;
      yield head;
      continue;
    }
    yield chunk;
  }
  if (!checked) throw notOlf1();
  if (!isSealedLength(total)) throw notWholeOlf1();
}

const notOlf1 = () => ApiError.field('file', 'The file field must be OLF1 ciphertext when encryption is client.');
const notWholeOlf1 = () =>
  ApiError.field('file', 'The file field must be whole OLF1 ciphertext when encryption is client: its last chunk is cut short.');
