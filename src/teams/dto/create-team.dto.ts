import { RequiredName } from '../../common/validation/text-field';

export class CreateTeamDto {
  @RequiredName(100)
  name!: string;
}
