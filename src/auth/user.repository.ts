import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { User } from './user.entity';

@Injectable()
export class UserRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  findByEmail(email: string): Promise<User | null> {
    return this.db.getRepository(User).findOneBy({ email: email.toLowerCase(), kind: 'user' });
  }

  findById(id: string): Promise<User | null> {
    return this.db.getRepository(User).findOneBy({ id });
  }

  async insert(user: Pick<User, 'id' | 'kind' | 'email' | 'name' | 'passwordHash'>, manager?: EntityManager): Promise<User> {
    const repository = (manager ?? this.db.manager).getRepository(User);
    await repository.insert(user);
    return repository.findOneByOrFail({ id: user.id });
  }
}
