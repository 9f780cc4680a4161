import { randomBytes } from 'node:crypto';
import supertest from 'supertest';
import type { Ability } from '../../src/auth/ability';
import { ABILITIES } from '../../src/auth/ability';

export interface TestUser {
  id: string;
  email: string;
  password: string;
  name: string;
  teamId: string;
}

export async function newUser(baseUrl: string, overrides: Partial<Pick<TestUser, 'email' | 'name'>> = {}): Promise<TestUser> {
  const email = overrides.email ?? `user-${randomBytes(5).toString('hex')}@example.test`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const name = overrides.name ?? 'Test User';
  const res = await supertest(baseUrl).post('/api/v1/auth/register').send({ email, password, name }).expect(201);
  return { id: res.body.data.id, email, password, name, teamId: res.body.data.team.id };
}

export async function newToken(
  baseUrl: string,
  user: TestUser,
  options: { abilities?: Ability[]; team_id?: string; expires_in_days?: number; mode?: 'live' | 'test' } = {},
): Promise<string> {
  const res = await supertest(baseUrl)
    .post('/api/v1/auth/token')
    .send({ email: user.email, password: user.password, device_name: 'test', ...options, abilities: options.abilities ?? [...ABILITIES] })
    .expect(201);
  return res.body.data.token;
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** A newly registered user, owner of their personal team, with a token for it. */
export async function newTeam(
  baseUrl: string,
  overrides: Partial<Pick<TestUser, 'email' | 'name'>> = {},
): Promise<{ owner: TestUser; pat: string }> {
  const owner = await newUser(baseUrl, overrides);
  return { owner, pat: await newToken(baseUrl, owner) };
}
