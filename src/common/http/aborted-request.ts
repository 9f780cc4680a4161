/**
 * Node's error on a request whose connection closed before its body had all arrived: the client
 * hung up (or body-timeout cut a body that stalled). It is no fault of ours, and its code,
 * ECONNRESET, is no database's: it comes from no system call on a socket.
 */
export function abortedRequest(): Error {
  return Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
}

export function isAbortedRequest(error: unknown): boolean {
  const { code, message, syscall } = (error ?? {}) as { code?: unknown; message?: unknown; syscall?: unknown };
  return code === 'ECONNRESET' && message === 'aborted' && syscall === undefined;
}
