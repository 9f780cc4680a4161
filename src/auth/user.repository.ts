import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { emailKey } from '../common/validation/email-field';
import { User } from './user.entity';

@Injectable()
export class UserRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private manager(manager?: EntityManager): EntityManager {
    return manager ?? this.db.manager;
  }

  findByEmail(email: string): Promise<User | null> {
    return this.db.getRepository(User).findOneBy({ email: emailKey(email), kind: 'user' });
  }

  findById(id: string, manager?: EntityManager): Promise<User | null> {
    return this.manager(manager).getRepository(User).findOneBy({ id });
  }

  async insert(user: Pick<User, 'id' | 'kind' | 'email' | 'name' | 'passwordHash'>, manager?: EntityManager): Promise<User> {
    const repository = this.manager(manager).getRepository(User);
    await repository.insert(user);
    return repository.findOneByOrFail({ id: user.id });
  }

  /** Locks the user's row until the transaction ends; null when there is none (any more). Needs the transaction's manager. */
  lock(id: string, manager: EntityManager): Promise<User | null> {
    return manager.getRepository(User).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /**
   * FOR KEY SHARE on the user's row until the transaction ends: the user's deletion (FOR UPDATE)
   * waits for this transaction, or this waits for the deletion and finds the row gone (false).
   */
  async lockAgainstDeletion(id: string, manager: EntityManager): Promise<boolean> {
    const rows: unknown[] = await manager.query(`SELECT 1 FROM users WHERE id = $1 FOR KEY SHARE`, [id]);
    return rows.length > 0;
  }

  async update(id: string, changes: Partial<Pick<User, 'name' | 'passwordHash'>>, manager?: EntityManager): Promise<User> {
    const repository = this.manager(manager).getRepository(User);
    await repository.update({ id }, changes);
    return repository.findOneByOrFail({ id });
  }

  /** A person's memberships and tokens go with them (ON DELETE CASCADE). */
  async deletePerson(id: string, manager?: EntityManager): Promise<void> {
    await this.manager(manager).getRepository(User).delete({ id, kind: 'user' });
  }

  /** Its memberships and tokens go with it (ON DELETE CASCADE). */
  async deleteServiceAccount(id: string, manager?: EntityManager): Promise<boolean> {
    const result = await this.manager(manager).getRepository(User).delete({ id, kind: 'service_account' });
    return (result.affected ?? 0) > 0;
  }

  /** The service accounts among `ids`, with their memberships and tokens; people are left as they are. */
  async deleteServiceAccounts(ids: string[], manager: EntityManager): Promise<void> {
    await manager.getRepository(User).delete({ id: In(ids), kind: 'service_account' });
  }
}
