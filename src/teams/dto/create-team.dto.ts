import { IsDefined, IsString, MaxLength, MinLength } from 'class-validator';
import { msg } from '../../common/validation/messages';

export class CreateTeamDto {
  @IsDefined({ message: msg.required })
  @IsString({ message: msg.string })
  @MinLength(1, { message: msg.required })
  @MaxLength(100, { message: msg.maxLength(100) })
  name!: string;
}
