import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT_EVENT_TYPES } from '../src/audit/audit-event.entity';

/** README's account of the audit trail: its `**Audit events**` bullet, up to the next one. */
function auditEventsSection(): string {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const start = readme.indexOf('- **Audit events**');
  expect(start).toBeGreaterThan(-1);
  return readme.slice(start, readme.indexOf('\n- **', start + 1));
}

describe('README', () => {
  it('names every audit event type the server records in its Audit events section, so none goes undocumented', () => {
    const section = auditEventsSection();
    expect(AUDIT_EVENT_TYPES.filter((type) => !section.includes(`\`${type}\``))).toEqual([]);
  });
});
