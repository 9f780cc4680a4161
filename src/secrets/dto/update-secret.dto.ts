import { Optional } from '../../common/validation/optional';
import { NullableText } from '../../common/validation/text-field';
import type { ExpireMode } from '../secret.entity';
import { ContentRules, ExpireModeRules, ExpireValueRules } from './create-secret.dto';

/** Every field optional; a new `expire_value` (or mode) starts a new budget from now. */
export class UpdateSecretDto {
  @Optional()
  @ExpireModeRules()
  expire_mode?: ExpireMode;

  @Optional()
  @ExpireValueRules()
  expire_value?: number;

  @Optional()
  @ContentRules()
  content?: string;

  /** `null` clears the label. */
  @NullableText(100)
  label?: string | null;
}
