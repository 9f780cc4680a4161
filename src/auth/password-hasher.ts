import { Injectable, OnModuleInit } from '@nestjs/common';
import * as argon2 from 'argon2';
import { Semaphore } from '../common/concurrency/semaphore';

/** argon2id for account passwords and secret passcodes, with bounded concurrency. */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private readonly gate = new Semaphore(4, 256);
  private dummyHash = '';

  async onModuleInit(): Promise<void> {
    this.dummyHash = await argon2.hash('oncelink-timing-equaliser', { type: argon2.argon2id });
  }

  hash(plain: string): Promise<string> {
    return this.gate.run(() => argon2.hash(plain, { type: argon2.argon2id }));
  }

  /** With no stored hash, still does the full work, so the answer takes the same time either way. */
  verify(hash: string | null, plain: string): Promise<boolean> {
    return this.gate.run(async () => {
      const matches = await argon2.verify(hash ?? this.dummyHash, plain);
      return hash !== null && matches;
    });
  }
}
