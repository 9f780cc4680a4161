import { hashedForm } from '../../auth/password-hasher';
import { OptionalText } from '../../common/validation/text-field';
import { MAX_PASSCODE_LENGTH } from '../passcode';

export class RevealDto {
  @OptionalText(MAX_PASSCODE_LENGTH, 0, hashedForm)
  passcode?: string;
}
