import type { FileMetadata } from '../../crypto/file-stream';
import { DecryptionError, IV_BYTES, Keyring } from '../../crypto/keyring';
import { Secret } from '../secret.entity';

/** What a file's sealed name and type are bound to, so they open only on their own secret's row, and never as its content. */
const fileInfoOf = (id: string) => `${id} file info`;

/**
 * A `server` file's name and type, sealed as its content is (the name is often the secret part,
 * and every backup of the database holds the row): IV, then ciphertext and tag, under the
 * keyring's active key, the one its file is sealed under (the row's `key_id`).
 */
export function sealFileInfo(keyring: Keyring, id: string, info: FileMetadata): Buffer {
  const sealed = keyring.encrypt(fileInfoOf(id), Buffer.from(JSON.stringify(info)));
  return Buffer.concat([sealed.iv, sealed.ciphertext]);
}

/**
 * The secret with its file's name and type in clear, to be shown. A row written before they were
 * sealed has them in clear already; one whose key this instance lacks (or whose seal fails) shows
 * none, as its content cannot be opened here either.
 */
export function withFileInfoOpened(keyring: Keyring, secret: Secret): Secret {
  if (!secret.sealedFileInfo || !secret.keyId) return secret;
  const sealed = {
    keyId: secret.keyId,
    iv: secret.sealedFileInfo.subarray(0, IV_BYTES),
    ciphertext: secret.sealedFileInfo.subarray(IV_BYTES),
  };
  let info: FileMetadata = { name: null, type: null };
  try {
    info = JSON.parse(keyring.decrypt(fileInfoOf(secret.id), sealed).toString()) as FileMetadata;
  } catch (error) {
    if (!(error instanceof DecryptionError)) throw error;
  }
  return Object.assign(new Secret(), secret, { fileName: info.name, fileContentType: info.type });
}
