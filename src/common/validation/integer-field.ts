import { applyDecorators } from '@nestjs/common';
import { IsInt, Max, Min } from 'class-validator';
import { msg } from './messages';

/**
 * An integer from `min` to `max`. The rules run in this order (the pipe stops at the first that
 * fails), so a string, a fraction or `null` reads "must be an integer", not "must not be greater".
 */
export const IntegerBetween = (min: number, max: number) =>
  applyDecorators(IsInt({ message: msg.integer }), Min(min, { message: msg.min(min) }), Max(max, { message: msg.max(max) }));
