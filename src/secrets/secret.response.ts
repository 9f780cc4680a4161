import { ApiExtraModels, ApiProperty } from '@nestjs/swagger';
import { nullableModel } from '../common/http/api-responses';
import { EXPIRE_MODES, ExpireMode, FILE_ENCRYPTIONS, FileEncryption, SECRET_KINDS, SecretKind } from './secret.entity';
import { SECRET_STATUSES, SecretStatus } from './secret-status';

const nullable = { nullable: true } as const;

/** A file secret's file, as far as the server knows it. */
export class FileInfoResponse {
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'null in client mode (the name travels inside the ciphertext), and in a link’s lookup while a passcode or a country rule guards the link',
  })
  name!: string | null;
  @ApiProperty({ type: 'integer', format: 'int64', description: 'Bytes: the file in server mode, the stored ciphertext in client mode' })
  size!: number;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'null in client mode, and in a link’s lookup while a passcode or a country rule guards the link',
  })
  content_type!: string | null;
  @ApiProperty({ enum: FILE_ENCRYPTIONS }) encryption!: FileEncryption;
}

/** The API's Secret: metadata only, never content. */
@ApiExtraModels(FileInfoResponse)
export class SecretResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: String, ...nullable, description: 'The link token: in the create response only' }) token!: string | null;
  @ApiProperty({ type: String, ...nullable, description: '{PUBLIC_URL}/s/{token}: in the create response only' }) url!: string | null;
  @ApiProperty({ description: 'The link token’s first 4 characters, to recognise it by' }) token_prefix!: string;
  @ApiProperty({ enum: SECRET_KINDS }) kind!: SecretKind;
  @ApiProperty({ type: String, ...nullable }) label!: string | null;
  @ApiProperty({ enum: EXPIRE_MODES }) expire_mode!: ExpireMode;
  @ApiProperty({ type: 'integer' }) expire_value!: number;
  @ApiProperty({ type: 'integer', ...nullable, description: 'null for minutes secrets' }) views_remaining!: number | null;
  @ApiProperty({ type: 'integer' }) views_count!: number;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
  @ApiProperty() has_passcode!: boolean;
  @ApiProperty({ type: String, isArray: true, ...nullable }) allowed_countries!: string[] | null;
  @ApiProperty({ type: String, ...nullable }) webhook_url!: string | null;
  @ApiProperty({ enum: SECRET_STATUSES }) status!: SecretStatus;
  @ApiProperty({ type: String, format: 'uuid', ...nullable, description: 'null for anonymous secrets' }) created_by!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
  @ApiProperty({ type: String, format: 'date-time', ...nullable }) last_viewed_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', ...nullable, description: 'When it stopped being active' }) destroyed_at!:
    string | null;
  @ApiProperty(nullableModel(FileInfoResponse, 'For file secrets; null otherwise')) file!: FileInfoResponse | null;
}
