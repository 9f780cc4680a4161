import { Injectable, PipeTransform } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { ApiError } from '../errors/api-error';

/** Ids are opaque: one that is not even well-formed is simply not found, never a 422 or a 500. */
@Injectable()
export class IdParamPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isUUID(value)) throw ApiError.notFound();
    return value;
  }
}
