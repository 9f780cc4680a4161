import { IsDefined, IsString, MaxLength, MinLength } from 'class-validator';
import { EmailField } from '../../common/validation/email-field';
import { msg } from '../../common/validation/messages';

export class RegisterDto {
  @EmailField()
  email!: string;

  /** At least 12 characters. */
  @IsDefined({ message: msg.required })
  @IsString({ message: msg.string })
  @MinLength(12, { message: msg.minLength(12) })
  @MaxLength(1024, { message: msg.maxLength(1024) })
  password!: string;

  @IsDefined({ message: msg.required })
  @IsString({ message: msg.string })
  @MinLength(1, { message: msg.required })
  @MaxLength(100, { message: msg.maxLength(100) })
  name!: string;
}
