import { ApiError } from '../common/errors/api-error';
import type { Secret } from './secret.entity';
import { MAX_PASSCODE_ATTEMPTS } from './passcode';
import { statusOf } from './secret-status';

const MESSAGES = {
  burned: 'This secret has been viewed and destroyed.',
  expired: 'This secret has expired.',
  deleted: 'This secret was deleted.',
  suspended: 'This link was suspended after reports of abuse.',
};

/** A burn by wrong passcodes is no view: the viewer should not be told someone saw it. */
const GUESSED = 'This secret was destroyed after too many wrong passcodes.';

/** The codes a 410 gives, as OpenAPI lists them. */
export const GONE_CODES = Object.keys(MESSAGES)
  .map((reason) => `secret_${reason}`)
  .join(', ');

/** The 410 as OpenAPI describes it (`@ApiErrors`). */
export const GONE_FAILURE = { 410: `The secret existed but is no longer active (\`code\`: ${GONE_CODES}).` };

/** The 410 for a secret that existed but is no longer active, with a code saying why. */
export function goneError(secret: Pick<Secret, 'status' | 'expiresAt' | 'suspendedAt' | 'failedAttempts'>): ApiError {
  const status = statusOf(secret);
  const reason = secret.suspendedAt ? 'suspended' : status === 'active' ? 'expired' : status;
  const message = reason === 'burned' && secret.failedAttempts >= MAX_PASSCODE_ATTEMPTS ? GUESSED : MESSAGES[reason];
  return new ApiError(410, message, { code: `secret_${reason}` });
}
