import { createCipheriv, randomBytes } from 'node:crypto';
import supertest from 'supertest';
import { bearer } from './factories';

export interface CreatedSecret {
  id: string;
  token: string;
  url: string;
  [field: string]: unknown;
}

/** Creates a secret over HTTP (anonymously when no PAT is given) and returns the API's Secret. */
export async function newSecret(baseUrl: string, body: Record<string, unknown> = {}, pat?: string): Promise<CreatedSecret> {
  const request = supertest(baseUrl).post('/api/v1/secrets');
  if (pat) request.set(bearer(pat));
  const res = await request.send({ content: 'correct horse battery staple', expire_mode: 'views', expire_value: 1, ...body });
  if (res.status !== 201) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.data;
}

export function reveal(baseUrl: string, token: string, body: Record<string, unknown> = {}) {
  return supertest(baseUrl).post(`/api/v1/links/${token}/reveal`).send(body);
}

/** What a zero-knowledge client does: AES-256-GCM with a key that never leaves it (a new one unless given). */
export function clientEncrypt(plaintext: string, key = randomBytes(32)) {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { key, ciphertext: ciphertext.toString('base64'), iv: iv.toString('base64') };
}
