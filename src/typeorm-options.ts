import { DataSourceOptions } from 'typeorm';
import { migrations } from '../migrations';
import { AuditEvent } from './audit/audit-event.entity';
import { StripeEvent } from './billing/stripe-event.entity';
import { TeamSubscription } from './billing/team-subscription.entity';
import { AccessToken } from './auth/access-token.entity';
import { User } from './auth/user.entity';
import { ListenedClient, serverStatementTimeoutMs } from './common/database/listened-client';
import { pgConnectionUrl } from './common/database/ssl-mode';
import { TypeOrmLogger } from './common/database/typeorm-logger';
import { FileDownloadEnd } from './secrets/files/file-download-end.entity';
import { FilePart } from './secrets/files/file-part.entity';
import { LinkReport } from './secrets/link-report.entity';
import { SecretCount } from './secrets/secret-count.entity';
import { Secret } from './secrets/secret.entity';
import { TeamMember } from './teams/team-member.entity';
import { Team } from './teams/team.entity';
import { TeamWebhookSecret } from './webhooks/team-webhook-secret.entity';
import { WebhookDelivery } from './webhooks/webhook-delivery.entity';
import { WebhookEndpoint } from './webhooks/webhook-endpoint.entity';

/** Every entity; the one place that knows them all, outside any feature folder. */
const entities = [
  User,
  Team,
  TeamMember,
  AccessToken,
  Secret,
  SecretCount,
  LinkReport,
  AuditEvent,
  StripeEvent,
  TeamSubscription,
  TeamWebhookSecret,
  WebhookEndpoint,
  WebhookDelivery,
  FilePart,
  FileDownloadEnd,
];

/**
 * One definition of the connection, used by the app, the CLI scripts and the test harness. A
 * query unanswered for `queryTimeoutMs` ends its connection (ListenedClient), and the server ends
 * a statement a margin before that; unset, as the scripts and the harness leave it, queries wait
 * as long as they take. The embedded database (`embedded`) has no statement_timeout: PGlite takes
 * it but never ends a statement on it.
 */
export function typeormOptions(databaseUrl: string, poolSize = 10, queryTimeoutMs?: number, embedded = false): DataSourceOptions {
  return {
    type: 'postgres',
    url: pgConnectionUrl(databaseUrl),
    entities,
    migrations,
    // The app runs them under a lock (common/database/migrate.ts), the test setup and scripts as they need.
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    synchronize: false,
    installExtensions: false,
    logging: false,
    logger: new TypeOrmLogger(),
    extra: {
      Client: ListenedClient,
      max: poolSize,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      queryTimeoutMillis: queryTimeoutMs,
      statementTimeoutMillis: queryTimeoutMs && !embedded ? serverStatementTimeoutMs(queryTimeoutMs) : undefined,
      onConnect: queryTimeoutMs && !embedded ? (client: ListenedClient) => client.query(client.statementTimeout()) : undefined,
      // So a peer that vanished (a firewall that forgot the connection) is noticed on idle connections too.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: 'oncelink',
    },
  };
}
