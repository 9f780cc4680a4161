import { isLoopbackHost } from '../client/oncelink-client';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SharePage {
  html: string;
  csp: string;
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * The recipient's page, built once at start-up. Its script and style are inline and allowed by
 * hash, so the Content-Security-Policy can forbid everything else: no third-party request, no
 * other script, no framing, nowhere to post a form.
 */
export function buildSharePage(dir = join(__dirname, 'assets')): SharePage {
  const script = readFileSync(join(dir, 'page.js'), 'utf8');
  const style = readFileSync(join(dir, 'page.css'), 'utf8');
  const html = readFileSync(join(dir, 'page.html'), 'utf8')
    .replace('{{STYLE}}', () => style)
    .replace('{{SCRIPT}}', () => script);
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(style)}`,
    "connect-src 'self'",
    "img-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}

/**
 * Whether browsers take pages under `publicUrl` for a secure context (https, or a loopback host):
 * only there do they give the share page the WebCrypto it opens sealed secrets with.
 */
export function isSecureOrigin(publicUrl: string): boolean {
  const { protocol, hostname } = new URL(publicUrl);
  return protocol === 'https:' || isLoopbackHost(hostname) || hostname.endsWith('.localhost');
}
