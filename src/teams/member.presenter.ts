import type { MemberRow } from './team.repository';

export function presentMember(member: MemberRow) {
  return {
    user_id: member.user_id,
    name: member.name,
    email: member.email,
    kind: member.kind,
    role: member.role,
    joined_at: member.joined_at.toISOString(),
  };
}
