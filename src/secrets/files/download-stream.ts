import { Readable } from 'node:stream';
import { DownloadRate } from './download-rate';

/** What is handed to the socket at a time: it asks for more as it drains, not once a whole stored part (1 MiB) has gone. */
const PIECE_BYTES = 64 * 1024;
/** How often, within the idle window, a download that has not asked for more is looked at. */
const LOOKS_PER_WINDOW = 4;
/** Idle windows of waiting on its client over which a download's rate is judged, so a real reader's slow moment is not a cut. */
const RATE_WINDOWS = 3;

/**
 * A download's bytes as a stream that is cut off when its client makes no progress for `idleMs`
 * (nginx's `send_timeout`), takes fewer than `minBytesPerSecond` (0: no floor) over RATE_WINDOWS
 * idle windows of time the download waited on it, or is still reading after `maxMs`, with at most
 * one piece read ahead. Progress is the socket asking for the next piece, or else the kernel's
 * queue of bytes sent but not acknowledged shrinking (`unacknowledged`, null where unknown): a
 * slow, steady reader drains a large send queue for long before the socket asks for more. A
 * client that never reads, or reads a little now and then just inside every idle window, would otherwise
 * hold the download's buffers, its slot and its file's bytes in the store for as long as it kept
 * the connection open. Time spent reading the store does not count, nor does time the server's
 * own event loop was late: a look counts no more than its interval of waiting, so a starved
 * server does not judge a steady reader slow. Bytes that end before `length` (the Content-Length
 * sent: stored parts gone mid-download) end it with an error, which cuts the connection: ended
 * cleanly, a keep-alive client would wait for the rest until its own timeout.
 */
export function downloadStream(
  chunks: AsyncIterable<Buffer>,
  length: number,
  idleMs: number,
  maxMs: number,
  minBytesPerSecond: number,
  unacknowledged: () => Promise<number | null>,
): Readable {
  const lookMs = idleMs / LOOKS_PER_WINDOW;
  /** A piece is handed out and the next not yet asked for. */
  let waiting = false;
  let asked = false;
  /** Since when the piece handed out has been waited for (or the last look), and the waits ended since the last look. */
  let waitingSince = 0;
  let waited = 0;
  /** The bytes of the pieces the client has taken, and at the last look that and the unacknowledged bytes. */
  let taken = 0;
  // The socket's queue is about empty before the first piece.
  let mark: { taken: number; queued: number | null } = { taken: 0, queued: 0 };
  let progressAt = performance.now();
  let looking = false;
  const rate = minBytesPerSecond > 0 ? new DownloadRate(RATE_WINDOWS * idleMs, minBytesPerSecond) : null;
  const cutOff = (why: string) => stream.destroy(new Error(why));
  async function* readWhenAsked() {
    let read = 0;
    for await (const chunk of chunks) {
      read += chunk.length;
      for (let at = 0; at < chunk.length; at += PIECE_BYTES) {
        const piece = chunk.subarray(at, at + PIECE_BYTES);
        waiting = true;
        waitingSince = performance.now();
        // Resumes when the stream asks for the next piece: the client has taken this one.
        yield piece;
        waited += performance.now() - waitingSince;
        waiting = false;
        asked = true;
        taken += piece.length;
      }
    }
    if (read < length) throw new Error(`Its bytes ended after ${read} of ${length}`);
  }
  const look = async () => {
    if (looking) return;
    const at = performance.now();
    // No more than a look's interval: one that comes late, the event loop held up, is not the client's doing.
    const wait = Math.min(waited + (waiting ? at - waitingSince : 0), lookMs);
    waited = 0;
    if (waiting) waitingSince = at;
    const progressed = !waiting || asked;
    asked = false;
    const takenNow = taken;
    looking = true;
    // The kernel's queue is read only when something uses it: the rate, or an idle check with no other sign of progress.
    const queued = wait > 0 && (rate !== null || !progressed) ? await unacknowledged() : null;
    looking = false;
    if (progressed || (queued !== null && mark.queued !== null && queued < mark.queued)) progressAt = at;
    // What the client acknowledged: the pieces it took, less those still in the kernel's queue. A look
    // that waited for nothing leaves the mark, so the next sample covers both intervals.
    if (wait > 0) {
      rate?.add(wait, takenNow - mark.taken - (queued !== null && mark.queued !== null ? queued - mark.queued : 0));
      mark = { taken: takenNow, queued };
    }
    if (at - progressAt >= idleMs) cutOff(`Not read for ${idleMs} ms`);
    else if (rate?.tooSlow())
      cutOff(`Read at under ${minBytesPerSecond} bytes/s over ${RATE_WINDOWS * idleMs} ms of waiting on its client`);
  };
  const stream = Readable.from(readWhenAsked(), { highWaterMark: 1 });
  const looks = setInterval(() => void look(), lookMs);
  const deadline = setTimeout(() => cutOff(`Still being read after ${maxMs} ms`), maxMs);
  stream.once('close', () => {
    clearInterval(looks);
    clearTimeout(deadline);
  });
  return stream;
}
