import { ValidateIf } from 'class-validator';
import { Optional } from '../../common/validation/optional';
import { GivenPassword, NewPassword, PersonName } from './account-fields';

export class UpdateAccountDto {
  @Optional()
  @PersonName()
  name?: string;

  /** The new password: at least 12 characters. */
  @Optional()
  @NewPassword()
  password?: string;

  /** Required with `password`, and refused without it (422): it confirms a new password only. */
  @ValidateIf((dto: UpdateAccountDto) => dto.password !== undefined || dto.current_password !== undefined)
  @GivenPassword()
  current_password?: string;
}
