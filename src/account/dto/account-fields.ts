import { RequiredName, RequiredText } from '../../common/validation/text-field';

/** A person's name, at registration and in PATCH /account alike. */
export const PersonName = () => RequiredName(100);

/** An account password, at registration and when changed: at least 12 characters. */
export const NewPassword = () => RequiredText(1024, 12);

/** A password given to confirm a change: what POST /auth/token takes. */
export const GivenPassword = () => RequiredText(1024);
