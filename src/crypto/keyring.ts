import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

export interface SealedContent {
  keyId: string;
  iv: Buffer;
  /** AES-256-GCM ciphertext followed by its 16-byte auth tag. */
  ciphertext: Buffer;
}

export class DecryptionError extends Error {}

/** AES-GCM's 96-bit nonce, the length GCM is built for: the keyring's, and a browser's sealing a secret (WebCrypto). */
export const IV_BYTES = 12;
const TAG_BYTES = 16;

function keyId(master: Buffer): string {
  return createHash('sha256').update(master).digest('hex').slice(0, 16);
}

/** A purpose-bound key, so the master key itself never touches content. */
function purposeKey(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), purpose, 32));
}

/**
 * AES-256-GCM with a fresh 96-bit IV per value. What the value belongs to (a secret's id, a
 * team's webhook secret) is bound in as associated data, so a ciphertext copied onto another
 * row fails to decrypt. Old keys stay for
 * decryption only, so `ENCRYPTION_KEY` can rotate without downtime.
 */
export class Keyring {
  private readonly keys = new Map<string, Buffer>();
  private readonly fileKeys = new Map<string, Buffer>();
  private readonly digestKeys = new Map<string, Buffer>();
  private readonly activeId: string;
  /** The ids of every key held, active and old: a secret sealed with another cannot be opened here. */
  readonly keyIds: string[];

  constructor(active: Buffer, old: Buffer[] = []) {
    for (const master of [active, ...old]) {
      this.keys.set(keyId(master), purposeKey(master, 'oncelink secret content v1'));
      this.fileKeys.set(keyId(master), purposeKey(master, 'oncelink file stream v1'));
      this.digestKeys.set(keyId(master), purposeKey(master, 'oncelink request digest v1'));
    }
    this.activeId = keyId(active);
    this.keyIds = [...this.keys.keys()];
  }

  /** The base key `server` files are sealed under now (OLF1 derives a key per file from it). */
  activeFileKey(): { keyId: string; key: Buffer } {
    return { keyId: this.activeId, key: this.fileKeys.get(this.activeId)! };
  }

  /** The base key of a file sealed under `keyId`, if this instance holds it. */
  fileKey(keyId: string): Buffer | undefined {
    return this.fileKeys.get(keyId);
  }

  /** The id of the key new values are sealed (and digested) under. */
  get activeKeyId(): string {
    return this.activeId;
  }

  /**
   * HMAC-SHA-256 of `data` under the key `keyId` (undefined when this instance lacks it): tells
   * whether two values are the same without keeping either, and cannot be tested against guesses
   * without the master key.
   */
  digest(keyId: string, data: string | Buffer): Buffer | undefined {
    const key = this.digestKeys.get(keyId);
    return key && createHmac('sha256', key).update(data).digest();
  }

  encrypt(boundTo: string, plaintext: Buffer): SealedContent {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeId)!, iv);
    cipher.setAAD(Buffer.from(boundTo));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { keyId: this.activeId, iv, ciphertext };
  }

  decrypt(boundTo: string, sealed: SealedContent): Buffer {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new DecryptionError(`No key ${sealed.keyId} in the keyring`);
    if (sealed.ciphertext.length < TAG_BYTES) throw new DecryptionError('Ciphertext too short');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv);
      decipher.setAAD(Buffer.from(boundTo));
      decipher.setAuthTag(sealed.ciphertext.subarray(-TAG_BYTES));
      return Buffer.concat([decipher.update(sealed.ciphertext.subarray(0, -TAG_BYTES)), decipher.final()]);
    } catch {
      throw new DecryptionError('Ciphertext failed authentication');
    }
  }
}
