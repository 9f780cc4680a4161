import type { LinkResponse } from './link.response';
import type { Secret } from './secret.entity';
import { presentFileInfo } from './secret.presenter';

export function presentLink(secret: Secret): LinkResponse {
  return {
    kind: secret.kind,
    expire_mode: secret.expireMode,
    views_remaining: secret.viewsRemaining,
    expires_at: secret.expiresAt.toISOString(),
    requires_passcode: secret.hasPasscode,
    file: presentFileInfo(secret),
  };
}
