import { EmailField } from '../../common/validation/email-field';
import { NewPassword, PersonName } from './account-fields';

export class RegisterDto {
  @EmailField()
  email!: string;

  /** At least 12 characters. */
  @NewPassword()
  password!: string;

  @PersonName()
  name!: string;
}
