import { applyDecorators, Type, UseInterceptors } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ERROR_CODES, ErrorCode } from '../errors/error-codes';
import { PageLinksInterceptor } from './page-links.interceptor';

class PageMetaResponse {
  @ApiProperty({ type: 'integer' }) current_page!: number;
  @ApiProperty({ type: 'integer' }) per_page!: number;
  @ApiProperty({ type: 'integer' }) total!: number;
  @ApiProperty({ type: 'integer' }) last_page!: number;
}

class MessageResponse {
  @ApiProperty() message!: string;
}

/** API.md's error body, whatever the failure. */
export class ErrorResponse {
  @ApiProperty({ example: 'The given data was invalid.' }) message!: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'array', items: { type: 'string' } },
    description: 'What is wrong with each field (422)',
    example: { expire_mode: ['The selected expire mode is invalid.'] },
  })
  errors?: Record<string, string[]>;
  @ApiPropertyOptional({ type: 'string', enum: ERROR_CODES, description: 'Why, for a program (README lists each code with its status)' })
  code?: ErrorCode;
  @ApiPropertyOptional({ type: 'integer', description: 'A wrong or missing passcode (401): guesses left before the secret burns' })
  attempts_remaining?: number;
}

type Model = Type<unknown>;

const refTo = (models: Model[]) =>
  models.length === 1 ? { $ref: getSchemaPath(models[0]) } : { oneOf: models.map((model) => ({ $ref: getSchemaPath(model) })) };

/**
 * A property that is a `model` or null, in OpenAPI 3.0's terms: `nullable` counts only beside a
 * `type` and a `$ref` takes no siblings, so null is a branch of its own (3.0.3's "null" schema).
 */
export const nullableModel = (model: Model, description: string) => ({
  oneOf: [{ $ref: getSchemaPath(model) }, { type: 'object', nullable: true, enum: [null] }],
  description,
});

/** The schema of `{message?, data: Model}`: one resource, as API.md's conventions say. Several models mean one of them. */
export const dataSchema = (...models: Model[]): SchemaObject => ({
  type: 'object',
  required: ['data'],
  properties: { message: { type: 'string' }, data: refTo(models) },
});

export const ApiData = (status: number, ...models: Model[]) =>
  applyDecorators(ApiExtraModels(...models), ApiResponse({ status, schema: dataSchema(...models) }));

/**
 * Failures particular to a route, described as it meets them; the ones every route of its shape
 * can answer (401, 404, 422, 429, …) are filled in by `documentConventions`.
 */
export const ApiErrors = (failures: Record<number, string>) =>
  applyDecorators(
    ApiExtraModels(ErrorResponse),
    ...Object.entries(failures).map(([status, description]) => ApiResponse({ status: Number(status), description, type: ErrorResponse })),
  );

/** `{data: Model[], meta}`: a page of a list, with its neighbours in a `Link` header. */
export const ApiPage = (model: Model) =>
  applyDecorators(
    UseInterceptors(PageLinksInterceptor),
    ApiExtraModels(model, PageMetaResponse),
    ApiResponse({
      status: 200,
      headers: {
        Link: {
          description: 'The first, previous, next and last pages (RFC 8288), those that exist: `<…?page=2>; rel="next"`',
          schema: { type: 'string' },
        },
      },
      schema: {
        type: 'object',
        required: ['data', 'meta'],
        properties: { data: { type: 'array', items: { $ref: getSchemaPath(model) } }, meta: { $ref: getSchemaPath(PageMetaResponse) } },
      },
    }),
  );

/** `{message}` alone (202 Accepted and the like). */
export const ApiMessage = (status: number) => ApiResponse({ status, type: MessageResponse });

export const ApiNoContent = () => ApiResponse({ status: 204, description: 'No content.' });
