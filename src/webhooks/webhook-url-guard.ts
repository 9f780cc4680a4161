import { Inject, Injectable } from '@nestjs/common';
import { isIP } from 'node:net';
import { ApiError } from '../common/errors/api-error';
import { humanize } from '../common/validation/messages';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { DnsNoAnswerError, WEBHOOK_DNS_WAIT_MS, WebhookHostResolver } from './webhook-host-resolver';
import { isMetadataAddress, isPublicAddress } from './public-address';

/** Names that reach a cloud's instance metadata service, whatever DNS says. */
const METADATA_NAMES = ['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data'];
/** Those, and names that reach this machine. */
const INWARD_NAMES = ['localhost', ...METADATA_NAMES];
const INWARD_SUFFIXES = ['.localhost', '.internal', '.local'];

/** Spaces, control and format characters (a right-to-left override, a zero-width space), and a backslash, which the URL parser reads as a slash. */
const UNSHOWN = /[\p{Cc}\p{Cf}\p{Z}\\]/u;
/** A scheme and `//` before the host (`http:///x` and `https:host` are parsed as `http://x/` and `https://host/`); the authority. */
const AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i;
/**
 * DNS's limits: 253 characters in all, 63 in a label (RFC 1035); and not only dots, the one host
 * that keeps a trailing dot in canonicalWebhookUrl's form.
 */
const validHostName = (host: string) => host.length <= 253 && host.split('.').every((label) => label.length <= 63) && !host.endsWith('.');
/** A percent-encoded octet. */
const ENCODED = /%[0-9a-f]{2}/gi;
/** RFC 3986's unreserved characters, whose percent-encodings mean the characters themselves. */
const UNRESERVED = /^[A-Za-z0-9._~-]$/;

/**
 * The one spelling of the receiver a webhook URL calls, which is what is stored, what the
 * dispatcher's per-destination limit keys on (the stored URL's host and port), and what a
 * duplicate endpoint is judged by: the WHATWG form (lower-case host, IPv4 written out as
 * `127.0.0.1`, the default port dropped) with RFC 3986's normalization of what it leaves
 * (percent-encodings of unreserved characters decoded, the others' hex in upper case), the
 * host's trailing dots dropped (`example.com.` is `example.com`), and a bare `?` dropped.
 */
export function canonicalWebhookUrl(raw: string): URL {
  const decoded = new URL(raw).href.replace(ENCODED, (code) => {
    const char = String.fromCharCode(parseInt(code.slice(1), 16));
    return UNRESERVED.test(char) ? char : code.toUpperCase();
  });
  const url = new URL(decoded);
  url.hostname = url.hostname.replace(/\.+$/, '');
  if (!url.search) url.search = '';
  return url;
}

/**
 * What is stored for `raw` (canonicalWebhookUrl), to be measured before the guard runs; `raw`
 * itself when the guard refuses it for what it holds or as no URL, so that the guard says why.
 */
export function storedWebhookUrl(raw: string): string {
  if (UNSHOWN.test(raw)) return raw;
  try {
    return canonicalWebhookUrl(raw).href;
  } catch {
    return raw;
  }
}

/**
 * Checks a webhook URL when it is given (a secret's `webhook_url`, a team endpoint) and answers
 * the form to store (canonicalWebhookUrl): https (or http with WEBHOOK_ALLOW_PRIVATE), no
 * credentials (nor an empty `@`), and a host that is not, and does not resolve to, an inward
 * address. WHATWG URL parsing has already turned `127.1`, `0x7f.0.0.1` and `2130706433` into
 * `127.0.0.1`. A name that does not resolve now is let through: the check that counts runs on the
 * address each delivery connects to (see WebhookSender), since DNS can change between the two. A
 * name whose DNS does not answer in time is refused: it might have named anything.
 */
@Injectable()
export class WebhookUrlGuard {
  private readonly hosts = new WebhookHostResolver(WEBHOOK_DNS_WAIT_MS);

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async accepted(field: string, raw: string): Promise<string> {
    const refuse = (why: string) => ApiError.field(field, `The ${humanize(field)} field ${why}.`);
    // The URL parser drops or encodes these, so what is called would differ from what is shown.
    if (UNSHOWN.test(raw)) throw refuse('must not contain spaces, control characters or backslashes');
    let url: URL;
    try {
      url = canonicalWebhookUrl(raw);
    } catch {
      throw refuse('must be a valid URL');
    }
    const authority = AUTHORITY.exec(raw)?.[1];
    if (authority === undefined || !validHostName(url.hostname)) throw refuse('must be a valid URL');
    const allowPrivate = this.config.webhooks.allowPrivate;
    const schemes = allowPrivate ? ['http', 'https'] : ['https'];
    // `https://:@host` has no credentials to the parser, but is written as if it had.
    if (!schemes.includes(url.protocol.slice(0, -1)) || authority.includes('@')) {
      throw refuse(`must be an ${schemes.join(' or ')} URL without credentials`);
    }
    if (url.port === '0') throw refuse('must not use port 0');
    // A fragment is never sent: `…/hook#a` would be a second endpoint for the same receiver.
    if (raw.includes('#')) throw refuse('must not have a fragment (#…), which is never sent');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (allowPrivate) {
      // A name resolving to one is refused as each delivery connects (WebhookSender).
      if (METADATA_NAMES.includes(host) || isMetadataAddress(host)) throw refuse('must not point to a link-local or metadata address');
      return url.href;
    }
    const inward = () => refuse('must not point to a private, loopback, link-local or metadata address');
    if (isIP(host)) {
      if (!isPublicAddress(host)) throw inward();
      return url.href;
    }
    if (INWARD_NAMES.includes(host) || INWARD_SUFFIXES.some((suffix) => host.endsWith(suffix))) throw inward();
    const addresses = await this.hosts.addresses(host).catch((error: Error) => {
      if (error instanceof DnsNoAnswerError) throw refuse(`has a host whose DNS did not answer within ${WEBHOOK_DNS_WAIT_MS / 1000} s`);
      return [];
    });
    if (addresses.some((address) => !isPublicAddress(address))) throw inward();
    return url.href;
  }
}
