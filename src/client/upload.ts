import { ClientRequest, IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface Upload {
  method: string;
  headers: Record<string, string>;
  body: AsyncIterable<Buffer>;
  signal: AbortSignal;
}

/**
 * A streamed request body sent through node:http(s) rather than fetch, whose Node 20 build keeps
 * every chunk of it in memory until the request ends (nodejs/undici#4058): a file upload grew
 * with the file. Answered as fetch answers, with a Response; a redirect is not followed. A failure
 * is thrown as fetch throws one, its cause the connection's error.
 */
export function upload(url: URL, { method, headers, body, signal }: Upload): Promise<Response> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    // A server that answers before it has read the body (a refusal) closes on the rest, and the
    // write fails (EPIPE): its answer, if one came, is what the upload says, so a failure is thrown
    // only once the request has closed without one.
    let failure: unknown;
    const failed = (error: unknown) => (failure ??= error);
    const req = send(url, { method, headers, signal });
    // Neither more nor fewer bytes than the declared length: a file that changes as it is read fails
    // then (Node has had the setting since 18.10; @types/node does not know it).
    (req as ClientRequest & { strictContentLength: boolean }).strictContentLength = true;
    req.once('error', failed);
    req.once('close', () => failure !== undefined && reject(new Error('The upload failed.', { cause: failure })));
    req.once('response', (res) => {
      try {
        resolve(asResponse(url, res));
      } catch (error) {
        reject(new Error('The upload failed.', { cause: error }));
      }
    });
    // Written once the request has its socket: a proxy's agent (the CLI's) rewrites the request line
    // as it connects, and one written before that would go out twice, the second time mid-body.
    req.once('socket', () => void pipeline(body, req).catch(failed));
  });
}

const NULL_BODY_STATUSES = new Set([204, 205, 304]);

function asResponse(url: URL, res: IncomingMessage): Response {
  const headers = new Headers();
  for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
  const status = res.statusCode ?? 0;
  if (NULL_BODY_STATUSES.has(status)) res.resume();
  const body = NULL_BODY_STATUSES.has(status) ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
  const response = new Response(body, { status, statusText: res.statusMessage, headers });
  // Made here, it has no url of its own; the client names the server that answered by it.
  Object.defineProperty(response, 'url', { value: url.href });
  return response;
}
