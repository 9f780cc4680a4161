import { webcrypto } from 'node:crypto';
import { types } from 'node:util';

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

/** A key with what a sentence or a chat tool left after it (`KEY.`, `(KEY)`, `<KEY>`, the `>` as a URL parser writes it, `%3E`) cut off; anything else as it is. */
export const withoutTail = (fragment: string): string =>
  /^([A-Za-z0-9+/_-]{43}=?)(?:[.,;:!?)\]>'"]|%3E|%22)+$/i.exec(fragment)?.[1] ?? fragment;

/**
 * A secret's bytes: a string as UTF-8, a Uint8Array (a Buffer too) as it is. Anything else is a
 * TypeError that says so, rather than WebCrypto's complaint about its third argument.
 */
function plaintextBytes(plaintext: string | Uint8Array): Uint8Array {
  if (typeof plaintext === 'string') return Buffer.from(plaintext, 'utf8');
  if (types.isUint8Array(plaintext)) return plaintext;
  throw new TypeError(`The secret must be a string (sent as UTF-8) or a Uint8Array, not ${described(plaintext)}.`);
}

/** What was given instead: `a number`, `undefined`, `an object (ArrayBuffer)`. */
function described(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  return `a ${typeof value}`;
}

export async function seal(plaintext: string | Uint8Array): Promise<Sealed> {
  const bytes = plaintextBytes(plaintext);
  const rawKey = newKey();
  const iv = webcrypto.getRandomValues(new Uint8Array(12));
  const key = await subtle.importKey('raw', rawKey, 'AES-GCM', false, ['encrypt']);
  const ciphertext = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv }, key, bytes));
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
