import { ValidationArguments } from 'class-validator';

const name = (args: ValidationArguments) => args.property.replace(/_/g, ' ');

/** Laravel-style wording, as the BurnLinks seed shows; values are never interpolated. */
export const msg = {
  required: (args: ValidationArguments) => `The ${name(args)} field is required.`,
  string: (args: ValidationArguments) => `The ${name(args)} field must be a string.`,
  integer: (args: ValidationArguments) => `The ${name(args)} field must be an integer.`,
  email: (args: ValidationArguments) => `The ${name(args)} field must be a valid email address.`,
  uuid: (args: ValidationArguments) => `The ${name(args)} field must be a valid id.`,
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
