import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { ApiError } from '../common/errors/api-error';
import { emailKey } from '../common/validation/email-field';
import { PasswordHasher } from './password-hasher';
import { User } from './user.entity';
import { UserRepository } from './user.repository';

/** People and service accounts: the one owner of the users table (which teams reads joined to its members, in one statement). */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  findById(id: string, manager?: EntityManager): Promise<User | null> {
    return this.users.findById(id, manager);
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findByEmail(email);
  }

  /** The password is hashed before the transaction, so no connection waits on argon2; not for a client that has `gone`. */
  async hashPassword(password: string, gone?: () => boolean): Promise<string> {
    return this.hasher.hash(password, gone);
  }

  createPerson(email: string, name: string, passwordHash: string, manager?: EntityManager): Promise<User> {
    return this.users.insert({ id: randomUUID(), kind: 'user', email: emailKey(email), name, passwordHash }, manager);
  }

  /** The user these credentials name, or a 401; argon2 runs either way, so timing does not reveal accounts. */
  async verifyCredentials(email: string, password: string, gone?: () => boolean): Promise<User> {
    const user = await this.users.findByEmail(email);
    const valid = await this.hasher.verify(user?.passwordHash ?? null, password, gone);
    if (!user || !valid) throw new ApiError(401, 'These credentials do not match our records.');
    return user;
  }

  /** Whether `password` is the person's: a password confirming a change to their own account. */
  checkPassword(user: User, password: string, gone?: () => boolean): Promise<boolean> {
    return this.hasher.verify(user.passwordHash, password, gone);
  }

  lock(id: string, manager: EntityManager): Promise<User | null> {
    return this.users.lock(id, manager);
  }

  /** See UserRepository.lockAgainstDeletion: false when the user is gone. */
  lockAgainstDeletion(id: string, manager: EntityManager): Promise<boolean> {
    return this.users.lockAgainstDeletion(id, manager);
  }

  update(id: string, changes: Partial<Pick<User, 'name' | 'passwordHash'>>, manager?: EntityManager): Promise<User> {
    return this.users.update(id, changes, manager);
  }

  deletePerson(id: string, manager?: EntityManager): Promise<void> {
    return this.users.deletePerson(id, manager);
  }

  /** A non-human member: no email, no password; it authenticates only with its tokens. */
  createServiceAccount(name: string, manager?: EntityManager): Promise<User> {
    return this.users.insert({ id: randomUUID(), kind: 'service_account', email: null, name, passwordHash: null }, manager);
  }

  deleteServiceAccount(id: string, manager?: EntityManager): Promise<boolean> {
    return this.users.deleteServiceAccount(id, manager);
  }

  /** The service accounts among `ids` (a deleted team's members: each account belongs to one team). */
  async deleteServiceAccounts(ids: string[], manager: EntityManager): Promise<void> {
    if (ids.length) await this.users.deleteServiceAccounts(ids, manager);
  }
}
