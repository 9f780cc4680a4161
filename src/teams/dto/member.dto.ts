import { applyDecorators } from '@nestjs/common';
import { IsDefined, IsIn } from 'class-validator';
import { Role, ROLES } from '../../auth/role';
import { EmailField } from '../../common/validation/email-field';
import { msg } from '../../common/validation/messages';

const RoleField = () => applyDecorators(IsDefined({ message: msg.required }), IsIn(ROLES, { message: msg.selected }));

export class AddMemberDto {
  /** A registered user's email. */
  @EmailField()
  email!: string;

  @RoleField()
  role!: Role;
}

export class ChangeRoleDto {
  @RoleField()
  role!: Role;
}
