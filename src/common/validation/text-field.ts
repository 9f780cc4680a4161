import { applyDecorators } from '@nestjs/common';
import { IsDefined, IsString, MaxLength, MinLength, ValidateBy } from 'class-validator';
import { msg } from './messages';
import { Nullable, Optional } from './optional';

// PostgreSQL text cannot hold NUL; refused here, it is a 422 on the field rather than a 500.
const noNul = () =>
  ValidateBy(
    { name: 'noNul', validator: { validate: (value: unknown) => typeof value !== 'string' || !value.includes('\0') } },
    { message: (a) => `The ${a.property.replace(/_/g, ' ')} field must not contain NUL characters.` },
  );

/** A required string of `min` (default 1: not empty) to `max` characters. */
export const RequiredText = (max: number, min = 1) =>
  applyDecorators(
    IsDefined({ message: msg.required }),
    IsString({ message: msg.string }),
    MinLength(min, { message: min === 1 ? msg.required : msg.minLength(min) }),
    MaxLength(max, { message: msg.maxLength(max) }),
    noNul(),
  );

const textRules = (max: number, min: number) => [
  IsString({ message: msg.string }),
  ...(min > 0 ? [MinLength(min, { message: msg.minLength(min) })] : []),
  MaxLength(max, { message: msg.maxLength(max) }),
  noNul(),
];

/** An optional string of `min` (default 0) to `max` characters; `null` is a 422 like any non-string. */
export const OptionalText = (max: number, min = 0) => applyDecorators(Optional(), ...textRules(max, min));

/** Like `OptionalText`, but `null` is accepted as a value (only where the contract says what null means). */
export const NullableText = (max: number, min = 0) => applyDecorators(Nullable(), ...textRules(max, min));
