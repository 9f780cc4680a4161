import { IsOptional, ValidateIf } from 'class-validator';

/**
 * An optional field: leaving it out skips its rules, but `null` is checked like any other value,
 * so it fails them with the field's own message ("The content field must be a string."). Use this,
 * not class-validator's `@IsOptional()`, which lets `null` through to code that expects a value.
 */
export const Optional = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

/**
 * An optional field where the contract gives `null` a meaning (`label: null` in
 * PUT /api/v1/secrets/{id} clears the label): both absent and `null` skip its rules.
 */
export const Nullable = () => IsOptional();
