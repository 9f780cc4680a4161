import { applyDecorators } from '@nestjs/common';
import { IsDefined, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { msg } from './messages';

/** A required string of `min` (default 1: not empty) to `max` characters. */
export const RequiredText = (max: number, min = 1) =>
  applyDecorators(
    IsDefined({ message: msg.required }),
    IsString({ message: msg.string }),
    MinLength(min, { message: min === 1 ? msg.required : msg.minLength(min) }),
    MaxLength(max, { message: msg.maxLength(max) }),
  );

/** An optional string of `min` (default 0) to `max` characters. */
export const OptionalText = (max: number, min = 0) =>
  applyDecorators(
    IsOptional(),
    IsString({ message: msg.string }),
    ...(min > 0 ? [MinLength(min, { message: msg.minLength(min) })] : []),
    MaxLength(max, { message: msg.maxLength(max) }),
  );
