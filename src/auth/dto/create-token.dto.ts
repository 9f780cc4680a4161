import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { msg } from '../../common/validation/messages';
import { ABILITIES, Ability } from '../ability';
import type { TokenMode } from '../pat';

export class AbilitiesField {
  @IsDefined({ message: msg.required })
  @IsArray({ message: msg.array })
  @ArrayMinSize(1, { message: (a) => `The ${a.property} field must have at least 1 item.` })
  @ArrayMaxSize(ABILITIES.length, { message: msg.selected })
  @ArrayUnique({ message: (a) => `The ${a.property} field has a duplicate value.` })
  @IsIn(ABILITIES, { each: true, message: msg.selected })
  abilities!: Ability[];
}

export class CreateTokenDto extends AbilitiesField {
  @IsDefined({ message: msg.required })
  @IsString({ message: msg.string })
  @MaxLength(254, { message: msg.maxLength(254) })
  email!: string;

  @IsDefined({ message: msg.required })
  @IsString({ message: msg.string })
  @MaxLength(1024, { message: msg.maxLength(1024) })
  password!: string;

  /** What the token is for, e.g. "ci-runner". */
  @IsDefined({ message: msg.required })
  @IsString({ message: msg.string })
  @MinLength(1, { message: msg.required })
  @MaxLength(100, { message: msg.maxLength(100) })
  device_name!: string;

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
  @IsIn(['live', 'test'], { message: msg.selected })
  mode?: TokenMode;
}
