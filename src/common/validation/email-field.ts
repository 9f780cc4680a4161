import { applyDecorators } from '@nestjs/common';
import { IsDefined, IsEmail, IsString, MaxLength } from 'class-validator';
import { msg } from './messages';

/** A required email address of at most 254 characters (RFC 5321). */
export const EmailField = () =>
  applyDecorators(
    IsDefined({ message: msg.required }),
    IsString({ message: msg.string }),
    MaxLength(254, { message: msg.maxLength(254) }),
    IsEmail({}, { message: msg.email }),
  );
