import { Body } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';

/** What an action that takes no body declares it takes: nothing, so any field is an unknown one. */
export class NoBody {}

/**
 * The body of an action that takes none (`@EmptyBody() _body: NoBody`): no body, or `{}`, passes;
 * any field in it is refused like an unknown field anywhere else (422), rather than ignored.
 */
export const EmptyBody = (): ParameterDecorator => (target, key, index) => {
  Body()(target, key, index);
  ApiBody({ type: NoBody, required: false, description: 'None: any field is refused (422).' })(
    target,
    key!,
    Object.getOwnPropertyDescriptor(target, key!)!,
  );
};
