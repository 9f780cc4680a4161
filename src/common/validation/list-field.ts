import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray } from 'class-validator';
import { msg } from './messages';

/**
 * A non-empty list of distinct items, at most `max` of them, each checked by `each` (a
 * class-validator rule with `each: true`) and described by `items`. The checks run in this order,
 * so a string reads "must be an array" rather than a complaint about its items. `sameItem` says
 * which items count as one (by default, equal ones).
 */
export const ListOf = (max: number, each: PropertyDecorator, items: SchemaObject, sameItem = (item: unknown): unknown => item) =>
  applyDecorators(
    ApiProperty({ type: 'array', items, minItems: 1, maxItems: max, uniqueItems: true }),
    IsArray({ message: msg.array }),
    ArrayMinSize(1, { message: msg.minItems(1) }),
    ArrayMaxSize(max, { message: msg.maxItems(max) }),
    ArrayUnique(sameItem, { message: msg.distinct }),
    each,
  );
