import { applyDecorators } from '@nestjs/common';
import { IsDefined, IsIn } from 'class-validator';
import { ListOf } from '../common/validation/list-field';
import { msg } from '../common/validation/messages';
import { ABILITIES } from './ability';

/** A required, non-empty list of distinct abilities. */
export const AbilitiesField = () =>
  applyDecorators(
    IsDefined({ message: msg.required }),
    ListOf(ABILITIES.length, IsIn(ABILITIES, { each: true, message: msg.selected }), { type: 'string', enum: [...ABILITIES] }),
  );
