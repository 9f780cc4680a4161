import { ApiError } from '../common/errors/api-error';

/** https only; plain http only where private addresses are allowed (development, tests). */
export function validateWebhookUrl(raw: string, allowPrivate: boolean): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw ApiError.field('webhook_url', 'The webhook url field must be a valid URL.');
  }
  const allowed = allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!allowed.includes(url.protocol) || url.username || url.password) {
    throw ApiError.field('webhook_url', 'The webhook url field must be an https URL.');
  }
}
