import { AuditEvent } from '../../audit/audit-event.entity';
import { StripeEvent } from '../../billing/stripe-event.entity';
import { AccessToken } from '../../auth/access-token.entity';
import { User } from '../../auth/user.entity';
import { LinkReport } from '../../secrets/link-report.entity';
import { Secret } from '../../secrets/secret.entity';
import { TeamMember } from '../../teams/team-member.entity';
import { Team } from '../../teams/team.entity';

export const entities = [User, Team, TeamMember, AccessToken, Secret, LinkReport, AuditEvent, StripeEvent];
