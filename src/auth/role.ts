export const ROLES = ['owner', 'admin', 'member'] as const;
export type Role = (typeof ROLES)[number];

/** Owners and admins manage the team and any of its secrets; members manage their own. */
export function isAdmin(role: Role): boolean {
  return role === 'owner' || role === 'admin';
}
