import { Inject, Injectable } from '@nestjs/common';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import { retryAfterSeconds } from '../common/http/retry-after';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { isMetadataAddress, isPublicAddress } from './public-address';
import { InwardAddressError, WEBHOOK_DNS_WAIT_MS, WebhookHostResolver } from './webhook-host-resolver';

export interface AttemptOutcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** Seconds the receiver asked us to wait (`Retry-After`), when it did. */
  retryAfter: number | null;
}

/**
 * Receivers answer with anything; only the status matters. The body is read and dropped up to
 * this size and for this long after the status line, then the connection is cut (a body read to
 * its end leaves the connection kept alive).
 */
const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_RESPONSE_BODY_MS = 1_000;

/** Attempts an instance makes at once (the dispatcher's places). */
export const WEBHOOK_CONCURRENCY = 16;
/**
 * A kept-alive connection left idle this long is closed by us, whatever the receiver's own idle
 * timeout (a hostile one keeps it open for good): under Node's 5 s, so that usually we close first.
 */
const IDLE_MS = 4_000;
/**
 * Idle connections kept per host, and in all: every receiver answering 2xx (any team member can
 * name a new one as a secret's `webhook_url`) would otherwise hold one for IDLE_MS.
 */
const IDLE_PER_HOST = 2;
const IDLE_IN_ALL = WEBHOOK_CONCURRENCY;

/**
 * POSTs one signed body. The agents check the address each connection actually goes to (after
 * DNS), so a name that has come to resolve inward since the URL was accepted is refused here;
 * redirects are never followed (a 3xx is a failed attempt), and the whole exchange has
 * WEBHOOK_TIMEOUT_MS. DNS gets half of it at most, so a name whose DNS never answers fails the
 * attempt as that, not as the receiver's silence. An attempt ends only once its connection is
 * free again or cut, so the dispatcher's places bound the connections open, and the agents,
 * shared by every team, never make one wait for a socket another holds: those in use are at most
 * the places, the idle ones at most IDLE_IN_ALL (see keepingAtMost), so the cap on all of them
 * is a backstop that is never reached.
 */
@Injectable()
export class WebhookSender {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  /** The addresses a delivery may connect to. */
  private readonly admits: (address: string) => boolean;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const waitMs = Math.min(WEBHOOK_DNS_WAIT_MS, Math.floor(config.webhooks.timeoutMs / 2));
    this.admits = config.webhooks.allowPrivate ? (address) => !isMetadataAddress(address) : isPublicAddress;
    const { lookup } = new WebhookHostResolver(waitMs, this.admits);
    // The agents call `lookup` (an address literal skips it: see send), which refuses an inward
    // address, and check each address it gives by their own rule before connecting to it.
    const filter = { allowPrivateIPAddress: config.webhooks.allowPrivate, allowMetaIPAddress: config.webhooks.allowPrivate, lookup };
    const pool = { keepAlive: true, timeout: IDLE_MS, maxFreeSockets: IDLE_PER_HOST, maxTotalSockets: WEBHOOK_CONCURRENCY + IDLE_IN_ALL };
    this.httpAgent = keepingAtMost(IDLE_IN_ALL, new RequestFilteringHttpAgent({ ...filter, ...pool }));
    this.httpsAgent = keepingAtMost(IDLE_IN_ALL, new RequestFilteringHttpsAgent({ ...filter, ...pool }));
  }

  /** Closes the kept-alive connections; the dispatcher calls it once its attempts have ended. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /**
   * One attempt. A kept-alive connection the receiver had closed before this request was written
   * whole on it (the race every keep-alive client has with a server's idle timeout) is tried again
   * at once, on another: the receiver cannot have read that request. One written whole and then
   * cut is a failed attempt, however soon: the receiver may have acted on it, and no attempt
   * sends a POST twice.
   */
  async send(url: string, body: string, headers: Record<string, string>): Promise<AttemptOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return { ok: false, statusCode: null, error: 'Invalid URL', durationMs: 0, retryAfter: null };
    }
    const literal = target.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) && !this.admits(literal)) return { ok: false, statusCode: null, error: REFUSED, durationMs: 0, retryAfter: null };
    const first = await this.post(target, body, headers, this.config.webhooks.timeoutMs);
    const outcome = first.staleConnection ? await this.post(target, body, headers, this.config.webhooks.timeoutMs - elapsed()) : first;
    return { ok: outcome.ok, statusCode: outcome.statusCode, error: outcome.error, retryAfter: outcome.retryAfter, durationMs: elapsed() };
  }

  private post(target: URL, body: string, headers: Record<string, string>, timeoutMs: number): Promise<PostOutcome> {
    return new Promise((resolve) => {
      const secure = target.protocol === 'https:';
      let request: http.ClientRequest;
      try {
        request = (secure ? https : http).request(target, {
          method: 'POST',
          agent: secure ? this.httpsAgent : this.httpAgent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'Oncelink-Webhooks/1',
            ...headers,
          },
        });
      } catch (error) {
        // A request that cannot be made (a header Node refuses, say) fails here, synchronously.
        return resolve({ ok: false, statusCode: null, error: attemptError(error as Error), retryAfter: null });
      }
      let settled = false;
      /** What the status line said, once it came: the outcome, however the body then goes. */
      let answered: PostOutcome | null = null;
      const finish = (outcome: PostOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      // Ends the attempt itself: a request that is already closed (an upgrade, say) emits nothing more when destroyed.
      const timer = setTimeout(() => {
        finish(
          answered ?? { ok: false, statusCode: null, error: `No answer within ${this.config.webhooks.timeoutMs} ms`, retryAfter: null },
        );
        request.destroy();
      }, timeoutMs);
      let written = false;
      request.on('finish', () => (written = true));
      request.on('error', (error: NodeJS.ErrnoException) => {
        const staleConnection = !written && request.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
        finish(answered ?? { ok: false, statusCode: null, error: attemptError(error), retryAfter: null, staleConnection });
      });
      // A 101 is not a `response`: Node hands over the socket instead, which nobody here wants.
      request.on('upgrade', (response, socket) => {
        socket.destroy();
        finish({ ok: false, statusCode: response.statusCode ?? 101, error: `HTTP ${response.statusCode ?? 101}`, retryAfter: null });
      });
      // The status line decides, as Stripe's and GitHub's senders judge: a 200 whose body then
      // stalls was delivered. The attempt ends when the body has been read and dropped, or cut.
      request.on('response', (response) => {
        const status = response.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        const error = ok ? null : status >= 300 && status < 400 ? `Redirect (${status}) not followed` : `HTTP ${status}`;
        const outcome = { ok, statusCode: status, error, retryAfter: ok ? null : retryAfterSeconds(response.headers['retry-after']) };
        answered = outcome;
        const cut = setTimeout(() => response.destroy(), MAX_RESPONSE_BODY_MS);
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_RESPONSE_BYTES) response.destroy();
        });
        response.on('close', () => {
          clearTimeout(cut);
          finish(outcome);
        });
      });
      // On a kept-alive connection the request is written only once the event loop has polled
      // again (two turns: the first may end before that poll), so that a close the receiver sent
      // before now is taken in first and fails the request unwritten, to be sent again.
      request.once('socket', () => {
        const write = () => {
          if (!request.destroyed) request.end(body);
        };
        if (request.reusedSocket) setImmediate(() => setImmediate(write));
        else write();
      });
    });
  }
}

/**
 * Node's `maxFreeSockets` counts per host, so an agent keeps, until `timeout`, an idle connection
 * to each of any number of receivers; this one closes a connection freed while `most` are idle.
 * (Node's `maxTotalSockets` would rather make the next attempt wait for an idle one to time out.)
 */
function keepingAtMost<T extends http.Agent>(most: number, agent: T): T {
  const keep = agent.keepSocketAlive.bind(agent);
  agent.keepSocketAlive = (socket) => {
    const idle = Object.values(agent.freeSockets).reduce((count, sockets) => count + (sockets?.length ?? 0), 0);
    return idle < most && keep(socket);
  };
  return agent;
}

/** One request's outcome; `staleConnection` when a kept-alive connection the receiver had closed failed it before it was written whole. */
type PostOutcome = Omit<AttemptOutcome, 'durationMs'> & { staleConnection?: boolean };

const REFUSED = "Refused: the host's address is not public.";

/**
 * What the delivery log says of a failed send. The filtering agent's refusal names the address a
 * name resolved to, which would show a team admin the server's internal DNS answers.
 */
function attemptError(error: Error): string {
  if (error instanceof InwardAddressError || / is not allowed\. Because/.test(error.message)) return REFUSED;
  return error.message.slice(0, 500);
}
