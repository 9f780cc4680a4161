import { OmitType } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { msg } from '../../common/validation/messages';
import { Optional } from '../../common/validation/optional';
import { FILE_ENCRYPTIONS, FileEncryption } from '../secret.entity';
import { CreateSecretDto } from './create-secret.dto';

/** The form fields of a `multipart/form-data` create, before its one `file` part. */
export class CreateFileSecretDto extends OmitType(CreateSecretDto, ['content', 'ciphertext', 'iv'] as const) {
  /** `server` (default): the server encrypts the file; `client`: the part is already OLF1 ciphertext. */
  @Optional()
  @IsIn(FILE_ENCRYPTIONS, { message: msg.selected })
  encryption?: FileEncryption;
}
