import { ApiExtraModels, ApiProperty } from '@nestjs/swagger';
import { nullableModel } from '../common/http/api-responses';
import { EXPIRE_MODES, ExpireMode, SECRET_KINDS, SecretKind } from './secret.entity';
import { FileInfoResponse } from './secret.response';

/** What a link leads to, before anything is spent. */
@ApiExtraModels(FileInfoResponse)
export class LinkResponse {
  @ApiProperty({ enum: SECRET_KINDS }) kind!: SecretKind;
  @ApiProperty({ enum: EXPIRE_MODES }) expire_mode!: ExpireMode;
  @ApiProperty({ type: 'integer', nullable: true }) views_remaining!: number | null;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
  @ApiProperty() requires_passcode!: boolean;
  @ApiProperty(nullableModel(FileInfoResponse, 'For file secrets; null otherwise')) file!: FileInfoResponse | null;
}

/** A `text` secret, decrypted by the server. */
export class RevealedTextResponse {
  @ApiProperty({ enum: ['text'] }) kind!: 'text';
  @ApiProperty() content!: string;
}

/** An `encrypted` secret: the client's own ciphertext, for the key in the link's fragment. */
export class RevealedCiphertextResponse {
  @ApiProperty({ enum: ['encrypted'] }) kind!: 'encrypted';
  @ApiProperty({ format: 'byte', description: 'base64 AES-256-GCM ciphertext with its tag' }) ciphertext!: string;
  @ApiProperty({ format: 'byte', description: 'base64 of the 12-byte IV' }) iv!: string;
}

export type RevealedContent = RevealedTextResponse | RevealedCiphertextResponse;
