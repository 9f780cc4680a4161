import { ApiError, FieldErrors } from '../common/errors/api-error';
import { IV_BYTES } from '../crypto/keyring';
import type { SecretKind } from './secret.entity';

/** A ciphertext failed authentication (tampering), or this instance lacks its key. */
export const DECRYPTION_FAILED = () => new ApiError(500, 'The secret could not be decrypted.', { code: 'decryption_failed' });

export type SubmittedContent = { kind: 'text'; plaintext: Buffer } | { kind: 'encrypted'; ciphertext: Buffer; iv: Buffer };

// The smallest AES-GCM ciphertext is its 16-byte tag.
export const MIN_CIPHERTEXT_BYTES = 16;

/** Exactly one of `content` or `ciphertext` + `iv`, as API.md says. */
export function submittedContent(dto: { content?: string; ciphertext?: string; iv?: string }): SubmittedContent {
  const errors: FieldErrors = {};
  if (dto.content !== undefined && (dto.ciphertext !== undefined || dto.iv !== undefined)) {
    errors.content = ['The content field is prohibited when ciphertext is present.'];
  } else if (dto.content === undefined && dto.ciphertext === undefined) {
    errors.content = ['The content field is required when ciphertext is not present.'];
  } else if (dto.content === undefined) {
    if (dto.iv === undefined) errors.iv = ['The iv field is required when ciphertext is present.'];
    else if (Buffer.from(dto.iv, 'base64').length !== IV_BYTES) errors.iv = [`The iv field must be ${IV_BYTES} bytes.`];
    if (dto.ciphertext === undefined) errors.ciphertext = ['The ciphertext field is required when iv is present.'];
    else if (Buffer.from(dto.ciphertext, 'base64').length < MIN_CIPHERTEXT_BYTES) {
      errors.ciphertext = ['The ciphertext field must be at least 16 bytes.'];
    }
  }
  if (Object.keys(errors).length) throw ApiError.validation(errors);
  if (dto.content !== undefined) return { kind: 'text', plaintext: Buffer.from(dto.content, 'utf8') };
  return { kind: 'encrypted', ciphertext: Buffer.from(dto.ciphertext!, 'base64'), iv: Buffer.from(dto.iv!, 'base64') };
}

/** The fields that carry each kind's content; a file's bytes are never replaced. */
const CONTENT_FIELDS = { text: ['content'], encrypted: ['ciphertext', 'iv'], file: [] } as const satisfies Record<
  SecretKind,
  readonly string[]
>;

/**
 * The content a PUT puts in place of a `kind` secret's (undefined when it replaces none): `content`
 * for a text secret, `ciphertext` and `iv` together, checked as a create's, for an encrypted one.
 */
export function replacementContent(
  kind: SecretKind,
  dto: { content?: string; ciphertext?: string; iv?: string },
): SubmittedContent | undefined {
  const errors: FieldErrors = {};
  for (const field of ['content', 'ciphertext', 'iv'] as const) {
    if (dto[field] === undefined || (CONTENT_FIELDS[kind] as readonly string[]).includes(field)) continue;
    errors[field] = [`The ${field} field can only replace the content of ${field === 'content' ? 'text' : 'encrypted'} secrets.`];
  }
  if (Object.keys(errors).length) throw ApiError.validation(errors);
  if (dto.content === undefined && dto.ciphertext === undefined && dto.iv === undefined) return undefined;
  if (dto.ciphertext === undefined && dto.iv !== undefined) {
    throw ApiError.validation({ ciphertext: ['The ciphertext field is required when iv is present.'] });
  }
  return submittedContent(dto);
}

export function sizeOf(content: SubmittedContent): number {
  return content.kind === 'text' ? content.plaintext.length : content.ciphertext.length;
}
