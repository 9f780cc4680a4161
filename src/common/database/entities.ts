import { AccessToken } from '../../auth/access-token.entity';
import { User } from '../../auth/user.entity';
import { TeamMember } from '../../teams/team-member.entity';
import { Team } from '../../teams/team.entity';

export const entities = [User, Team, TeamMember, AccessToken];
