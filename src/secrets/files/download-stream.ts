import { Readable } from 'node:stream';

/**
 * A download's bytes as a stream that is cut off when its client stops reading for `idleMs`
 * (nginx's `send_timeout`) or is still reading after `maxMs`, with at most one chunk read ahead.
 * A client that never reads would otherwise hold the download's buffers, and its file's bytes in
 * the store, for as long as it kept the connection open. Time spent reading the store does not count.
 */
export function downloadStream(chunks: AsyncIterable<Buffer>, idleMs: number, maxMs: number): Readable {
  let idle: NodeJS.Timeout | undefined;
  const cutOff = (why: string) => stream.destroy(new Error(why));
  async function* readWhenAsked() {
    for await (const chunk of chunks) {
      idle = setTimeout(() => cutOff(`Not read for ${idleMs} ms`), idleMs);
      // Resumes when the stream asks for the next chunk: the client has taken this one.
      yield chunk;
      clearTimeout(idle);
    }
  }
  const stream = Readable.from(readWhenAsked(), { highWaterMark: 1 });
  const deadline = setTimeout(() => cutOff(`Still being read after ${maxMs} ms`), maxMs);
  stream.once('close', () => {
    clearTimeout(idle);
    clearTimeout(deadline);
  });
  return stream;
}
