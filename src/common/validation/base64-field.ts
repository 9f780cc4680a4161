import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsBase64, IsString } from 'class-validator';
import { msg } from './messages';
import { Optional } from './optional';

/** Padded base64's length for `bytes` bytes. */
const base64Length = (bytes: number) => 4 * Math.ceil(bytes / 3);

/**
 * An optional base64 string; `null` is a 422. Its decoded length is checked where it is used
 * (beside the other fields it goes with); `bytes` (exactly) or `minBytes` (at least) say here what
 * that check takes, for the document.
 */
export const OptionalBase64 = ({ bytes, minBytes }: { bytes?: number; minBytes?: number } = {}) =>
  applyDecorators(
    ApiProperty({
      type: 'string',
      format: 'byte',
      ...(bytes !== undefined ? { minLength: base64Length(bytes), maxLength: base64Length(bytes) } : {}),
      ...(minBytes !== undefined ? { minLength: base64Length(minBytes) } : {}),
    }),
    Optional(),
    IsString({ message: msg.string }),
    IsBase64({}, { message: (a) => `The ${a.property} field must be base64.` }),
  );
