import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as signed. */
  body: string;
  json: { id: string; type: string; created_at: string; data: Record<string, unknown> };
}

/** How the receiver answers the nth request (0-based): it may also leave it hanging by not ending `res`. */
export type Responder = (res: ServerResponse, n: number, received: ReceivedWebhook) => void;

export interface WebhookReceiver {
  url: string;
  port: number;
  received: ReceivedWebhook[];
  respond: Responder;
  /** The most connections it has had open at once. */
  mostConnections: number;
  close(): Promise<void>;
}

/** A real HTTP server on a free loopback port that records every request; answers 200 unless told otherwise. */
export async function startWebhookReceiver(respond: Responder = (res) => res.end('ok')): Promise<WebhookReceiver> {
  const receiver: WebhookReceiver = {
    url: '',
    port: 0,
    received: [],
    respond,
    mostConnections: 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: ReceivedWebhook['json'];
      try {
        json = JSON.parse(body);
      } catch {
        json = { id: '', type: '', created_at: '', data: {} };
      }
      const received = { path: req.url ?? '', headers: req.headers, body, json };
      receiver.received.push(received);
      receiver.respond(res, receiver.received.length - 1, received);
    });
  });
  let open = 0;
  server.on('connection', (socket) => {
    receiver.mostConnections = Math.max(receiver.mostConnections, ++open);
    socket.on('close', () => open--);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}/hook`;
  const close = receiver.close;
  receiver.close = () => {
    server.closeAllConnections();
    return close();
  };
  return receiver;
}
