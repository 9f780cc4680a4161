import type { Server } from 'node:http';

/** A test's own HTTP server on a free loopback port: where it answers, and a close that ends its kept-alive connections too. */
export interface LocalServer {
  origin: string;
  close(): Promise<void>;
}

export async function listenLocally(server: Server): Promise<LocalServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
