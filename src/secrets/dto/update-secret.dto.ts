import { IsOptional } from 'class-validator';
import { OptionalText } from '../../common/validation/text-field';
import type { ExpireMode } from '../secret.entity';
import { ContentRules, ExpireModeRules, ExpireValueRules } from './create-secret.dto';

/** Every field optional; a new `expire_value` (or mode) starts a new budget from now. */
export class UpdateSecretDto {
  @IsOptional()
  @ExpireModeRules()
  expire_mode?: ExpireMode;

  @IsOptional()
  @ExpireValueRules()
  expire_value?: number;

  @IsOptional()
  @ContentRules()
  content?: string;

  @OptionalText(100)
  label?: string | null;
}
