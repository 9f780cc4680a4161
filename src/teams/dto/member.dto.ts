import { IsDefined, IsEmail, IsIn, IsString, MaxLength } from 'class-validator';
import { msg } from '../../common/validation/messages';
import { Role, ROLES } from '../role';

export class AddMemberDto {
  /** A registered user's email. */
  @IsDefined({ message: msg.required })
  @IsString({ message: msg.string })
  @MaxLength(254, { message: msg.maxLength(254) })
  @IsEmail({}, { message: msg.email })
  email!: string;

  @IsDefined({ message: msg.required })
  @IsIn(ROLES, { message: msg.selected })
  role!: Role;
}

export class ChangeRoleDto {
  @IsDefined({ message: msg.required })
  @IsIn(ROLES, { message: msg.selected })
  role!: Role;
}
