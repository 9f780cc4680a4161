import { createServer, IncomingHttpHeaders, IncomingMessage, request } from 'node:http';
import { listenLocally, type LocalServer } from './local-server';

export type ReverseProxy = LocalServer;

/** Where a request goes upstream: its path and headers there; null answers it 404 at the proxy. */
export type ProxyRoute = (req: IncomingMessage) => { path: string; headers: IncomingHttpHeaders } | null;

/**
 * An HTTP reverse proxy on a free loopback port, as an edge in front of the server would be:
 * each request goes to `upstream()` (read per request, for a server restarted meanwhile) where
 * `route` says, and its answer comes back as it came; an upstream that fails is a 502.
 */
export async function reverseProxy(upstream: () => string, route: ProxyRoute): Promise<ReverseProxy> {
  const server = createServer((req, res) => {
    const to = route(req);
    if (!to) return void res.writeHead(404).end();
    const { hostname, port } = new URL(upstream());
    const forwarded = request({ host: hostname, port, method: req.method, ...to }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forwarded.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(forwarded);
  });
  return listenLocally(server);
}

/** A proxy that strips `prefix` from every path (anything else is a 404), as one serving the server under a path does. */
export const prefixStripping =
  (prefix: string): ProxyRoute =>
  (req) =>
    req.url?.startsWith(`${prefix}/`) ? { path: req.url.slice(prefix.length), headers: req.headers } : null;
