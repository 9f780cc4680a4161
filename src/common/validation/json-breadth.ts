import { ApiError } from '../errors/api-error';

/**
 * No body holds more than a few hundred values (a create's 250 allowed countries and its other
 * fields are under 300 separators), and JSON.parse spends a quarter of a second on a 2 MiB body
 * of 180,000 keys before the validation pipe's shape check could refuse it: more separators
 * than this (`:` and `,` outside strings, about 500 fields or 1,000 list items) is refused unparsed.
 */
const MAX_SEPARATORS = 1000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;

/**
 * The 422 for a JSON body with more than MAX_SEPARATORS values, found in one pass over its bytes
 * that stops at the bound; a string's bytes are skipped by `indexOf`, so a 2 MiB text secret
 * costs a native search, not a loop. Bytes that are not JSON are left for the parser to refuse.
 */
export function refuseWideJson(bytes: Buffer): void {
  let separators = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === QUOTE) {
      i = closingQuote(bytes, i + 1);
      if (i < 0) return;
    } else if ((byte === COLON || byte === COMMA) && ++separators > MAX_SEPARATORS) {
      throw ApiError.field('body', 'The body holds too many values.');
    }
  }
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
