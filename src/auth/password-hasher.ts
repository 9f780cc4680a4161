import { Injectable, OnModuleInit } from '@nestjs/common';
import * as argon2 from 'argon2';
import { Semaphore } from '../common/concurrency/semaphore';
import { ApiError } from '../common/errors/api-error';
import { codePoints } from '../common/validation/text-field';

/**
 * What a password or passcode is hashed as: its Unicode NFC form, so the same characters open it
 * whichever form a keyboard typed them in. Its length limits count this form too.
 */
export const hashedForm = (text: string): string => text.normalize('NFC');

/**
 * What a given password or passcode guess is measured by: the shorter of the text as typed and
 * its hashed form. A few characters grow in NFC (Devanagari क़ is two code points), and a hash made
 * before lengths were counted in NFC, or before text was hashed in it, may hold either.
 */
export const givenForm = (text: string): string => {
  const hashed = hashedForm(text);
  return codePoints(hashed) <= codePoints(text) ? hashed : text;
};

/**
 * argon2id for account passwords and secret passcodes, with bounded concurrency (64 MiB a hash).
 * Passcodes at creation and at reveal each have their own gate, so neither a flood of logins or
 * registrations (which the per-address and per-account login budgets already refuse early) nor
 * one of passcode creates (one team's token budget allows hundreds a minute) can starve the others.
 *
 * What is hashed is the text in Unicode's NFC, as NIST SP 800-63B asks: a passcode is typed by
 * someone else on another device (macOS keyboards write `é` as `e` and a combining accent), and
 * the same characters must open it. A hash made before this, of other than NFC, is still
 * checked against the text as typed.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  // Together no more than libuv's four threads, where argon2 runs: no gate's hash queues behind
  // another's in the thread pool either.
  private readonly accounts = new Semaphore(2, 256);
  private readonly creates = new Semaphore(1, 64);
  private readonly reveals = new Semaphore(1, 64);
  private dummyHash = '';

  async onModuleInit(): Promise<void> {
    this.dummyHash = await argon2.hash('oncelink-timing-equaliser', { type: argon2.argon2id });
  }

  /** A password, at registration or when changed; through the logins' gate. */
  hash(plain: string, gone?: () => boolean): Promise<string> {
    return this.hashThrough(this.accounts, plain, gone);
  }

  /** A passcode at creation, through its own gate. */
  hashPasscode(plain: string, gone?: () => boolean): Promise<string> {
    return this.hashThrough(this.creates, plain, gone);
  }

  /** A login. With no stored hash, still does the full work, so the answer takes the same time either way. */
  verify(hash: string | null, plain: string, gone?: () => boolean): Promise<boolean> {
    return this.accounts.run(() => this.check(hash, plain), gone);
  }

  /** A passcode at reveal, through its own gate. */
  verifyPasscode(hash: string | null, plain: string, gone?: () => boolean): Promise<boolean> {
    return this.reveals.run(() => this.check(hash, plain), gone);
  }

  /** A hash for something to be written: not for a client that left while it waited or while it was made. */
  private async hashThrough(gate: Semaphore, plain: string, gone: () => boolean = () => false): Promise<string> {
    const hashed = await gate.run(() => argon2.hash(hashedForm(plain), { type: argon2.argon2id }), gone);
    if (gone()) throw ApiError.clientGone();
    return hashed;
  }

  private async check(hash: string | null, plain: string): Promise<boolean> {
    const normal = hashedForm(plain);
    const matches =
      (await argon2.verify(hash ?? this.dummyHash, normal)) || (normal !== plain && (await argon2.verify(hash ?? this.dummyHash, plain)));
    return hash !== null && matches;
  }
}
