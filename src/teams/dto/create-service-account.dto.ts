import { IsDefined, IsString, MaxLength, MinLength } from 'class-validator';
import { AbilitiesField } from '../../auth/dto/create-token.dto';
import { msg } from '../../common/validation/messages';

export class CreateServiceAccountDto extends AbilitiesField {
  /** What the account is for, e.g. "terraform". */
  @IsDefined({ message: msg.required })
  @IsString({ message: msg.string })
  @MinLength(1, { message: msg.required })
  @MaxLength(100, { message: msg.maxLength(100) })
  name!: string;
}
