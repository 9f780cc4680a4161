import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { AbilitiesField } from '../../auth/abilities-field';
import type { Ability } from '../../auth/ability';
import { TOKEN_MODES, TokenMode } from '../../auth/pat';
import { msg } from '../../common/validation/messages';
import { RequiredText } from '../../common/validation/text-field';

export class CreateTokenDto {
  @RequiredText(254)
  email!: string;

  @RequiredText(1024)
  password!: string;

  /** What the token is for, e.g. "ci-runner". */
  @RequiredText(100)
  device_name!: string;

  @AbilitiesField()
  abilities!: Ability[];

  /** Defaults to the user's personal team. */
  @IsOptional()
  @IsUUID('all', { message: msg.uuid })
  team_id?: string;

  @IsOptional()
  @IsInt({ message: msg.integer })
  @Min(1, { message: msg.min(1) })
  @Max(3650, { message: msg.max(3650) })
  expires_in_days?: number;

  @IsOptional()
  @IsIn(TOKEN_MODES, { message: msg.selected })
  mode?: TokenMode;
}
