import { AbilitiesField } from '../../auth/abilities-field';
import type { Ability } from '../../auth/ability';
import { RequiredName } from '../../common/validation/text-field';

export class CreateServiceAccountDto {
  /** What the account is for, e.g. "terraform". */
  @RequiredName(100)
  name!: string;

  @AbilitiesField()
  abilities!: Ability[];
}
