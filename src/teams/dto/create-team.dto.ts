import { RequiredName } from '../../common/validation/text-field';

export class CreateTeamDto {
  @RequiredName(100)
  name!: string;
}

/** A new name, under the same rules as a new team's. */
export class UpdateTeamDto extends CreateTeamDto {}
