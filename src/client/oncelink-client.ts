import type { Paginated } from '../common/http/pagination';
import type { RevealedContent } from '../secrets/link.response';
import type { SecretResponse } from '../secrets/secret.response';
import { open, seal } from './link-crypto';

export interface SendOptions {
  views?: number;
  minutes?: number;
  passcode?: string;
  label?: string;
}

/** The server's own response types: the SDK and the API cannot drift apart. */
export type { RevealedContent, SecretResponse };

interface Data<T> {
  data: T;
}

/** An error the API answered with; `status` is its HTTP status and `code` its error code, if any. */
export class OncelinkError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The public link routes: they never need a token, so none is ever sent on them. */
const LINK_ROUTES = '/api/v1/links/';

/** `localhost`, 127.0.0.0/8, ::1 and 127.0.0.0/8 mapped into IPv6 (as `URL` spells hostnames). */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) ||
    hostname === '[::1]' ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(hostname)
  );
}

/**
 * A small typed client for the Oncelink API. `send` encrypts on this machine and returns the
 * share URL with the key in its fragment; `get` reveals and decrypts. The server never sees a key.
 *
 * The token goes only to `baseUrl`'s origin, and never on a link route: `get` of a link on
 * another origin sends no credential at all, and refuses plain http unless the host is loopback.
 */
export class OncelinkClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  async send(content: Uint8Array, options: SendOptions = {}): Promise<{ id: string; url: string }> {
    const sealed = await seal(content);
    const expiry = options.minutes
      ? { expire_mode: 'minutes', expire_value: options.minutes }
      : { expire_mode: 'views', expire_value: options.views ?? 1 };
    const body = { ciphertext: sealed.ciphertext, iv: sealed.iv, ...expiry, passcode: options.passcode, label: options.label };
    const { data } = await this.request<Data<SecretResponse>>('POST', '/api/v1/secrets', body);
    return { id: data.id, url: `${data.url}#${sealed.key}` };
  }

  async get(url: string, passcode?: string): Promise<Uint8Array> {
    const { origin, token, key } = parseShareUrl(url);
    if (origin !== this.origin()) assertSafeLinkOrigin(url);
    const { data } = await this.request<Data<RevealedContent>>(
      'POST',
      `/api/v1/links/${encodeURIComponent(token)}/reveal`,
      passcode === undefined ? {} : { passcode },
      origin,
    );
    if (data.kind === 'text') return new TextEncoder().encode(data.content);
    if (!key) throw new OncelinkError(0, 'The link has no key after "#": it cannot be decrypted.');
    try {
      return await open({ ciphertext: data.ciphertext, iv: data.iv, key });
    } catch {
      throw new OncelinkError(0, 'The key in the link does not decrypt this secret.');
    }
  }

  async list(page = 1): Promise<SecretResponse[]> {
    return (await this.request<Paginated<SecretResponse>>('GET', `/api/v1/secrets?page=${page}&per_page=100`)).data;
  }

  async delete(id: string): Promise<void> {
    await this.request('DELETE', `/api/v1/secrets/${encodeURIComponent(id)}`);
  }

  private origin(): string {
    return new URL(this.baseUrl).origin;
  }

  private async request<T>(method: string, path: string, body?: unknown, base = this.baseUrl): Promise<T> {
    const target = new URL(path, base);
    const headers: Record<string, string> = {};
    if (this.token && target.origin === this.origin() && !target.pathname.startsWith(LINK_ROUTES)) {
      headers.authorization = `Bearer ${this.token}`;
    }
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      // No redirects: one could carry the request (and its token) to another origin, or to plain http.
      response = await fetch(target, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'error' });
    } catch {
      throw new OncelinkError(0, `Cannot reach ${base}.`);
    }
    if (response.status === 204) return undefined as T;
    const payload = (await response.json().catch(() => ({}))) as { message?: string; code?: string; errors?: Record<string, string[]> };
    if (!response.ok) {
      const detail = payload.errors ? ` ${Object.values(payload.errors).flat().join(' ')}` : '';
      throw new OncelinkError(response.status, `${payload.message ?? `HTTP ${response.status}`}${detail}`, payload.code);
    }
    return payload as T;
  }
}

/**
 * A link on another origin than the configured server is fetched only over https, or over http
 * to a loopback host; anything else is refused before any request (code `insecure_link`).
 */
function assertSafeLinkOrigin(url: string): void {
  const { protocol, hostname, host } = new URL(url);
  if (protocol === 'https:' || (protocol === 'http:' && isLoopbackHost(hostname))) return;
  throw new OncelinkError(
    0,
    `Refusing ${protocol}//${host}: a link on another server than ONCELINK_URL is opened only over https (or http to this machine).`,
    'insecure_link',
  );
}

/** `…/s/{token}#{key}` → its parts; the key never leaves this process. */
export function parseShareUrl(url: string): { origin: string; token: string; key?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OncelinkError(0, 'Not an Oncelink share URL (expected …/s/{token}#{key}).');
  }
  const token = /\/s\/([^/]+)$/.exec(parsed.pathname)?.[1];
  if (!token) throw new OncelinkError(0, 'Not an Oncelink share URL (expected …/s/{token}#{key}).');
  return { origin: parsed.origin, token, key: parsed.hash ? parsed.hash.slice(1) : undefined };
}
