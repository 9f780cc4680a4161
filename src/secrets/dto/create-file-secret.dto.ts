import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { msg } from '../../common/validation/messages';
import { Optional } from '../../common/validation/optional';
import { FILE_ENCRYPTIONS, FileEncryption } from '../secret.entity';
import { CreateSecretDto } from './create-secret.dto';

/** The form fields of a `multipart/form-data` create, before its one `file` part. */
export class CreateFileSecretDto extends OmitType(CreateSecretDto, ['content', 'ciphertext', 'iv'] as const) {
  /** `server` (default): the server encrypts the file; `client`: the part is already OLF1 ciphertext. */
  // Decorated rather than left to the plugin, whose fields the schema lists after `file`: a form sent in that order is a 422.
  @ApiPropertyOptional()
  @Optional()
  @IsIn(FILE_ENCRYPTIONS, { message: msg.selected })
  encryption?: FileEncryption;
}

/** The whole form as OpenAPI shows it: the fields, then the file (read as a stream, never validated as a field). */
export class CreateFileSecretForm extends CreateFileSecretDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description: 'The file, as the last part: a field after it is refused (422). In client mode, its OLF1 ciphertext.',
  })
  file!: unknown;
}
