/**
 * SQL that is true while the access token whose id is `tokenId` (a parameter, `$36`) still exists:
 * not revoked, nor deleted with its member's membership. For a statement that must write nothing
 * for a caller gone since the guard let it in: one probe of each primary key. Its user's row is
 * held FOR KEY SHARE until the transaction ends, so what the statement writes in the user's name
 * commits before the user's deletion (FOR UPDATE or DELETE) goes on to forget them, or it waits
 * for that deletion and finds the user gone (false).
 */
export const tokenStillHeld = (tokenId: string) =>
  `EXISTS (SELECT 1 FROM access_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ${tokenId} FOR KEY SHARE OF u)`;
