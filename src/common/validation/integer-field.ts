import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { msg } from './messages';

/**
 * An integer from `min` to `max`. The rules run in this order (the pipe stops at the first that
 * fails), so a string, a fraction or `null` reads "must be an integer", not "must not be greater".
 */
export const IntegerBetween = (min: number, max: number) =>
  applyDecorators(
    // OpenAPI says so too: generated clients would otherwise send (and expect) floats.
    ApiProperty({ type: 'integer', minimum: min, maximum: max }),
    IsInt({ message: msg.integer }),
    Min(min, { message: msg.min(min) }),
    Max(max, { message: msg.max(max) }),
  );
