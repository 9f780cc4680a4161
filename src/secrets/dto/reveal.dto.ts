import { givenForm } from '../../auth/password-hasher';
import { OptionalText } from '../../common/validation/text-field';
import { MAX_PASSCODE_LENGTH } from '../passcode';

export class RevealDto {
  /** The secret's passcode, in any Unicode form: up to 128 characters, counted in NFC or as typed, whichever is fewer. */
  @OptionalText(MAX_PASSCODE_LENGTH, 0, givenForm)
  passcode?: string;
}
