import { isISO31661Alpha2 } from 'class-validator';

/**
 * ISO 3166-1 alpha-2, in either case, and XK: Kosovo's code is user-assigned, but it is what
 * country databases and edge headers give its viewers, who could otherwise never be allowed.
 * What a secret's `allowed_countries` may name, and so all an edge's country header may say.
 */
export const isCountryCode = (code: unknown): code is string =>
  typeof code === 'string' && (isISO31661Alpha2(code) || code.toUpperCase() === 'XK');
