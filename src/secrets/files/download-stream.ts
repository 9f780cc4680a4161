import { Readable } from 'node:stream';

/** What is handed to the socket at a time: it asks for more as it drains, not once a whole stored part (1 MiB) has gone. */
const PIECE_BYTES = 64 * 1024;
/** How often, within the idle window, a download that has not asked for more is looked at. */
const LOOKS_PER_WINDOW = 4;

/**
 * A download's bytes as a stream that is cut off when its client makes no progress for `idleMs`
 * (nginx's `send_timeout`) or is still reading after `maxMs`, with at most one piece read ahead.
 * Progress is the socket asking for the next piece, or else the kernel's queue of bytes sent
 * but not acknowledged shrinking (`unacknowledged`, null where unknown): a slow, steady reader
 * drains a large send queue for long before the socket asks for more. A client that never reads
 * would otherwise hold the download's buffers, and its file's bytes in the store, for as long as
 * it kept the connection open. Time spent reading the store does not count. Bytes that end before
 * `length` (the Content-Length sent: stored parts gone mid-download) end it with an error, which
 * cuts the connection: ended cleanly, a keep-alive client would wait for the rest until its own timeout.
 */
export function downloadStream(
  chunks: AsyncIterable<Buffer>,
  length: number,
  idleMs: number,
  maxMs: number,
  unacknowledged: () => Promise<number | null>,
): Readable {
  /** A piece is handed out and the next not yet asked for. */
  let waiting = false;
  let asked = false;
  let progressAt = Date.now();
  let queued: number | null = null;
  const cutOff = (why: string) => stream.destroy(new Error(why));
  async function* readWhenAsked() {
    let read = 0;
    for await (const chunk of chunks) {
      read += chunk.length;
      for (let at = 0; at < chunk.length; at += PIECE_BYTES) {
        waiting = true;
        // Resumes when the stream asks for the next piece: the client has taken this one.
        yield chunk.subarray(at, at + PIECE_BYTES);
        waiting = false;
        asked = true;
      }
    }
    if (read < length) throw new Error(`Its bytes ended after ${read} of ${length}`);
  }
  const look = async () => {
    if (!waiting || asked) {
      asked = false;
      queued = null;
      progressAt = Date.now();
      return;
    }
    const now = await unacknowledged();
    if (now !== null && queued !== null && now < queued) progressAt = Date.now();
    queued = now;
    if (Date.now() - progressAt >= idleMs) cutOff(`Not read for ${idleMs} ms`);
  };
  const stream = Readable.from(readWhenAsked(), { highWaterMark: 1 });
  const looks = setInterval(() => void look(), idleMs / LOOKS_PER_WINDOW);
  const deadline = setTimeout(() => cutOff(`Still being read after ${maxMs} ms`), maxMs);
  stream.once('close', () => {
    clearInterval(looks);
    clearTimeout(deadline);
  });
  return stream;
}
