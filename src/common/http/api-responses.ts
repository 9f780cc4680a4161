import { applyDecorators, Type } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiResponse, getSchemaPath } from '@nestjs/swagger';

export class PageMetaResponse {
  @ApiProperty() current_page!: number;
  @ApiProperty() per_page!: number;
  @ApiProperty() total!: number;
  @ApiProperty() last_page!: number;
}

export class MessageResponse {
  @ApiProperty() message!: string;
}

type Model = Type<unknown>;

const refTo = (models: Model[]) =>
  models.length === 1 ? { $ref: getSchemaPath(models[0]) } : { oneOf: models.map((model) => ({ $ref: getSchemaPath(model) })) };

/** `{message?, data: Model}`: one resource, as API.md's conventions say. Several models mean one of them. */
export const ApiData = (status: number, ...models: Model[]) =>
  applyDecorators(
    ApiExtraModels(...models),
    ApiResponse({
      status,
      schema: { type: 'object', required: ['data'], properties: { message: { type: 'string' }, data: refTo(models) } },
    }),
  );

/** `{data: Model[], meta}`: a page of a list. */
export const ApiPage = (model: Model) =>
  applyDecorators(
    ApiExtraModels(model, PageMetaResponse),
    ApiResponse({
      status: 200,
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
