import { createParamDecorator, ExecutionContext, Injectable, PipeTransform } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createValidationPipe } from '../../common/validation/validation.pipe';
import { CreateSecretDto } from '../dto/create-secret.dto';

/** A `multipart/form-data` create, left unread for FileSecretsService to stream. */
export class MultipartUpload {
  constructor(readonly request: FastifyRequest) {}
}

/** JSON bodies get the global pipe's validation as CreateSecretDto; a multipart upload passes as it is. */
@Injectable()
export class JsonUnlessMultipart implements PipeTransform {
  private readonly validation = createValidationPipe();

  transform(value: unknown): Promise<unknown> | MultipartUpload {
    if (value instanceof MultipartUpload) return value;
    return this.validation.transform(value, { type: 'body', metatype: CreateSecretDto });
  }
}

const body = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  return request.isMultipart() ? new MultipartUpload(request) : request.body;
});

/** POST /secrets's body: a validated CreateSecretDto, or the multipart upload of a file secret. */
export const CreateSecretBody = () => body(undefined, JsonUnlessMultipart);
