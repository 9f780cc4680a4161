import { randomBytes } from 'node:crypto';
import { DecryptionError, Keyring, SealedContent } from '../src/crypto/keyring';

const SECRET_ID = '0b9f1c6e-2f4a-4c1e-9d59-6f1f4e3a2b10';
const OTHER_SECRET_ID = '7d2e8a41-95c3-4b6f-8e07-1a9c3d5f7b24';
const masterKey = () => randomBytes(32);

/** `sealed` with the byte at `index` of its ciphertext (negative: from the end) flipped. */
function flipByte(sealed: SealedContent, index: number): SealedContent {
  const ciphertext = Buffer.from(sealed.ciphertext);
  const at = index < 0 ? ciphertext.length + index : index;
  ciphertext[at] ^= 0x01;
  return { ...sealed, ciphertext };
}

describe('Keyring', () => {
  describe('encrypt and decrypt', () => {
    it('gives back the content it sealed, and the sealed bytes do not contain it', () => {
      const keyring = new Keyring(masterKey());
      const content = Buffer.from('correct horse battery staple');
      const sealed = keyring.encrypt(SECRET_ID, content);
      expect(sealed.ciphertext.includes(content)).toBe(false);
      expect(keyring.decrypt(SECRET_ID, sealed)).toEqual(content);
      expect(keyring.decrypt(SECRET_ID, keyring.encrypt(SECRET_ID, Buffer.alloc(0)))).toEqual(Buffer.alloc(0));
    });

    it('uses a fresh 12-byte IV on every call, so the same content never seals the same way twice', () => {
      const keyring = new Keyring(masterKey());
      const content = Buffer.from('same content');
      const first = keyring.encrypt(SECRET_ID, content);
      const second = keyring.encrypt(SECRET_ID, content);
      expect(first.iv).toHaveLength(12);
      expect(first.iv.equals(second.iv)).toBe(false);
      expect(first.ciphertext.equals(second.ciphertext)).toBe(false);
    });
  });

  describe('decrypt', () => {
    const keyring = new Keyring(masterKey());
    const sealed = keyring.encrypt(SECRET_ID, Buffer.from('bound to its secret'));

    it('refuses content sealed for another secret id', () => {
      expect(() => keyring.decrypt(OTHER_SECRET_ID, sealed)).toThrow(DecryptionError);
    });

    it('refuses a tampered ciphertext, tag or IV with DecryptionError', () => {
      expect(() => keyring.decrypt(SECRET_ID, flipByte(sealed, 0))).toThrow(DecryptionError);
      expect(() => keyring.decrypt(SECRET_ID, flipByte(sealed, -1))).toThrow(DecryptionError);
      const iv = Buffer.from(sealed.iv);
      iv[0] ^= 0x01;
      expect(() => keyring.decrypt(SECRET_ID, { ...sealed, iv })).toThrow(DecryptionError);
    });

    it('refuses a key id it does not hold, rather than trying the active key', () => {
      expect(() => keyring.decrypt(SECRET_ID, { ...sealed, keyId: '0000000000000000' })).toThrow(DecryptionError);
      expect(() => new Keyring(masterKey()).decrypt(SECRET_ID, sealed)).toThrow(DecryptionError);
    });

    it('refuses a ciphertext shorter than the 16-byte tag, even a genuine tag cut short', () => {
      // Empty content seals to its tag alone; GCM would accept a 12-byte prefix of that tag.
      const empty = keyring.encrypt(SECRET_ID, Buffer.alloc(0));
      expect(empty.ciphertext).toHaveLength(16);
      expect(() => keyring.decrypt(SECRET_ID, { ...empty, ciphertext: empty.ciphertext.subarray(0, 12) })).toThrow(DecryptionError);
    });
  });

  describe('rotation', () => {
    it('still opens what an old key sealed while that key is kept, and seals with the new key', () => {
      const oldKey = masterKey();
      const newKey = masterKey();
      const older = new Keyring(oldKey).encrypt(SECRET_ID, Buffer.from('sealed before the rotation'));

      const rotated = new Keyring(newKey, [oldKey]);
      expect(rotated.decrypt(SECRET_ID, older).toString()).toBe('sealed before the rotation');
      const newer = rotated.encrypt(SECRET_ID, Buffer.from('sealed after the rotation'));
      expect(newer.keyId).not.toBe(older.keyId);
      expect(new Keyring(newKey).decrypt(SECRET_ID, newer).toString()).toBe('sealed after the rotation');
      expect(() => new Keyring(newKey).decrypt(SECRET_ID, older)).toThrow(DecryptionError);
    });
  });
});
