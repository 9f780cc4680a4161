import { RequiredText } from '../../common/validation/text-field';

export class CreateTeamDto {
  @RequiredText(100)
  name!: string;
}
