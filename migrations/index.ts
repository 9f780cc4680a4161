import { CreateAccountsAndTokens1795575687263 } from './1795575687263-CreateAccountsAndTokens';
import { CreateSecretsAndAuditEvents1795576126760 } from './1795576126760-CreateSecretsAndAuditEvents';

/** Every migration in order; imported explicitly so the same list works from TypeScript and the build. */
export const migrations = [CreateAccountsAndTokens1795575687263, CreateSecretsAndAuditEvents1795576126760];
