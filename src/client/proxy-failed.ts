/**
 * A request that never got past the proxy it goes through, so none of it reached the server: the
 * proxy refused the tunnel (`status`), or could not be reached or closed the connection (`cause`).
 * Thrown by a caller's proxying (the command line's) for transportError to name the proxy rather
 * than the server. `proxy` is the proxy's origin only: its URL's credentials never go in a message.
 */
export class ProxyFailed extends Error {
  /** A string, as connections' codes are; never undici's UND_ERR_SOCKET, on which it connects again at once. */
  readonly code = 'ERR_PROXY_FAILED';

  constructor(
    readonly proxy: string,
    readonly status?: number,
    cause?: unknown,
  ) {
    super(`The proxy ${proxy} failed.`, { cause });
  }
}
