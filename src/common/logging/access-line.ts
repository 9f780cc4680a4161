import { tracingChannel } from 'node:diagnostics_channel';
import pino, { Logger } from 'pino';

/** What of a pino logger the hand-written line reads or must find unset (pino/lib/symbols; pino's types omit msgPrefixSym). */
const symbols = pino.symbols as unknown as Record<string, symbol>;
const read = (logger: Logger, name: string) => (logger as unknown as Record<symbol, unknown>)[symbols[name]];

/** One request's access log fields: its id, method and (already redacted) path, its status. */
export interface AccessLine {
  id: string;
  method: string;
  path: string;
  status: number;
}

/** Writes one access log line at a pino level number, with its response time in ms (if known) and message. */
export type AccessLineWriter = (level: number, line: AccessLine, responseTime: number | undefined, msg: string) => void;

/**
 * Whether pino would write `{req: {id, method, url}, res: {status}, responseTime}` and a message
 * as plain JSON: nothing of the logger's own (a mixin, a log formatter or hook, a serializer or
 * redaction of these fields, another message key, a nested key, a message prefix) reshapes the
 * line, and its stream needs no metadata (a multistream's).
 */
function plain(logger: Logger): boolean {
  const serializers = read(logger, 'serializersSym') as Record<string, unknown>;
  const formatters = read(logger, 'formattersSym') as { log?: unknown };
  const hooks = read(logger, 'hooksSym') as { logMethod?: unknown; streamWrite?: unknown };
  const stringifiers = read(logger, 'stringifiersSym') as object;
  const stream = read(logger, 'streamSym') as Record<symbol, unknown>;
  return (
    !read(logger, 'mixinSym') &&
    !formatters.log &&
    !hooks.logMethod &&
    !hooks.streamWrite &&
    !['req', 'res', 'responseTime', 'msg'].some((key) => serializers[key]) &&
    Object.keys(stringifiers).length === 0 &&
    !(stringifiers as Record<symbol, unknown>)[symbols.wildcardFirstSym] &&
    read(logger, 'messageKeySym') === 'msg' &&
    !read(logger, 'nestedKeySym') &&
    !read(logger, 'msgPrefixSym') &&
    stream[symbols.needsMetadataGsym] !== true
  );
}

const writers = new WeakMap<Logger, AccessLineWriter | null>();
/** What pino traces each line's building through (lib/tools.js), for an agent that subscribes to it. */
const pinoLines = tracingChannel('pino_asJson');

/**
 * The access log line as pino would write it (the same fields in the same order, strings escaped
 * by JSON.stringify as pino's stringify does for nested objects), built by hand and written
 * straight to the logger's destination: pino's generic path (its key loop, a type switch per
 * field, JSON.stringify of each nested object) cost each request more than the line's few fields.
 * Null for a logger that is not plain, whose lines pino writes itself, and while something
 * traces pino's lines, so it sees these too.
 */
export function accessLineWriter(logger: Logger): AccessLineWriter | null {
  if (pinoLines.hasSubscribers) return null;
  let writer = writers.get(logger);
  if (writer === undefined) {
    writer = plain(logger) ? handWritten(logger) : null;
    writers.set(logger, writer);
  }
  return writer;
}

function handWritten(logger: Logger): AccessLineWriter {
  const levels = read(logger, 'lsCacheSym') as Record<number, string>;
  const time = read(logger, 'timeSym') as (this: Logger) => string;
  const end = read(logger, 'endSym') as string;
  const stream = read(logger, 'streamSym') as { write(line: string): unknown };
  return (level, line, responseTime, msg) => {
    let text = `${levels[level]}${time.call(logger)}${read(logger, 'chindingsSym') as string},"req":{"id":${JSON.stringify(line.id)},"method":${JSON.stringify(line.method)},"url":${JSON.stringify(line.path)}},"res":{"status":${line.status}}`;
    if (responseTime !== undefined) text += `,"responseTime":${Number.isFinite(responseTime) ? responseTime : null}`;
    stream.write(`${text},"msg":${JSON.stringify(msg)}${end}`);
  };
}
