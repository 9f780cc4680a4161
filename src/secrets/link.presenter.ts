import type { LinkResponse } from './link.response';
import type { Secret } from './secret.entity';
import { presentFileInfo } from './secret.presenter';

/**
 * What a link shows before it is opened. A file's name and type stay hidden while a passcode or a
 * country rule guards it: those guard a link that has leaked, and a name is often what matters.
 * The download names the file once the checks have passed.
 */
export function presentLink(secret: Secret): LinkResponse {
  const file = presentFileInfo(secret);
  const guarded = secret.hasPasscode || secret.allowedCountries !== null;
  return {
    kind: secret.kind,
    expire_mode: secret.expireMode,
    views_remaining: secret.viewsRemaining,
    expires_at: secret.expiresAt.toISOString(),
    requires_passcode: secret.hasPasscode,
    file: file && guarded ? { ...file, name: null, content_type: null } : file,
  };
}
