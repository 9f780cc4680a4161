import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { msg } from '../../common/validation/messages';
import type { ExpireMode } from '../secret.entity';
import { ExpireModeRules, ExpireValueRules } from './create-secret.dto';

/** Every field optional; a new `expire_value` (or mode) starts a new budget from now. */
export class UpdateSecretDto {
  @IsOptional()
  @ExpireModeRules()
  expire_mode?: ExpireMode;

  @IsOptional()
  @ExpireValueRules()
  expire_value?: number;

  @IsOptional()
  @IsString({ message: msg.string })
  @MinLength(1, { message: msg.required })
  content?: string;

  @IsOptional()
  @IsString({ message: msg.string })
  @MaxLength(100, { message: msg.maxLength(100) })
  label?: string | null;
}
