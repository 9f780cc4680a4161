import { IsDefined, IsEmail, IsString, MaxLength, MinLength } from 'class-validator';
import { msg } from '../../common/validation/messages';

export class RegisterDto {
  @IsDefined({ message: msg.required })
  @IsString({ message: msg.string })
  @MaxLength(254, { message: msg.maxLength(254) })
  @IsEmail({}, { message: msg.email })
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
