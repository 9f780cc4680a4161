import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

export interface AttemptOutcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** Seconds the receiver asked us to wait (`Retry-After`), when it did. */
  retryAfter: number | null;
}

/** Receivers answer with anything; only the status matters and the rest is read and dropped up to here. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs one signed body. The agents check the address each connection actually goes to (after
 * DNS), so a name that has come to resolve inward since the URL was accepted is refused here;
 * redirects are never followed (a 3xx is a failed attempt), and the whole exchange has
 * WEBHOOK_TIMEOUT_MS.
 */
@Injectable()
export class WebhookSender implements OnApplicationShutdown {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const filter = { allowPrivateIPAddress: config.webhooks.allowPrivate, allowMetaIPAddress: config.webhooks.allowPrivate };
    this.httpAgent = new RequestFilteringHttpAgent({ ...filter, keepAlive: true, maxSockets: 16 });
    this.httpsAgent = new RequestFilteringHttpsAgent({ ...filter, keepAlive: true, maxSockets: 16 });
  }

  onApplicationShutdown(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  send(url: string, body: string, headers: Record<string, string>): Promise<AttemptOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const timeoutMs = this.config.webhooks.timeoutMs;
    return new Promise((resolve) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        return resolve({ ok: false, statusCode: null, error: 'Invalid URL', durationMs: 0, retryAfter: null });
      }
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
        // The filtering agent refuses an address literal synchronously.
        return resolve({
          ok: false,
          statusCode: null,
          error: (error as Error).message.slice(0, 500),
          durationMs: elapsed(),
          retryAfter: null,
        });
      }
      const timer = setTimeout(() => request.destroy(new Error(`No answer within ${timeoutMs} ms`)), timeoutMs);
      const finish = (outcome: Omit<AttemptOutcome, 'durationMs'>) => {
        clearTimeout(timer);
        resolve({ ...outcome, durationMs: elapsed() });
      };
      request.on('error', (error) => finish({ ok: false, statusCode: null, error: error.message.slice(0, 500), retryAfter: null }));
      request.on('response', (response) => {
        const status = response.statusCode ?? 0;
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_RESPONSE_BYTES) response.destroy();
        });
        response.on('close', () => {
          const ok = status >= 200 && status < 300;
          const error = ok ? null : status >= 300 && status < 400 ? `Redirect (${status}) not followed` : `HTTP ${status}`;
          finish({ ok, statusCode: status, error, retryAfter: ok ? null : retryAfterSeconds(response.headers['retry-after']) });
        });
      });
      request.end(body);
    });
  }
}

/** `Retry-After` as seconds or an HTTP date; null when absent or unreadable. */
function retryAfterSeconds(value: string | undefined): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
