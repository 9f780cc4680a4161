import { applyDecorators } from '@nestjs/common';
import { IsDefined, IsEmail, IsString } from 'class-validator';
import { msg } from './messages';
import { MaxChars } from './text-field';

/** A required email address of at most 254 characters (RFC 5321), counted as it is stored: lowercased, which can lengthen it (İ). */
export const EmailField = () =>
  applyDecorators(
    IsDefined({ message: msg.required }),
    IsString({ message: msg.string }),
    MaxChars(254, (email) => email.toLowerCase()),
    IsEmail({}, { message: msg.email }),
  );
