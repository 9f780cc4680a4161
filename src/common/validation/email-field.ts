import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsEmail, IsString, ValidateBy } from 'class-validator';
import { caseFold } from 'unicode-case-folding';
import { humanize, msg } from './messages';
import { MaxChars } from './text-field';
import { hidesCharacters } from './unshowable';

const MAX_EMAIL_LENGTH = 254;

/**
 * An email as it is stored and compared: Unicode's full default case folding (CaseFolding.txt, C
 * and F), and in NFC, so `ó` typed as one code point or as `o` and a combining accent is one
 * address, and so is every case of it: `ΟΔΟΣ` and `οδοσ` (lowercasing gives final `ς`), `ԵՒ` and
 * `և`, `STRASSE` and `straße`. Folded from NFD, as Unicode's canonical caseless match has it, so
 * combining marks in either order fold alike (U+0345). Registration, login, the login rate limit
 * and adding a member all go through it; `FoldEmailCase` moved the keys stored before.
 */
export const emailKey = (email: string): string => caseFold(email.normalize('NFD')).normalize('NFC');

/**
 * Compatibility characters that are ordinary spelling in their scripts, not lookalikes: Armenian
 * և, the Arabic high-hamza letters, Thai sara am (น้ำ), Lao am and ho no / ho mo, Tibetan's vocalic
 * r and l forms, the Georgian and Tifinagh modifier letters.
 */
const ORDINARY_SPELLING = /\u0587|[\u0675-\u0678]|\u0E33|\u0EB3|\u0EDC|\u0EDD|\u0F77|\u0F79|\u10FC|\u2D6F/gu;

/**
 * Whether the address, as typed (in NFC), holds a compatibility form that NFKC would fold: a
 * fullwidth letter (`ａ`), a ligature (`ﬁ`), a superscript or circled digit, a mathematical letter
 * (`𝐚`). `ａ@example.com` would be an account apart from `a@example.com` that reads the same;
 * NFKC folding it instead would move addresses stored before, so a new one is refused. Judged
 * before case folding, which turns a few of them (`ﬁ`, `µ`, `ſ`) into plain letters (FoldEmailCase
 * moved such stored ones): they stay refused for new addresses. No address free of them folds into one.
 */
const hasCompatibilityForms = (email: string): boolean => {
  const typed = email.normalize('NFC').replace(ORDINARY_SPELLING, '');
  return typed.normalize('NFKC') !== typed;
};

/**
 * A required email address of at most 254 characters (RFC 5321), counted as it is stored (`emailKey`): folding can lengthen it (İ, ß).
 * Nothing invisible (`hidesCharacters`): `alice\u200b@example.com` and `alice@\u202emoc.elpmaxe` would be
 * accounts that read as `alice@example.com`; no compatibility form (`hasCompatibilityForms`). A combining
 * mark stays: NFC composes the ones it can, and the rest are drawn on their letter (scripts such as
 * Devanagari need them). For addresses given as new (registration, adding a member); login takes any.
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
    ValidateBy(
      {
        name: 'noCompatibilityForms',
        validator: { validate: (value: unknown) => typeof value !== 'string' || !hasCompatibilityForms(value) },
      },
      {
        message: ({ property }) =>
          `The ${humanize(property)} field must be typed in plain characters, not fullwidth letters, ligatures or other compatibility forms.`,
      },
    ),
  );
