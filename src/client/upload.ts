import { ClientRequest, IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { once } from 'node:events';
import { Readable } from 'node:stream';

export interface Upload {
  method: string;
  headers: Record<string, string>;
  body: AsyncIterable<Buffer>;
  signal: AbortSignal;
}

/** An upload that got no answer; its cause is the connection's error. */
export class UploadFailed extends Error {
  constructor(cause: unknown) {
    super('The upload failed.', { cause });
  }
}

/**
 * A streamed request body sent through node:http(s) rather than fetch, whose Node 20 build keeps
 * every chunk of it in memory until the request ends (nodejs/undici#4058): a file upload grew
 * with the file. Answered as fetch answers, with a Response; a redirect is not followed. A failure
 * is thrown as an UploadFailed.
 */
export function upload(url: URL, { method, headers, body, signal }: Upload): Promise<Response> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    // A server may answer before it has read the body (a refusal), and may close on the rest, so
    // that a write fails (EPIPE): its answer, if one came, is what the upload says, so a failure
    // is thrown only once the request has closed without one.
    let failure: unknown;
    let answered = false;
    const failed = (error: unknown) => (failure ??= error);
    const fail = (error: unknown) => reject(new UploadFailed(error));
    const req = send(url, { method, headers, signal });
    // Neither more nor fewer bytes than the declared length: a file that changes as it is read fails
    // then (Node has had the setting since 18.10; @types/node does not know it).
    (req as ClientRequest & { strictContentLength: boolean }).strictContentLength = true;
    // Stops the body: the server answered before all of it was sent, or the request is over.
    const stop = new AbortController();
    req.once('error', failed);
    req.once('close', () => {
      stop.abort();
      if (!answered && failure !== undefined) fail(failure);
    });
    req.once('response', (res) => {
      answered = true;
      if (req.writableEnded) return void settle(resolve, fail, () => asResponse(url, res));
      // A refusal: the rest of the body is not sent; the answer is read whole (an error's few
      // bytes), then the connection, its request unfinished, is closed.
      stop.abort();
      res.toArray().then(
        (chunks) => {
          req.destroy();
          settle(resolve, fail, () => asResponse(url, res, new Uint8Array(Buffer.concat(chunks as Buffer[]))));
        },
        (error: unknown) => fail(failure ?? error),
      );
    });
    // Written once the request has its socket: a proxy's agent (the CLI's) rewrites the request line
    // as it connects, and one written before that would go out twice, the second time mid-body.
    req.once('socket', () => {
      write(body, req, stop.signal).catch((error: unknown) => stop.signal.aborted || req.destroy(error as Error));
    });
  });
}

/** Writes `body` into `req` and ends it, unless `stop` aborts first: then no more of it is sent. */
async function write(body: AsyncIterable<Buffer>, req: ClientRequest, stop: AbortSignal): Promise<void> {
  for await (const chunk of body) {
    if (stop.aborted) return;
    if (!req.write(chunk)) await once(req, 'drain', { signal: stop });
  }
  req.end();
}

function settle(resolve: (response: Response) => void, fail: (error: unknown) => void, make: () => Response): void {
  try {
    resolve(make());
  } catch (error) {
    fail(error);
  }
}

const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/** `res` as a Response; its body streamed, or `read` when it was read already. */
function asResponse(url: URL, res: IncomingMessage, read?: Uint8Array<ArrayBuffer>): Response {
  const headers = new Headers();
  for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
  const status = res.statusCode ?? 0;
  if (NULL_BODY_STATUSES.has(status)) res.resume();
  const body = NULL_BODY_STATUSES.has(status) ? null : (read ?? (Readable.toWeb(res) as ReadableStream<Uint8Array>));
  const response = new Response(body, { status, statusText: res.statusMessage, headers });
  // Made here, it has no url of its own; the client names the server that answered by it.
  Object.defineProperty(response, 'url', { value: url.href });
  return response;
}
