import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { TokenAuth } from '../auth/auth-context';
import type { ClientInfo } from '../geo/client.decorator';
import { SecretsService } from '../secrets/secrets.service';
import { ServiceAccountsService } from '../teams/service-accounts.service';

/**
 * Deletes a team's service account as DELETE /account deletes a person's: its membership and
 * tokens go, and its secrets keep no creator, nor what its Idempotency-Keys kept, in one
 * transaction. Here, where teams and secrets meet.
 */
@Injectable()
export class ServiceAccountDeletionService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly accounts: ServiceAccountsService,
    private readonly secrets: SecretsService,
  ) {}

  async delete(auth: TokenAuth, id: string, client: ClientInfo): Promise<void> {
    await this.db.transaction(async (manager) => {
      await this.accounts.remove(auth, id, client, manager);
      await this.secrets.forgetCreator(id, auth.teamId, manager);
    });
  }
}
