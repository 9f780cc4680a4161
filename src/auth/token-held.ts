/**
 * SQL that is true while the access token whose id is `tokenId` (a parameter, `$36`) still exists:
 * not revoked, nor deleted with its member's membership. For a statement that must write nothing
 * for a caller gone since the guard let it in; one probe of the primary key, no lock taken.
 */
export const tokenStillHeld = (tokenId: string) => `EXISTS (SELECT 1 FROM access_tokens WHERE id = ${tokenId})`;
