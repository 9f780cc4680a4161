import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsString, ValidateBy, ValidationArguments } from 'class-validator';
import { humanize, msg } from './messages';
import { Nullable, Optional } from './optional';
import { showsAsNothing } from './unshowable';

// PostgreSQL text cannot hold NUL; refused here, it is a 422 on the field rather than a 500.
const noNul = () =>
  ValidateBy(
    { name: 'noNul', validator: { validate: (value: unknown) => typeof value !== 'string' || !value.includes('\0') } },
    { message: (a) => `The ${humanize(a.property)} field must not contain NUL characters.` },
  );

const CONTROL_BUT_TAB_OR_NUL = /(?![\t\0])\p{Cc}/u;

/**
 * No control characters but TAB (C0, DEL and C1; NUL is `noNul`'s): a browser's password field
 * cannot take a line break, so a passcode holding one could never be typed, and each try at it
 * would spend one of the secret's attempts.
 */
export const Typable = () =>
  ValidateBy(
    {
      name: 'typable',
      validator: { validate: (value: unknown) => typeof value !== 'string' || !CONTROL_BUT_TAB_OR_NUL.test(value) },
    },
    { message: (a) => `The ${humanize(a.property)} field must not contain line breaks or other control characters.` },
  );

/** Characters as PostgreSQL counts them, code points: class-validator's lengths leave out U+FE0E and U+FE0F. */
export function codePoints(text: string): number {
  let count = text.length;
  for (let i = 1; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A low surrogate after a high one ends a pair already counted.
    if (unit >= 0xdc00 && unit <= 0xdfff && text.charCodeAt(i - 1) >= 0xd800 && text.charCodeAt(i - 1) <= 0xdbff) count--;
  }
  return count;
}

const chars = (
  name: string,
  fits: (count: number) => boolean,
  message: (args: ValidationArguments) => string,
  stored = (text: string) => text,
) =>
  ValidateBy(
    { name, validator: { validate: (value: unknown) => typeof value === 'string' && fits(codePoints(stored(value))) } },
    { message },
  );

/** At least `min` characters, as a `varchar` counts them, of the text as it is `stored`. */
const MinChars = (min: number, message = msg.minLength(min), stored?: (text: string) => string) =>
  chars('minChars', (count) => count >= min, message, stored);

/** At most `max` characters, as a `varchar(max)` counts them, of the text as it is `stored`. */
export const MaxChars = (max: number, stored?: (text: string) => string, message = msg.maxLength(max)) =>
  chars('maxChars', (count) => count <= max, message, stored);

/** The document says what the rules check (JSON Schema counts characters as code points too). */
const documented = (max: number, min: number) => ApiProperty({ type: 'string', maxLength: max, ...(min > 0 ? { minLength: min } : {}) });

/** A required string of `min` (default 1: not empty) to `max` characters, of the text as it is `stored`. */
export const RequiredText = (max: number, min = 1, stored?: (text: string) => string) =>
  applyDecorators(
    documented(max, min),
    IsDefined({ message: msg.required }),
    IsString({ message: msg.string }),
    MinChars(min, min === 1 ? msg.required : msg.minLength(min), stored),
    MaxChars(max, stored),
    noNul(),
  );

/**
 * A required name (of a team, a member, a token, a service account) or reason: as `RequiredText`,
 * and more than white space and invisible characters (a zero-width space, a Hangul filler), which
 * would show as nothing in lists and the audit trail. A name that shows something is kept as sent.
 */
export const RequiredName = (max: number) =>
  applyDecorators(
    RequiredText(max),
    ValidateBy(
      { name: 'notBlank', validator: { validate: (value: unknown) => typeof value !== 'string' || !showsAsNothing(value) } },
      { message: msg.required },
    ),
  );

const textRules = (max: number, min: number, stored?: (text: string) => string) => [
  documented(max, min),
  IsString({ message: msg.string }),
  ...(min > 0 ? [MinChars(min, msg.minLength(min), stored)] : []),
  MaxChars(max, stored),
  noNul(),
];

/** An optional string of `min` (default 0) to `max` characters, of the text as it is `stored`; `null` is a 422 like any non-string. */
export const OptionalText = (max: number, min = 0, stored?: (text: string) => string) =>
  applyDecorators(Optional(), ...textRules(max, min, stored));

/** Like `OptionalText`, but `null` is accepted as a value (only where the contract says what null means). */
export const NullableText = (max: number, min = 0) => applyDecorators(Nullable(), ...textRules(max, min));
