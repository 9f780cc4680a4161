import { isISO31661Alpha2 } from 'class-validator';
import { COUNTRY_CODE_SHAPE } from './country-code-shape';

/**
 * ISO 3166-1 alpha-2, in either case, and XK: Kosovo's code is user-assigned, but it is what
 * country databases and edge headers give its viewers, who could otherwise never be allowed.
 * What a secret's `allowed_countries` may name, and so all a country database or an edge's
 * country header may say.
 */
export const isCountryCode = (code: unknown): code is string =>
  // The shape first: class-validator upper-cases, which makes `ıd` ID and `ſe` SE.
  typeof code === 'string' && COUNTRY_CODE_SHAPE.test(code) && (isISO31661Alpha2(code) || code.toUpperCase() === 'XK');
