import { EmailField } from '../../common/validation/email-field';
import { RequiredName, RequiredText } from '../../common/validation/text-field';

export class RegisterDto {
  @EmailField()
  email!: string;

  /** At least 12 characters. */
  @RequiredText(1024, 12)
  password!: string;

  @RequiredName(100)
  name!: string;
}
