import { GivenPassword } from './account-fields';

export class DeleteAccountDto {
  /** The account's password, confirming the deletion. */
  @GivenPassword()
  password!: string;
}
