/** Strongest first. */
export const ROLES = ['owner', 'admin', 'member'] as const;
export type Role = (typeof ROLES)[number];

/** Whether `role` can do more than `than`: making a member `role` raises them. */
export function outranks(role: Role, than: Role): boolean {
  return ROLES.indexOf(role) < ROLES.indexOf(than);
}

/** Owners and admins manage the team and any of its secrets; members manage their own. */
export function isAdmin(role: Role): boolean {
  return role === 'owner' || role === 'admin';
}
