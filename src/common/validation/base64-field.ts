import { applyDecorators } from '@nestjs/common';
import { IsBase64, IsOptional, IsString } from 'class-validator';
import { msg } from './messages';

/** An optional base64 string (its decoded length is checked where it is used). */
export const OptionalBase64 = () =>
  applyDecorators(
    IsOptional(),
    IsString({ message: msg.string }),
    IsBase64({}, { message: (a) => `The ${a.property} field must be base64.` }),
  );
