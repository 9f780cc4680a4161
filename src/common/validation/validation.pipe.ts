import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiError, FieldErrors } from '../errors/api-error';

function humanize(field: string): string {
  return field.replace(/_/g, ' ');
}

function collect(errors: ValidationError[], into: FieldErrors, parent = ''): FieldErrors {
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const messages = Object.entries(error.constraints ?? {}).map(([rule, message]) =>
      // class-validator's own wording for unknown fields names the property; ours names the rule.
      rule === 'whitelistValidation' ? `The ${humanize(field)} field is not allowed.` : message,
    );
    if (messages.length) into[field] = messages;
    if (error.children?.length) collect(error.children, into, field);
  }
  return into;
}

/**
 * The one global pipe: strips nothing silently (unknown fields are a 422), converts
 * query strings to numbers where the DTO says so, and never echoes a submitted value.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    stopAtFirstError: true,
    exceptionFactory: (errors) => ApiError.validation(collect(errors, {})),
  });
}
