import { parse as parseDisposition } from 'content-disposition';
import { randomBytes, randomUUID } from 'node:crypto';
import { open as openPath, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { basename, extname } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { Paginated } from '../common/http/pagination';
import { retryAfterSeconds } from '../common/http/retry-after';
import { FileFormatError, FileMetadata, metadataBytes, openFile, sealedSize, sealFile } from '../crypto/file-stream';
import type { LinkResponse, RevealedContent } from '../secrets/link.response';
import type { SecretResponse } from '../secrets/secret.response';
import { decodeKey, encodeKey, isKey, newKey, open, seal, withoutTail } from './link-crypto';
import { fileProblem } from './file-problem';
import { OncelinkError } from './oncelink-error';
import { version } from '../../package.json';
import { lostReveal, Patience, redirectError, transportError } from './transport';
import { NOTHING_DONE, retryAfterAnswer, retryAfterNoAnswer } from './retry';
import { upload } from './upload';

/** Who is calling, for the server's logs (as GitHub asks every client to say). */
const USER_AGENT = `oncelink-client/${version} node/${process.versions.node}`;

export interface SendOptions {
  /** The link works this many times (1 by default). */
  views?: number;
  /** Alone: the link works any number of times for this many minutes. With `views`: it also ends after this many minutes. */
  minutes?: number;
  passcode?: string;
  label?: string;
  /** Pro: receives the secret's events (`secret.viewed` and the rest), signed as API.md says. */
  webhookUrl?: string;
  /** Pro: ISO 3166-1 alpha-2 codes of the only countries the link opens from. */
  allowedCountries?: string[];
}

export interface FileOptions extends SendOptions {
  /** The name the recipient gets (and its type is guessed from); the file's own by default. */
  name?: string;
}

/** The server's own response types: the SDK and the API cannot drift apart. */
export type { RevealedContent, SecretResponse };

/**
 * A revealed secret: a text whole (decrypted here if it was sealed), or a file as a stream whose
 * every chunk is authenticated before it is yielded, with its name and type.
 */
export type Revealed =
  { kind: 'text' | 'encrypted'; content: Uint8Array } | { kind: 'file'; file: FileMetadata; content: AsyncIterable<Buffer> };

interface Data<T> {
  data: T;
}

export { OncelinkError };

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 2;

/** The API, under a server's base URL. */
const API = '/api/v1';
/** The most a page of secrets holds, asked of every page `listAll` fetches. */
const PER_PAGE = 100;
/** The public link routes: they never need a token, so none is ever sent on them. */
const LINK_ROUTES = `${API}/links/`;

/** `localhost`, 127.0.0.0/8, ::1 and 127.0.0.0/8 mapped into IPv6 (as `URL` spells hostnames). */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) ||
    hostname === '[::1]' ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(hostname)
  );
}

/** Keeps a sealed stream until it has all arrived, and gives it back with its length (the command line's is a temporary file). */
export type Spool = (sealed: AsyncIterable<Buffer>) => Promise<{ bytes: number; content: AsyncIterable<Buffer> }>;

/** A secret just sent: its id (for delete), its share URL with the key, and when it expires. */
export interface Sent {
  id: string;
  url: string;
  expires_at: string;
}

/**
 * Whether `value` can go in an Authorization header as a bearer token: letters, digits and
 * -._~+/ with = at the end (RFC 6750's b64token). A newline, say, would end the header early.
 */
export const isBearerToken = (value: string): boolean => /^[A-Za-z0-9._~+/-]+=*$/.test(value);

/**
 * A small typed client for the Oncelink API. `send` encrypts on this machine and returns the
 * share URL with the key in its fragment; `get` reveals and decrypts. The server never sees a key.
 *
 * `baseUrl` is the server's address: an origin, and a path if it is served under one (the API is
 * at `<baseUrl>/api/v1`). The token goes only there, and never on a link route: `get` of a link
 * elsewhere sends no credential at all, and refuses plain http unless the host is loopback.
 */
export class OncelinkClient {
  /** `baseUrl` without a trailing slash. */
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly token?: string,
    /** How long the server may keep a request waiting (for its answer, or the next piece of an up- or download). */
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
    /** How many times a call whose failure is passing is made again (see retry.ts); an upload's is not. */
    private readonly retries = DEFAULT_RETRIES,
  ) {
    // Never echoed: a malformed token may still be mostly the token.
    // Empty is none, as the command line takes an empty ONCELINK_TOKEN.
    if (token && !isBearerToken(token)) throw new OncelinkError(0, 'The token is not a token (letters, digits and -._~+/ only).');
    this.base = serverBase(baseUrl);
  }

  /** Encrypts `content` (a string is sent as UTF-8) here and stores the ciphertext; a TypeError for anything else. */
  async send(content: string | Uint8Array, options: SendOptions = {}): Promise<Sent> {
    const sealed = await seal(content);
    const body = { ciphertext: sealed.ciphertext, iv: sealed.iv, ...expiry(options), ...extras(options) };
    const create = { ...jsonBody(body), creates: true };
    // Retried with its key, a create whose answer was lost gets that answer, not a second secret (anonymous ones cannot carry one).
    if (this.token) create.headers = { ...create.headers, 'idempotency-key': randomUUID() };
    const { data } = await this.request<Data<SecretResponse>>('POST', `${API}/secrets`, create);
    return { id: data.id, url: `${shareUrl(data)}#${sealed.key}`, expires_at: data.expires_at };
  }

  /**
   * Sends the file at `path` as a `client` file secret: read from disk, sealed into OLF1 and
   * uploaded chunk by chunk, never whole in memory. Its name and type travel inside the ciphertext.
   */
  async sendFile(path: string, options: FileOptions = {}): Promise<Sent> {
    const unreadable = (error: unknown) => {
      throw new OncelinkError(0, `Cannot read ${path}: ${fileProblem(error)}.`);
    };
    const file = await stat(path).catch(unreadable);
    // Checked before it is opened: opening a FIFO to read waits for a writer.
    if (!file.isFile()) throw new OncelinkError(0, `${path} is not a file.`);
    // Opened before anything is sent, so a file that cannot be read says so, not the upload.
    const handle = await openPath(path, 'r').catch(unreadable);
    try {
      const name = options.name ?? basename(path);
      return await this.sendSealed({ name, type: guessType(name) }, handle.createReadStream(), file.size, options);
    } finally {
      // A file the server refused before reading all of it is still open.
      await handle.close();
    }
  }

  /**
   * Sends `content` (a pipe, say, whose length is unknown until it ends) as a `client` file secret
   * named `name`: sealed as it is read and uploaded in chunks, never whole in memory. A stream
   * over the plan's limit is refused (413) once the server has read that much of it. With a
   * `spool`, the sealed stream is written there whole first and uploaded from it with its length,
   * as a file is: a source that pauses then keeps no upload waiting.
   */
  async sendStream(content: AsyncIterable<Buffer>, name: string, options: SendOptions = {}, spool?: Spool): Promise<Sent> {
    return this.sendSealed({ name, type: guessType(name) }, content, undefined, options, spool);
  }

  /** Seals `content` with a new key and uploads it; `size` (when known) is declared up front, so the server can refuse a file over the plan before any of it is sent. */
  private async sendSealed(
    metadata: FileMetadata,
    content: AsyncIterable<Buffer>,
    size: number | undefined,
    options: SendOptions,
    spool?: Spool,
  ): Promise<Sent> {
    const fields = { ...expiry(options), encryption: 'client', ...extras(options) };
    const key = newKey();
    const sealed = sealFile(Buffer.from(key), Buffer.alloc(0), metadata, content);
    const spooled = spool ? await spool(sealed) : undefined;
    const sealedBytes = spooled?.bytes ?? (size === undefined ? undefined : sealedSize(size, metadataBytes(metadata)));
    const form = multipartForm(fields, spooled?.content ?? sealed, sealedBytes);
    const headers: Record<string, string> = { 'content-type': form.type };
    if (form.length !== undefined) headers['content-length'] = String(form.length);
    const { data } = await this.request<Data<SecretResponse>>('POST', `${API}/secrets`, { headers, body: form.body, creates: true });
    return { id: data.id, url: `${shareUrl(data)}#${encodeKey(key)}`, expires_at: data.expires_at };
  }

  /**
   * Looks the link up (which spends nothing) to learn what it holds, then reveals it. A link
   * that needs a key and has none, or has something that cannot be one, is refused before the
   * view is spent; `passcode` is sent only if the link needs one.
   */
  async get(url: string, passcode?: string): Promise<Revealed> {
    const { base, token, key } = parseShareUrl(url);
    if (new URL(base).origin !== this.origin()) assertSafeLinkOrigin(url);
    const path = `${LINK_ROUTES}${encodeURIComponent(token)}`;
    const { data: link } = await this.request<Data<LinkResponse>>('GET', path, {}, base);
    if (link.kind === 'encrypted' || link.file?.encryption === 'client') assertKey(key);
    // Refused here as the server would refuse it, without spending a request of the link's rate budget.
    if (link.requires_passcode && !passcode) throw new OncelinkError(401, 'This secret requires a passcode.', 'passcode_required');
    // Only to a link that asks for one: a passcode the caller keeps for every link is no other link's business.
    const body = { ...jsonBody(link.requires_passcode ? { passcode } : {}), spends: true };
    if (!link.file) {
      const { data } = await this.request<Data<RevealedContent>>('POST', `${path}/reveal`, body, base);
      return { kind: data.kind, content: await contentOf(data, key) };
    }
    const { response, patience } = await this.call('POST', `${path}/reveal`, body, base);
    if (!response.ok) throw await answered(patience, () => apiError(response));
    const bytes = patience.receiving(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>));
    if (link.file.encryption === 'client') return { kind: 'file', ...(await openClientFile(decodeKey(key!), bytes)) };
    // A link guarded by a passcode or a country rule keeps the name and type to itself until the download gives them.
    const file =
      link.file.name === null
        ? { name: downloadName(response.headers.get('content-disposition')), type: response.headers.get('content-type') }
        : { name: link.file.name, type: link.file.content_type };
    return { kind: 'file', file, content: checked(bytes, link.file.size) };
  }

  /** Whether a share URL is on this client's server: its origin and path, as `baseUrl` gives them. */
  isOwnLink(url: string): boolean {
    return parseShareUrl(url).base === this.base;
  }

  /** One page (of 100) of the token's team's secrets, newest first. */
  async list(page = 1): Promise<SecretResponse[]> {
    return (await this.listPage(page)).data;
  }

  /**
   * Every secret of the token's team, newest first, fetched a page at a time, each once: pages
   * are by offset, so a secret created meanwhile pushes the next page's first one back onto it.
   * It ends at an empty page, and after the pages the smallest `total` a page gave fills and one more (for
   * those pushes), whatever `last_page` says: a server that kept claiming more would be paged forever.
   */
  async *listAll(): AsyncGenerator<SecretResponse> {
    const listed = new Set<string>();
    for (let page = 1, last = 1, most = Infinity; page <= Math.min(last, most); page++) {
      const answer = await this.listPage(page);
      if (answer.data.length === 0) return;
      for (const secret of answer.data.filter(({ id }) => !listed.has(id))) {
        listed.add(secret.id);
        yield secret;
      }
      last = answer.meta.last_page;
      most = Math.min(most, Math.ceil(answer.meta.total / PER_PAGE) + 1);
    }
  }

  private async listPage(page: number): Promise<Paginated<SecretResponse>> {
    const answer = await this.request<Paginated<SecretResponse>>('GET', `${API}/secrets?page=${page}&per_page=${PER_PAGE}`);
    if (!Array.isArray(answer.data) || !Number.isInteger(answer.meta?.last_page) || !Number.isInteger(answer.meta.total)) {
      throw new OncelinkError(0, notOncelinkMessage(this.origin(), ''));
    }
    return answer;
  }

  /**
   * A delete tried again after its answer was lost finds the secret deleted (410): that was the
   * first attempt's doing, so it is the delete's success, as Stripe's and GitHub's clients count it.
   */
  async delete(id: string): Promise<void> {
    const { response, patience, retried } = await this.call('DELETE', `${API}/secrets/${encodeURIComponent(id)}`, {});
    try {
      await answered(patience, () => parse(response));
    } catch (error) {
      if (retried && error instanceof OncelinkError && error.code === 'secret_deleted') return;
      throw await this.notFoundOrNoApi(error, this.base);
    }
  }

  private origin(): string {
    return new URL(this.base).origin;
  }

  /**
   * The token goes to this client's own API, and never on a link route, even there: decided by the
   * call's base and route, not by the URL's text (a link at `<base>/api/v1/s/…` has its own base).
   */
  private authorizes(base: string, path: string): boolean {
    return base === this.base && !path.startsWith(LINK_ROUTES);
  }

  /** A JSON answer; an error answer is thrown as an OncelinkError. */
  private async request<T>(method: string, path: string, init: Body = {}, base = this.base): Promise<T> {
    const { response, patience } = await this.call(method, path, init, base);
    try {
      return await answered(patience, () => parse<T>(response));
    } catch (error) {
      throw await this.notFoundOrNoApi(error, base);
    }
  }

  /**
   * A 404 from the API under `baseUrl`, unless no API is there: a base with a path the server does
   * not serve (`…/api/v1`, a wrong prefix) gets its answer to an unknown route, which reads as a
   * resource's 404 (`Not found.`), and `delete` would take a live secret for gone. The list route
   * answering 404 too tells them apart; the question costs a request only after a 404.
   */
  private async notFoundOrNoApi(error: unknown, base: string): Promise<unknown> {
    if (!(error instanceof OncelinkError) || error.status !== 404 || base !== this.base) return error;
    const probe = await this.once('GET', `${API}/secrets?per_page=1`, {}, base).catch(() => undefined);
    await probe?.response.body?.cancel();
    if (probe?.response.status !== 404) return error;
    return new OncelinkError(
      0,
      `${this.base} does not look like an Oncelink server's address: there is no API at ${this.base}${API}. ` +
        `Set ONCELINK_URL to the server's origin (and the path it is served under, if any), without ${API}.`,
      'not_an_oncelink_server',
    );
  }

  /**
   * The answer's status and headers; its body is the caller's to read, within `patience`. A
   * passing failure is tried again, as retry.ts allows (never for a streamed body, which is gone).
   */
  private async call(
    method: string,
    path: string,
    init: Body,
    base = this.base,
  ): Promise<{ response: Response; patience: Patience; retried: boolean }> {
    const idempotent = method === 'GET' || method === 'DELETE' || init.headers?.['idempotency-key'] !== undefined;
    for (let attempt = 0; ; attempt++) {
      const retrying = typeof init.body !== 'object' && attempt < this.retries;
      let outcome: { response: Response; patience: Patience };
      try {
        outcome = await this.once(method, path, init, base);
      } catch (error) {
        if (!(error instanceof Unanswered)) throw error;
        const wait = retrying ? retryAfterNoAnswer(attempt, error.code, idempotent) : null;
        if (wait === null) throw error.reason;
        await sleep(wait);
        continue;
      }
      const { response, patience } = outcome;
      const fromApi = !idempotent && NOTHING_DONE.has(response.status) && (await isApiError(response, patience));
      // A gateway's 503 to a reveal may come after it passed the reveal on, as its 502 does.
      if (init.spends && response.status === 503 && !fromApi) {
        await response.body?.cancel();
        throw lostReveal(new URL(base).origin, `HTTP ${response.status}`);
      }
      const wait = retrying ? retryAfterAnswer(attempt, response.status, response.headers.get('retry-after'), idempotent, fromApi) : null;
      if (wait === null) return { ...outcome, retried: attempt > 0 };
      await response.body?.cancel();
      await sleep(wait);
    }
  }

  private async once(method: string, path: string, init: Body, base: string): Promise<{ response: Response; patience: Patience }> {
    const target = new URL(`${base}${path}`);
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...init.headers };
    if (this.token && this.authorizes(base, path)) headers.authorization = `Bearer ${this.token}`;
    const patience = new Patience(this.timeoutMs);
    const signal = patience.signal;
    patience.wait();
    let response: Response;
    try {
      // No redirects: one could carry the request (and its token) to another origin, or to plain http.
      response =
        typeof init.body === 'object'
          ? await upload(target, { method, headers, body: patience.sending(init.body), signal })
          : await fetch(target, { method, headers, body: init.body, redirect: 'manual', signal });
    } catch (error) {
      patience.done();
      throw new Unanswered(
        transportError(target.origin, error, patience, init.spends ? 'spends' : init.creates ? 'creates' : undefined),
        (error as { cause?: { code?: string } }).cause?.code,
      );
    }
    patience.done();
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw redirectError(target.origin, response.headers.get('location'), target.origin === this.origin());
    }
    if (init.spends && LOST_BY_GATEWAY.has(response.status)) {
      await response.body?.cancel();
      throw lostReveal(target.origin, `HTTP ${response.status}`);
    }
    return { response, patience };
  }
}

/** A request that got no answer: why, in words, and the connection's error code. */
class Unanswered extends Error {
  constructor(
    readonly reason: OncelinkError,
    readonly code: string | undefined,
  ) {
    super(reason.message);
  }
}

/** Reads an answer's body within the server's time, saying so if it runs out. */
async function answered<T>(patience: Patience, read: () => Promise<T>): Promise<T> {
  patience.wait();
  try {
    return await read();
  } catch (error) {
    throw patience.ranOut ? patience.timeout() : error;
  } finally {
    patience.done();
  }
}

interface Body {
  headers?: Record<string, string>;
  body?: string | AsyncIterable<Buffer>;
  /** A reveal: an answer lost on its way back may mean the view was spent. */
  spends?: boolean;
  /** A create: an answer lost on its way back may mean the secret was made. */
  creates?: boolean;
}

/** A gateway's answer that the server's was lost (502) or never came (504): what the server did is unknown. */
const LOST_BY_GATEWAY = new Set([502, 504]);
/** Whether an answer is the API's own error (a JSON `message`, as apiError reads it), read from a copy: its body stays the caller's. */
async function isApiError(response: Response, patience: Patience): Promise<boolean> {
  const payload = (await answered(patience, () => response.clone().json()).catch(() => undefined)) as { message?: unknown } | undefined;
  return typeof payload?.message === 'string';
}

const jsonBody = (body: unknown): Body => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** A successful answer's JSON; one without the contract's `data` is not from an Oncelink server. */
async function parse<T>(response: Response): Promise<T> {
  if (!response.ok) throw await apiError(response);
  if (response.status === 204) return undefined as T;
  const payload = (await response.json().catch(() => undefined)) as { data?: unknown } | undefined;
  if (typeof payload?.data !== 'object' || payload.data === null) {
    throw notOncelink(response, '');
  }
  return payload as T;
}

/** An answer in no shape of the contract's: from something that is not an Oncelink server. */
const notOncelinkMessage = (origin: string, status: string) => `${origin} did not answer as an Oncelink server does${status}.`;
const notOncelink = (response: Response, status: string) => new OncelinkError(0, notOncelinkMessage(new URL(response.url).origin, status));

/** A created secret's share URL, checked: a script would hand out whatever is printed. */
function shareUrl(secret: SecretResponse): string {
  const url = typeof secret.url === 'string' ? secret.url : '';
  let valid = false;
  try {
    const parsed = new URL(url);
    valid = ['https:', 'http:'].includes(parsed.protocol) && /\/s\/[^/]+$/.test(parsed.pathname) && !parsed.hash;
  } catch {
    valid = false;
  }
  if (!valid) throw new OncelinkError(0, 'The server answered without a share URL: it did not answer as an Oncelink server does.');
  return url;
}

/**
 * The contract's error (`{message, code?, errors?}`) as its exit status says; an answer without a
 * message is from something else (a proxy's 502 page, another server's 404), whose status means
 * nothing the API's exit codes could say.
 */
async function apiError(response: Response): Promise<OncelinkError> {
  const payload = (await response.json().catch(() => undefined)) as
    { message?: unknown; code?: string; errors?: Record<string, string[]>; attempts_remaining?: unknown } | undefined;
  if (typeof payload?.message !== 'string') {
    return notOncelink(response, ` (HTTP ${response.status})`);
  }
  const detail = payload.errors ? ` ${Object.values(payload.errors).flat().join(' ')}` : '';
  const retryAfter = comeBackIn(response);
  const attemptsRemaining = typeof payload.attempts_remaining === 'number' ? payload.attempts_remaining : undefined;
  const message = `${payload.message}${detail}${attemptsLeft(attemptsRemaining)}${tryAgainIn(retryAfter)}`;
  return new OncelinkError(response.status, message, payload.code, { attemptsRemaining, retryAfter });
}

/** A wrong passcode's guesses left; none left means the guess just made destroyed the secret. */
function attemptsLeft(left: number | undefined): string {
  if (left === undefined) return '';
  if (left === 0) return ' It was the last attempt: the secret was destroyed after too many wrong passcodes.';
  return ` ${left === 1 ? '1 attempt is' : `${left} attempts are`} left before the secret is destroyed.`;
}

/** A refusal to come back later (429, 503): the seconds its Retry-After asks for. */
function comeBackIn(response: Response): number | undefined {
  if (![429, 503].includes(response.status)) return undefined;
  return retryAfterSeconds(response.headers.get('retry-after')) ?? undefined;
}

function tryAgainIn(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  if (seconds < 120) return ` Try again in ${seconds} ${seconds === 1 ? 'second' : 'seconds'}.`;
  return ` Try again in ${Math.ceil(seconds / 60)} minutes.`;
}

/**
 * `views` (1 by default), `minutes`, or both: `views` that also end after `minutes` (the
 * server's `expires_in_minutes`). A value the API refuses (0, say) is sent, for its 422.
 */
function expiry({ views, minutes }: SendOptions): { expire_mode: 'minutes' | 'views'; expire_value: number; expires_in_minutes?: number } {
  if (views === undefined && minutes !== undefined) return { expire_mode: 'minutes', expire_value: minutes };
  return { expire_mode: 'views', expire_value: views ?? 1, expires_in_minutes: minutes };
}

/** The create fields past content and expiry, as the API names them; one left out is not sent. */
const extras = ({ passcode, label, webhookUrl, allowedCountries }: SendOptions) => ({
  passcode,
  label,
  webhook_url: webhookUrl,
  allowed_countries: allowedCountries,
});

async function contentOf(data: RevealedContent, key: string | undefined): Promise<Uint8Array> {
  if (data.kind === 'text') return new TextEncoder().encode(data.content);
  try {
    return await open({ ciphertext: data.ciphertext, iv: data.iv, key: key! });
  } catch {
    throw new OncelinkError(0, 'The key in the link does not decrypt this secret.');
  }
}

async function openClientFile(key: Buffer, sealed: AsyncIterable<Buffer>): Promise<{ file: FileMetadata; content: AsyncIterable<Buffer> }> {
  try {
    const { metadata, content } = await openFile(key, Buffer.alloc(0), sealed);
    return { file: metadata, content: checked(content) };
  } catch (error) {
    throw downloadError(error, 'The key in the link does not decrypt this file.');
  }
}

/**
 * A file's bytes, with a damaged chunk or a connection cut before the end said plainly; with its
 * `size` (a server-mode file's, from the lookup), a body that ends early without an error is cut
 * short too: sent without a Content-Length (as a proxy that re-chunks it does), nothing else says so.
 */
async function* checked(content: AsyncIterable<Buffer>, size?: number): AsyncGenerator<Buffer> {
  let received = 0;
  try {
    for await (const chunk of content) {
      received += chunk.length;
      yield chunk;
    }
  } catch (error) {
    throw downloadError(error, 'The file is damaged: a part of it failed authentication.');
  }
  if (size !== undefined && received < size) throw cutShort();
}

function downloadError(error: unknown, damaged: string): OncelinkError {
  if (error instanceof FileFormatError) return new OncelinkError(0, damaged);
  return cutShort();
}

const cutShort = () => new OncelinkError(0, 'The download was cut short: the file is incomplete.', 'download_cut_short');

/**
 * A multipart/form-data body, streamed: the fields, then the file part, last as the API wants it.
 * The part's own file name is a neutral one, as the real name travels inside the ciphertext.
 */
function multipartForm(
  fields: Record<string, string | number | string[] | undefined>,
  content: AsyncIterable<Buffer>,
  size: number | undefined,
) {
  const boundary = `oncelink-${randomBytes(16).toString('hex')}`;
  let head = '';
  for (const [name, value] of Object.entries(fields)) {
    // A list goes comma-separated, as the API takes it; an empty one as an empty field, which the server refuses as it refuses `[]` in JSON.
    if (value !== undefined) head += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${String(value)}\r\n`;
  }
  head += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="oncelink.olf1"\r\n`;
  head += 'Content-Type: application/octet-stream\r\n\r\n';
  const tail = `\r\n--${boundary}--\r\n`;
  async function* body(): AsyncGenerator<Buffer> {
    yield Buffer.from(head);
    yield* content;
    yield Buffer.from(tail);
  }
  return {
    type: `multipart/form-data; boundary=${boundary}`,
    // Unknown, the body goes chunked.
    length: size === undefined ? undefined : Buffer.byteLength(head) + size + Buffer.byteLength(tail),
    body: body(),
  };
}

/** A few common types by extension, for the recipient's browser; anything else is plain bytes. */
const TYPES: Record<string, string> = {
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.tar': 'application/x-tar',
  '.pem': 'application/x-pem-file',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
};

const guessType = (path: string): string => TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';

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

/** The fragment of a link whose secret is encrypted on the client: present, and shaped like a key. */
function assertKey(key: string | undefined): asserts key is string {
  if (!key) throw new OncelinkError(0, 'The link has no key after "#": it cannot be decrypted.');
  if (!isKey(key))
    throw new OncelinkError(0, 'What follows "#" in the link is not a key (it was cut short or is malformed): it cannot be decrypted.');
}

const notAShareUrl = () => new OncelinkError(0, 'Not an Oncelink share URL (expected …/s/{token}#{key}).', 'not_a_share_url');

/**
 * `…/s/{token}#{key}` → its parts, `base` being the server's address (its origin, and the path a
 * deployment under a prefix serves from, as the share page calls the API beside itself); the key
 * never leaves this process. A link whose `#` a mail client turned into `%23` is put back
 * together, as the share page does, rather than its key taken for part of the token (and sent to
 * the server). A slash or punctuation pasted after the token or the key is left out, as the page leaves it.
 */
function parseShareUrl(url: string): { base: string; token: string; key?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw notAShareUrl();
  }
  // The share page is served over http(s): a file:, ssh: or blob: URL names no server to call.
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw notAShareUrl();
  const [, prefix = '', path = ''] = /^(.*)\/s\/([^/]+)\/?$/.exec(parsed.pathname) ?? [];
  const [pasted, ...escaped] = path.split(/%23/i);
  // A chat tool leaves a `.` or `)` after a link it shows; as the share page, read the token's own characters only.
  const token = /^[A-Za-z0-9_-]*/.exec(pasted)![0];
  if (!token) throw notAShareUrl();
  const key = parsed.hash ? parsed.hash.slice(1) : escaped.join('#') || undefined;
  return { base: `${parsed.origin}${prefix}`, token, key: key && withoutTail(key) };
}

/** The server's address as a base for the API: an absolute http(s) URL, without a trailing slash. */
function serverBase(baseUrl: string): string {
  const url = URL.canParse(baseUrl) ? new URL(baseUrl) : undefined;
  if (!url || !['http:', 'https:'].includes(url.protocol)) {
    throw new OncelinkError(0, 'The base URL is not an absolute http(s) URL (such as https://oncelink.example).', 'invalid_base_url');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function downloadName(disposition: string | null): string | null {
  try {
    return disposition ? (parseDisposition(disposition).parameters.filename ?? null) : null;
  } catch {
    return null;
  }
}
