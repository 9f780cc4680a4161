import { IsOptional, IsString, MaxLength } from 'class-validator';
import { msg } from '../../common/validation/messages';

export class RevealDto {
  @IsOptional()
  @IsString({ message: msg.string })
  @MaxLength(128, { message: msg.maxLength(128) })
  passcode?: string;
}
