import { applyDecorators } from '@nestjs/common';
import { IsBase64, IsString } from 'class-validator';
import { msg } from './messages';
import { Optional } from './optional';

/** An optional base64 string (its decoded length is checked where it is used); `null` is a 422. */
export const OptionalBase64 = () =>
  applyDecorators(
    Optional(),
    IsString({ message: msg.string }),
    IsBase64({}, { message: (a) => `The ${a.property} field must be base64.` }),
  );
