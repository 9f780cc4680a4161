const DASH = 0x2d;

/**
 * The `boundary` parameter of a multipart Content-Type as busboy reads it: the first one, its name
 * in any case, quoted (`\"` and `\\` unescaped) or not (spaces and tabs dropped). Null when there
 * is none (busboy then refuses the body too).
 */
export function boundaryOf(contentType: string | undefined): Buffer | null {
  const found = /;[ \t]*boundary[ \t]*=[ \t]*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/i.exec(contentType ?? '');
  if (!found) return null;
  const value = found[1] !== undefined ? found[1].replace(/\\(["\\])/g, '$1') : found[2].replace(/[ \t]/g, '');
  return Buffer.from(value, 'latin1');
}

/**
 * Counts the parts of a multipart body from its delimiters, as busboy's parser (Dicer) opens them:
 * each delimiter not followed by `--` opens one, and nothing counts after the closing one. busboy
 * drops a part whose Content-Disposition is not `form-data` (or is missing, or whose header block
 * never ends) without a word; this count against the parts it handed over is what shows one was
 * sent. It keeps at most a delimiter's length of the body and searches each chunk with indexOf.
 */
export class FormDelimiters {
  private readonly delimiter: Buffer;
  /** The last bytes after the last delimiter, where one split across chunks may begin. Dicer reads the body as if it began with CRLF. */
  private tail = Buffer.from('\r\n');
  /** A delimiter was just passed: the next bytes say whether it opens a part or closes the body. */
  private afterDelimiter = false;
  private dashes = 0;
  private closed = false;
  parts = 0;

  constructor(boundary: Buffer) {
    this.delimiter = Buffer.concat([Buffer.from('\r\n--'), boundary]);
  }

  write(chunk: Buffer): void {
    if (this.closed) return;
    const length = this.delimiter.length;
    let from = 0;
    // Only one delimiter can begin in the tail, which is shorter than one.
    const split = Buffer.concat([this.tail, chunk.subarray(0, length - 1)]).indexOf(this.delimiter);
    let passed = split !== -1;
    if (passed) {
      this.passDelimiter();
      from = split + length - this.tail.length;
    }
    for (;;) {
      const at = chunk.indexOf(this.delimiter, from);
      from = this.readAfterDelimiter(chunk, from, at === -1 ? chunk.length : at);
      if (this.closed) return;
      if (at === -1) break;
      this.passDelimiter();
      passed = true;
      from = at + length;
    }
    const rest = passed ? chunk.subarray(from) : Buffer.concat([this.tail, chunk.subarray(-length)]);
    // A copy, so the chunk itself is not kept.
    this.tail = Buffer.from(rest.subarray(Math.max(0, rest.length - (length - 1))));
  }

  private passDelimiter(): void {
    // Dicer opens an (empty) part between two delimiters; after a lone dash whether it does depends on
    // how the bytes were cut, and one part too many only refuses a garbled body.
    if (this.afterDelimiter) this.parts += 1;
    this.afterDelimiter = true;
    this.dashes = 0;
  }

  /** Reads the at most two bytes after a delimiter that say what it is; returns where reading stopped. */
  private readAfterDelimiter(chunk: Buffer, from: number, end: number): number {
    while (this.afterDelimiter && from < end) {
      if (chunk[from] !== DASH) {
        this.afterDelimiter = false;
        this.parts += 1;
        break;
      }
      from += 1;
      this.dashes += 1;
      if (this.dashes === 2) {
        this.closed = true;
        break;
      }
    }
    return from;
  }
}
