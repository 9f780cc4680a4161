import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/** Responses may carry a secret, a token or a capability link: no cache may keep any of them. */
const NO_STORE = { 'cache-control': 'no-store' };

/**
 * helmet's security headers for the HTML the server renders (the API docs; the share page
 * replaces the CSP with its own, stricter one), computed once at start-up instead of on every
 * request.
 */
export function pageSecurityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = value),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  };
  const middleware = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        frameAncestors: ["'none'"],
      },
    },
    // As the CSP's frame-ancestors says, for browsers that read only this header.
    frameguard: { action: 'deny' },
  });
  middleware({} as IncomingMessage, response as unknown as ServerResponse, () => undefined);
  return { ...headers, ...NO_STORE };
}

/**
 * The API's answers are JSON or a file's bytes, never a document: OWASP's set for REST
 * responses, which forbids them everything a browser could do with them (render, frame, sniff,
 * read cross-origin), in half the headers of the page set.
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  ...NO_STORE,
};
