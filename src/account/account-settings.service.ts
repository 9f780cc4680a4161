import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { TokenAuth } from '../auth/auth-context';
import type { User } from '../auth/user.entity';
import { UsersService } from '../auth/users.service';
import { ApiError } from '../common/errors/api-error';
import type { HeaderSink } from '../common/http/direct-routes';
import type { ClientInfo } from '../geo/client.decorator';
import { presentAccountUser } from './account.presenter';
import type { AccountUserResponse } from './account.response';
import { UpdateAccountDto } from './dto/update-account.dto';
import { incorrectPassword, PasswordConfirmation } from './password-confirmation';

/** The caller's own name and password (PATCH /account); the email is not changed here. */
@Injectable()
export class AccountSettingsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly users: UsersService,
    private readonly confirmation: PasswordConfirmation,
    private readonly audit: AuditService,
  ) {}

  async update(auth: TokenAuth, dto: UpdateAccountDto, client: ClientInfo, reply: HeaderSink): Promise<AccountUserResponse> {
    // It would be checked against nothing: a field that does nothing must not look accepted.
    if (dto.current_password !== undefined && dto.password === undefined) {
      throw ApiError.field('current_password', 'The current password is only needed, and checked, with a new password.');
    }
    // A service account has no password to change, nor one to confirm a change with.
    if (dto.password !== undefined && auth.userKind === 'service_account') {
      throw ApiError.field('password', 'A service account has no password: it signs in with its tokens only.');
    }
    const user = await this.users.findById(auth.userId);
    if (!user) throw ApiError.unauthenticated(true);
    const passwordHash = dto.password === undefined ? undefined : await this.newPasswordHash(user, dto, client, reply);

    return this.db.transaction(async (manager) => {
      const locked = await this.users.lock(auth.userId, manager);
      if (!locked) throw ApiError.unauthenticated(true);
      // Changed by another request since it was confirmed: the current password is no longer current.
      if (passwordHash !== undefined && locked.passwordHash !== user.passwordHash) throw incorrectPassword('current_password');
      // Its own name again changes nothing and records nothing; a new password always changes the
      // hash (it is never compared with the old one in clear).
      const changes = {
        ...(dto.name !== undefined && dto.name !== locked.name && { name: dto.name }),
        ...(passwordHash !== undefined && { passwordHash }),
      };
      if (Object.keys(changes).length === 0) return presentAccountUser(locked);
      const updated = await this.users.update(auth.userId, changes, manager);
      await this.audit.record(auth, client, 'account.updated', auth.userId, manager);
      return presentAccountUser(updated);
    });
  }

  /** The current password is confirmed before the new one is hashed: a wrong guess costs one hash, not two. */
  private async newPasswordHash(user: User, dto: UpdateAccountDto, client: ClientInfo, reply: HeaderSink): Promise<string> {
    await this.confirmation.confirm(user, dto.current_password!, 'current_password', client, reply);
    return this.users.hashPassword(dto.password!, client.gone);
  }
}
