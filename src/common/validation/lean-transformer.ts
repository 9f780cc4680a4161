import { classToPlain, ClassTransformOptions, plainToInstance, TransformationType } from 'class-transformer';
import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';
import type { TransformerPackage } from '@nestjs/common/interfaces/external/transformer-package.interface';

// The registry of class-transformer's decorators; it is not exported from the package's index
// (@nestjs/mapped-types reads it the same way).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: MetadataStorage };

export type Constructor = new (...args: unknown[]) => object;

/**
 * Whether the class needs class-transformer: a class-transformer decorator on it or a field, or a
 * field its constructor sets (a default), which only class-transformer's `new` would apply.
 */
function usesClassTransformer(metatype: Constructor, fields: Iterable<string>): boolean {
  if (Object.values(new metatype()).some((value) => value !== undefined)) return true;
  if (defaultMetadataStorage.getExposedMetadatas(metatype).length || defaultMetadataStorage.getExcludedMetadatas(metatype).length) {
    return true;
  }
  for (const field of fields) {
    if (defaultMetadataStorage.findTypeMetadata(metatype, field)) return true;
    if (defaultMetadataStorage.findTransformMetadatas(metatype, field, TransformationType.PLAIN_TO_CLASS).length) return true;
  }
  return false;
}

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;

/**
 * The validation pipe's transformer: class-transformer where it converts something (query DTOs
 * turn digits into numbers with `@Transform`), and a plain copy onto the DTO's prototype where it
 * would only copy (a JSON body already has the types the rules check, and class-validator needs
 * only the prototype to find them). That copy is what the hot create and reveal bodies take.
 * Nest keeps one transformer for every ValidationPipe in the process (the last constructed one's),
 * which is why every pipe here comes from `createValidationPipe`.
 */
export function leanTransformer(declaredFields: (metatype: Constructor) => Set<string>): TransformerPackage {
  const needsTransformer = new WeakMap<Constructor, boolean>();
  return {
    plainToInstance<T>(metatype: new (...args: unknown[]) => T, plain: unknown, options?: ClassTransformOptions): T | T[] {
      let needed = needsTransformer.get(metatype as Constructor);
      if (needed === undefined) {
        needed = usesClassTransformer(metatype as Constructor, declaredFields(metatype as Constructor));
        needsTransformer.set(metatype as Constructor, needed);
      }
      if (needed || !isJsonObject(plain)) return plainToInstance(metatype, plain, options);
      const instance = Object.create(metatype.prototype as object) as Record<string, unknown>;
      // Own properties as JSON made them: a key named like a member of Object.prototype (even
      // `__proto__`) stays a plain field for the strict pipe to refuse, and cannot reach the prototype.
      for (const key of Object.keys(plain)) {
        Object.defineProperty(instance, key, { value: plain[key], writable: true, enumerable: true, configurable: true });
      }
      return instance as T;
    },
    classToPlain,
  };
}
