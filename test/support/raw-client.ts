import { connect, Socket } from 'node:net';
import { eventually } from './eventually';

/** A raw connection: what it is sent goes as written, and everything that comes back is kept until it closes. */
export class RawClient {
  readonly socket: Socket;
  private received = '';
  private readonly closed: Promise<void>;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (chunk: Buffer) => (this.received += chunk.toString('latin1')));
    this.closed = new Promise((resolve) => this.socket.on('close', () => resolve()));
    this.socket.on('error', () => undefined);
  }

  write(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Everything received once the server has closed the connection. */
  async untilClosed(): Promise<string> {
    await this.closed;
    return this.received;
  }

  /** Resolves with the first complete answer (by Content-Length) received so far. */
  async answer(): Promise<{ status: number; headers: string; body: string }> {
    const complete = () => {
      const end = this.received.indexOf('\r\n\r\n');
      if (end < 0) return false;
      const length = Number(/content-length: (\d+)/i.exec(this.received.slice(0, end))?.[1] ?? 0);
      return this.received.length >= end + 4 + length;
    };
    if (!(await eventually(complete, 10, 10))) throw new Error(`no complete answer: ${JSON.stringify(this.received)}`);
    const end = this.received.indexOf('\r\n\r\n');
    const headers = this.received.slice(0, end);
    const length = Number(/content-length: (\d+)/i.exec(headers)?.[1] ?? 0);
    const body = this.received.slice(end + 4, end + 4 + length);
    this.received = this.received.slice(end + 4 + length);
    return { status: Number(headers.split(' ')[1]), headers, body };
  }
}

/** A POST as written on the wire: its headers, and as much of its body as given. */
export const request = (path: string, headers: Record<string, string>, body = '') =>
  `POST ${path} HTTP/1.1\r\nHost: localhost\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n${body}`;
