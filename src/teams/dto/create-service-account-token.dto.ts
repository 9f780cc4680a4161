import { AbilitiesField } from '../../auth/abilities-field';
import type { Ability } from '../../auth/ability';
import { IntegerBetween } from '../../common/validation/integer-field';
import { Optional } from '../../common/validation/optional';
import { RequiredName } from '../../common/validation/text-field';

export class CreateServiceAccountTokenDto {
  /** What this token is for, e.g. "ci-runner, rotated 2026-12"; the account's name by default. */
  @Optional()
  @RequiredName(100)
  name?: string;

  @AbilitiesField()
  abilities!: Ability[];

  @Optional()
  @IntegerBetween(1, 3650)
  expires_in_days?: number;
}
