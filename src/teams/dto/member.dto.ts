import { IsDefined, IsIn } from 'class-validator';
import { EmailField } from '../../common/validation/email-field';
import { msg } from '../../common/validation/messages';
import { Role, ROLES } from '../role';

export class AddMemberDto {
  /** A registered user's email. */
  @EmailField()
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
