import type { User } from '../auth/user.entity';
import type { MemberResponse } from './member.response';
import type { TeamMember } from './team-member.entity';

/** A membership with the member's name, email and kind (which auth owns). */
export function presentMember(member: Pick<TeamMember, 'userId' | 'role' | 'createdAt'>, user: User): MemberResponse {
  return {
    user_id: member.userId,
    name: user.name,
    email: user.email,
    kind: user.kind,
    role: member.role,
    joined_at: member.createdAt.toISOString(),
  };
}
