import { OptionalText } from '../../common/validation/text-field';

export class RevealDto {
  @OptionalText(128)
  passcode?: string;
}
