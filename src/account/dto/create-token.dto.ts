import { IsIn, IsUUID } from 'class-validator';
import { AbilitiesField } from '../../auth/abilities-field';
import type { Ability } from '../../auth/ability';
import { TOKEN_MODES, TokenMode } from '../../auth/pat';
import { IntegerBetween } from '../../common/validation/integer-field';
import { msg } from '../../common/validation/messages';
import { Optional } from '../../common/validation/optional';
import { RequiredName, RequiredText } from '../../common/validation/text-field';
import { GivenPassword } from './account-fields';

export class CreateTokenDto {
  @RequiredText(254)
  email!: string;

  @GivenPassword()
  password!: string;

  /** What the token is for, e.g. "ci-runner". */
  @RequiredName(100)
  device_name!: string;

  @AbilitiesField()
  abilities!: Ability[];

  /** Defaults to the user's personal team. */
  @Optional()
  @IsUUID('all', { message: msg.uuid })
  team_id?: string;

  @Optional()
  @IntegerBetween(1, 3650)
  expires_in_days?: number;

  @Optional()
  @IsIn(TOKEN_MODES, { message: msg.selected })
  mode?: TokenMode;
}
