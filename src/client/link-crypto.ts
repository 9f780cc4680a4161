import { webcrypto } from 'node:crypto';

/**
 * The zero-knowledge format shared by the CLI, the SDK and the share page: AES-256-GCM through
 * WebCrypto (ciphertext with its 16-byte tag appended), a random 12-byte IV, and the 32-byte key
 * travelling only in the link's fragment as base64url. A file is OLF1 (src/crypto/file-stream.ts)
 * with empty associated data, its 32-byte base key carried in the fragment the same way.
 */
export interface Sealed {
  ciphertext: string;
  iv: string;
  key: string;
}

const { subtle } = webcrypto;

/** What AES-GCM adds to a text: its tag. The server counts an `encrypted` secret's ciphertext. */
export const GCM_TAG_BYTES = 16;

/** A fresh 32-byte key: for a text's AES-GCM, or an OLF1 file's base key. */
export const newKey = (): Uint8Array => webcrypto.getRandomValues(new Uint8Array(32));

/** A key as it is written in a link's fragment, and back. */
export const encodeKey = (key: Uint8Array): string => Buffer.from(key).toString('base64url');
export const decodeKey = (fragment: string): Buffer => Buffer.from(fragment, 'base64url');
/**
 * Whether a fragment can be a key at all: 32 bytes in base64url as `encodeKey` writes them, or in
 * standard base64 (padded or not), which `decodeKey` and the share page read as well.
 */
export const isKey = (fragment: string): boolean => /^[A-Za-z0-9+/_-]{43}=?$/.test(fragment);

export async function seal(plaintext: Uint8Array): Promise<Sealed> {
  const rawKey = newKey();
  const iv = webcrypto.getRandomValues(new Uint8Array(12));
  const key = await subtle.importKey('raw', rawKey, 'AES-GCM', false, ['encrypt']);
  const ciphertext = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv }, key, plaintext));
  return {
    ciphertext: Buffer.from(ciphertext).toString('base64'),
    iv: Buffer.from(iv).toString('base64'),
    key: encodeKey(rawKey),
  };
}

export async function open(sealed: Sealed): Promise<Uint8Array> {
  const key = await subtle.importKey('raw', decodeKey(sealed.key), 'AES-GCM', false, ['decrypt']);
  const iv = Buffer.from(sealed.iv, 'base64');
  return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv }, key, Buffer.from(sealed.ciphertext, 'base64')));
}
