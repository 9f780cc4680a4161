import { AbilitiesField } from '../../auth/abilities-field';
import type { Ability } from '../../auth/ability';
import { IntegerBetween } from '../../common/validation/integer-field';
import { Optional } from '../../common/validation/optional';
import { RequiredName } from '../../common/validation/text-field';

export class CreateServiceAccountDto {
  /** What the account is for, e.g. "terraform". */
  @RequiredName(100)
  name!: string;

  @AbilitiesField()
  abilities!: Ability[];

  /** Days until its first token expires: never by default, but never after the calling token does (see `token_expires_at`). */
  @Optional()
  @IntegerBetween(1, 3650)
  expires_in_days?: number;
}
