/**
 * `Retry-After` as seconds from now, given as delta-seconds or an HTTP-date (RFC 9110; a proxy's
 * or CDN's 503 often says a date); null when absent or unreadable. Date.parse reads "-5" or "1.5"
 * as dates long past (a retry at once), so a date must name its day or month.
 */
export function retryAfterSeconds(value: string | null | undefined, now = Date.now()): number | null {
  const text = value?.trim();
  if (!text) return null;
  if (/^\d+$/.test(text)) return Number(text);
  const date = /[A-Za-z]{3}/.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
}
