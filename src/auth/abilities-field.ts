import { applyDecorators } from '@nestjs/common';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsDefined, IsIn } from 'class-validator';
import { msg } from '../common/validation/messages';
import { ABILITIES } from './ability';

/** A required, non-empty list of distinct abilities. */
export const AbilitiesField = () =>
  applyDecorators(
    IsDefined({ message: msg.required }),
    IsArray({ message: msg.array }),
    ArrayMinSize(1, { message: (a) => `The ${a.property} field must have at least 1 item.` }),
    ArrayMaxSize(ABILITIES.length, { message: msg.selected }),
    ArrayUnique({ message: (a) => `The ${a.property} field has a duplicate value.` }),
    IsIn(ABILITIES, { each: true, message: msg.selected }),
  );
