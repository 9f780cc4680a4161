import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Migrations are expand-then-contract, so that instances one release apart can share a database
 * during a rolling deploy: a release stops using a column or table (or a constraint it relies on),
 * and only a later one drops it. An `up` that drops or renames one is listed here, with the
 * release that stopped using it, once someone has checked that no build still running against
 * the database reads it.
 */
const CONTRACTIONS: Record<string, string[]> = {
  // Shipped before this rule: builds before 296552d still read teams.webhook_secret (README, Upgrading).
  '1795608551253-AddWebhooks.ts': ['DROP COLUMN "webhook_secret_rotated_at"', 'DROP COLUMN "webhook_secret"'],
  // Shipped before this rule: builds before 5a2ec9e still read teams.billing_event_at (README, Upgrading).
  '1795660000000-AddTeamSubscriptions.ts': ['DROP COLUMN "billing_event_at"'],
  // Not one release later: the key cost every create a lock on its team's row, and what an older
  // build deleting a team meanwhile may leave is narrow and written down (README, On PostgreSQL).
  '1795890000000-DropSecretsTeamForeignKey.ts': ['DROP CONSTRAINT IF EXISTS "FK_f1fa5c5cf89596114f22d574b02"'],
};

const DESTRUCTIVE = /DROP\s+(COLUMN|TABLE|CONSTRAINT)\s+(IF\s+EXISTS\s+)?"?\w+"?|RENAME\s+(COLUMN\s+|TO\s+)"?\w+"?/gi;
const dir = join(__dirname, '../migrations');

/** What a migration's `up` (not its `down`, which undoes an expansion) drops or renames. */
function contractionsIn(file: string): string[] {
  const source = readFileSync(join(dir, file), 'utf8');
  const up = source.slice(source.indexOf('async up('), source.indexOf('async down('));
  return up.match(DESTRUCTIVE) ?? [];
}

describe('migrations', () => {
  it.each(readdirSync(dir).filter((file) => /^\d{13}-\w+\.ts$/.test(file)))(
    '%s drops or renames nothing in its up() but what a previous release stopped using',
    (file) => {
      expect(contractionsIn(file)).toEqual(CONTRACTIONS[file] ?? []);
    },
  );
});
