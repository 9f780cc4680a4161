export const ABILITIES = ['secrets:read', 'secrets:write', 'team:read', 'team:write'] as const;
export type Ability = (typeof ABILITIES)[number];

/** True when every ability in `wanted` is held: a token never mints one stronger than itself. */
export function holdsAll(held: readonly Ability[], wanted: readonly Ability[]): boolean {
  return wanted.every((ability) => held.includes(ability));
}
