import { ApiError } from '../errors/api-error';

/**
 * No body holds more than a few hundred values (a create's 250 allowed countries and its other
 * fields are under 300 separators), and JSON.parse spends a quarter of a second on a 2 MiB body
 * of 180,000 keys before the validation pipe's shape check could refuse it: more separators
 * than this (`:` and `,` outside strings, about 500 fields or 1,000 list items) is refused unparsed.
 */
const MAX_SEPARATORS = 1000;

/**
 * Objects nested deeper than this have their keys left unchecked, and cost a count only: no
 * route takes them (the validation pipe refuses a field nested past 8 levels), and a 2 MiB body
 * of `[[[[…` must not make two million records of its levels.
 */
const TRACKED_DEPTH = 16;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const ASCII_LIMIT = 0x80;

/** An object or array the scan is inside: `keys` is null for an array. */
interface Level {
  keys: string[] | null;
  /** An object's last key, or an array's index: the level's place in a path. */
  at: string | number;
}

/**
 * One pass over a JSON body's bytes, before it is parsed: refuses (422) a body with more than
 * MAX_SEPARATORS values, and answers the path (`a.b`, `list.0.c`) of the first key an object
 * holds twice, if any. JSON.parse keeps the last of them, so a proxy that reads the first would
 * judge another request than the one run; the caller refuses it once the body has parsed (a body
 * that does not parse gets the parser's error). A string's bytes are skipped by `indexOf`, so a
 * 2 MiB text secret costs a native search, not a loop. Bytes that are not JSON are left for the
 * parser to refuse.
 */
export function scanJson(bytes: Buffer): string[] | undefined {
  let separators = 0;
  let repeated: string[] | undefined;
  let depth = 0;
  const levels: Level[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    const level = depth > 0 && depth <= TRACKED_DEPTH ? levels[depth - 1] : undefined;
    if (byte === QUOTE) {
      const end = closingQuote(bytes, i + 1);
      if (end < 0) return repeated;
      if (level?.keys && repeated === undefined && bytes[nextToken(bytes, end + 1)] === COLON) {
        const key = keyText(bytes, i, end);
        if (key === undefined) return repeated;
        level.at = key;
        if (level.keys.includes(key)) repeated = levels.slice(0, depth).map((each) => String(each.at));
        else level.keys.push(key);
      }
      i = end;
    } else if (byte === COLON || byte === COMMA) {
      if (++separators > MAX_SEPARATORS) throw ApiError.field('body', 'The body holds too many values.');
      if (byte === COMMA && level && level.keys === null) level.at = (level.at as number) + 1;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (depth < TRACKED_DEPTH) levels[depth] = byte === OPEN_OBJECT ? { keys: [], at: '' } : { keys: null, at: 0 };
      depth++;
    } else if ((byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) && depth > 0) {
      depth--;
    }
  }
  return repeated;
}

/** The index of the quote that ends a string begun before `from` (one not escaped by an odd run of backslashes), or -1. */
function closingQuote(bytes: Buffer, from: number): number {
  for (let at = bytes.indexOf(QUOTE, from); at >= 0; at = bytes.indexOf(QUOTE, at + 1)) {
    let escapes = 0;
    while (bytes[at - 1 - escapes] === BACKSLASH) escapes++;
    if (escapes % 2 === 0) return at;
  }
  return -1;
}

/** The index of the first byte from `from` that is not JSON whitespace. */
function nextToken(bytes: Buffer, from: number): number {
  let at = from;
  while (bytes[at] === 0x20 || bytes[at] === 0x0a || bytes[at] === 0x0d || bytes[at] === 0x09) at++;
  return at;
}

/** The string between the quotes at `open` and `close` as JSON reads it (`"\u0061"` is `a`); undefined if it is not valid JSON. */
function keyText(bytes: Buffer, open: number, close: number): string | undefined {
  let plain = true;
  for (let at = open + 1; at < close && plain; at++) plain = bytes[at] < ASCII_LIMIT && bytes[at] !== BACKSLASH;
  if (plain) return bytes.toString('latin1', open + 1, close);
  try {
    return JSON.parse(bytes.toString('utf8', open, close + 1)) as string;
  } catch {
    return undefined;
  }
}
