import { ValidationArguments } from 'class-validator';

/** A snake_case name in words (`expire_value`: "expire value"); any other name as it was sent (`__proto__`). */
export function humanize(field: string): string {
  return /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/i.test(field) ? field.replace(/_/g, ' ') : field;
}

const name = (args: ValidationArguments) => humanize(args.property);

/** The most of a field's name an error shows: a name the route does not take may be any length. */
const MAX_SHOWN_NAME = 64;

/** A field's name as an error shows it, key and message: cut at 64 characters, so a 422 is never larger than what was sent. */
export function shownName(field: string): string {
  if (field.length <= MAX_SHOWN_NAME) return field;
  const characters = [...field];
  return characters.length > MAX_SHOWN_NAME ? `${characters.slice(0, MAX_SHOWN_NAME).join('')}…` : field;
}

/** A field the route does not take, in a JSON body or a form. */
export const notAllowed = (field: string) =>
  field ? `The ${humanize(shownName(field))} field is not allowed.` : 'A field without a name is not allowed.';

/** Laravel-style wording, as the BurnLinks seed shows; values are never interpolated. */
export const msg = {
  required: (args: ValidationArguments) => `The ${name(args)} field is required.`,
  string: (args: ValidationArguments) => `The ${name(args)} field must be a string.`,
  integer: (args: ValidationArguments) => `The ${name(args)} field must be an integer.`,
  email: (args: ValidationArguments) => `The ${name(args)} field must be a valid email address.`,
  uuid: (args: ValidationArguments) => `The ${name(args)} field must be a valid id.`,
  date: (args: ValidationArguments) => `The ${name(args)} field must be a valid date.`,
  array: (args: ValidationArguments) => `The ${name(args)} field must be an array.`,
  selected: (args: ValidationArguments) => `The selected ${name(args)} is invalid.`,
  min: (n: number) => (args: ValidationArguments) => `The ${name(args)} field must be at least ${n}.`,
  max: (n: number) => (args: ValidationArguments) => `The ${name(args)} field must not be greater than ${n}.`,
  minLength: (n: number) => (args: ValidationArguments) => `The ${name(args)} field must be at least ${n} characters.`,
  maxLength: (n: number) => (args: ValidationArguments) => `The ${name(args)} field must not be greater than ${n} characters.`,
  minItems: (n: number) => (args: ValidationArguments) => `The ${name(args)} field must have at least ${n} ${n === 1 ? 'item' : 'items'}.`,
  maxItems: (n: number) => (args: ValidationArguments) => `The ${name(args)} field must not have more than ${n} items.`,
  distinct: (args: ValidationArguments) => `The ${name(args)} field has a duplicate value.`,
};
