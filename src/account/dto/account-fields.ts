import { givenForm, hashedForm } from '../../auth/password-hasher';
import { RequiredName, RequiredText } from '../../common/validation/text-field';

/** A person's name, at registration and in PATCH /account alike. */
export const PersonName = () => RequiredName(100);

/**
 * An account password, at registration and when changed: at least 12 characters of what is hashed,
 * its NFC form (PasswordHasher), so six `é` typed as `e` and a combining accent are six, not twelve.
 */
export const NewPassword = () => RequiredText(1024, 12, hashedForm);

/** A password given to confirm a change: what POST /auth/token takes, its length counted as either form a hash may hold. */
export const GivenPassword = () => RequiredText(1024, 1, givenForm);
