import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsEmail, IsString } from 'class-validator';
import { msg } from './messages';
import { MaxChars } from './text-field';

const MAX_EMAIL_LENGTH = 254;

/** A required email address of at most 254 characters (RFC 5321), counted as it is stored: lowercased, which can lengthen it (İ). */
export const EmailField = () =>
  applyDecorators(
    ApiProperty({ type: 'string', format: 'email', maxLength: MAX_EMAIL_LENGTH }),
    IsDefined({ message: msg.required }),
    IsString({ message: msg.string }),
    MaxChars(MAX_EMAIL_LENGTH, (email) => email.toLowerCase()),
    IsEmail({}, { message: msg.email }),
  );
