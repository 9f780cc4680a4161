import { webcrypto } from 'node:crypto';

/**
 * The zero-knowledge format shared by the CLI, the SDK and the share page: AES-256-GCM through
 * WebCrypto (ciphertext with its 16-byte tag appended), a random 12-byte IV, and the 32-byte key
 * travelling only in the link's fragment as base64url.
 */
export interface Sealed {
  ciphertext: string;
  iv: string;
  key: string;
}

const { subtle } = webcrypto;

export async function seal(plaintext: Uint8Array): Promise<Sealed> {
  const rawKey = webcrypto.getRandomValues(new Uint8Array(32));
  const iv = webcrypto.getRandomValues(new Uint8Array(12));
  const key = await subtle.importKey('raw', rawKey, 'AES-GCM', false, ['encrypt']);
  const ciphertext = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv }, key, plaintext));
  return {
    ciphertext: Buffer.from(ciphertext).toString('base64'),
    iv: Buffer.from(iv).toString('base64'),
    key: Buffer.from(rawKey).toString('base64url'),
  };
}

export async function open(sealed: Sealed): Promise<Uint8Array> {
  const key = await subtle.importKey('raw', Buffer.from(sealed.key, 'base64url'), 'AES-GCM', false, ['decrypt']);
  const iv = Buffer.from(sealed.iv, 'base64');
  return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv }, key, Buffer.from(sealed.ciphertext, 'base64')));
}
