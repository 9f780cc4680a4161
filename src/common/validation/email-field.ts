import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsEmail, IsString, ValidateBy } from 'class-validator';
import { msg } from './messages';
import { MaxChars } from './text-field';
import { hidesCharacters } from './unshowable';

const MAX_EMAIL_LENGTH = 254;

/**
 * An email as it is stored and compared: lowercased, and in Unicode NFC, so `ó` typed as one code
 * point or as `o` and a combining accent is one address, not two accounts that look the same.
 * Registration, login, the login rate limit and adding a member all go through it.
 */
export const emailKey = (email: string): string => email.toLowerCase().normalize('NFC');

/**
 * A required email address of at most 254 characters (RFC 5321), counted as it is stored (`emailKey`): lowercasing can lengthen it (İ).
 * Nothing invisible (`hidesCharacters`): `alice\u200b@example.com` and `alice@\u202emoc.elpmaxe` would be
 * accounts that read as `alice@example.com`. A combining mark stays: NFC composes the ones it can, and
 * the rest are drawn on their letter (scripts such as Devanagari need them).
 */
export const EmailField = () =>
  applyDecorators(
    ApiProperty({ type: 'string', format: 'email', maxLength: MAX_EMAIL_LENGTH }),
    IsDefined({ message: msg.required }),
    IsString({ message: msg.string }),
    MaxChars(MAX_EMAIL_LENGTH, emailKey),
    IsEmail({}, { message: msg.email }),
    ValidateBy(
      { name: 'noHiddenCharacters', validator: { validate: (value: unknown) => typeof value !== 'string' || !hidesCharacters(value) } },
      { message: msg.email },
    ),
  );
