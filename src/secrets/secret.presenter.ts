import type { Secret } from './secret.entity';
import type { FileInfoResponse, SecretResponse } from './secret.response';
import { statusOf } from './secret-status';

const iso = (date: Date | null) => date?.toISOString() ?? null;

/**
 * A secret's webhook URL as a member who neither made the secret nor manages the team sees it:
 * without its query, where receivers take a credential (`https://host/hook?…`), as team endpoints
 * are for admins only. The guard refuses credentials before the host and a fragment.
 */
export function withoutQuery(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : `${url.slice(0, query)}?…`;
}

export interface Presenting {
  /** `token` and `url`, filled only in the create response: the link is a capability, shown once (after that, `token_prefix`). */
  link?: { token: string; url: string };
  /** When the status is taken: now, unless an earlier answer is being repeated. */
  at?: number;
  /** What an active secret shows its reader (its file's sealed name and type opened, say); a secret no longer active is not handed to it. */
  shown?: (active: Secret) => Secret;
}

/**
 * The API's Secret. One no longer active shows what its tombstone keeps, whether or not the purge
 * has wiped its row yet: no webhook URL, and no file name or type (their seal is not opened).
 */
export function presentSecret(row: Secret, { link, at = Date.now(), shown = (active) => active }: Presenting = {}): SecretResponse {
  const status = statusOf(row, at);
  const ended = status !== 'active';
  const secret = ended ? row : shown(row);
  const file = presentFileInfo(secret);
  return {
    id: secret.id,
    token: link?.token ?? null,
    url: link?.url ?? null,
    token_prefix: secret.tokenPrefix,
    kind: secret.kind,
    label: secret.label,
    expire_mode: secret.expireMode,
    expire_value: secret.expireValue,
    // A secret no longer active has no views left, however it ended (the row keeps what was unused).
    views_remaining: status === 'active' || secret.viewsRemaining === null ? secret.viewsRemaining : 0,
    views_count: secret.viewsCount,
    expires_at: secret.expiresAt.toISOString(),
    has_passcode: secret.hasPasscode,
    allowed_countries: secret.allowedCountries,
    webhook_url: ended ? null : secret.webhookUrl,
    status,
    created_by: secret.createdBy,
    created_at: secret.createdAt.toISOString(),
    updated_at: secret.updatedAt.toISOString(),
    last_viewed_at: iso(secret.lastViewedAt),
    // An expired secret stopped at its expiry, whether or not the purge has reached it yet.
    destroyed_at: iso(status === 'expired' ? secret.expiresAt : secret.destroyedAt),
    file: file && ended ? { ...file, name: null, content_type: null } : file,
  };
}

export function presentFileInfo(secret: Secret): FileInfoResponse | null {
  if (secret.kind !== 'file') return null;
  return {
    name: secret.fileName,
    size: secret.fileSize ?? 0,
    content_type: secret.fileContentType,
    encryption: secret.fileEncryption ?? 'server',
  };
}
