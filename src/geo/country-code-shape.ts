/**
 * Two ASCII letters, in either case: what a country code looks like, checked apart from the ISO
 * list (country-code.ts) so the command line can refuse a malformed one without loading
 * class-validator.
 */
export const COUNTRY_CODE_SHAPE = /^[A-Za-z]{2}$/;
