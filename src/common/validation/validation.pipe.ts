import { ArgumentMetadata, ValidationError, ValidationPipe, ValidationPipeOptions } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import { ApiError, FieldErrors } from '../errors/api-error';
import { Constructor, leanTransformer } from './lean-transformer';
import { humanize, notAllowed, shownName } from './messages';
import { keepRuleLookups } from './rule-lookup';

/**
 * A 422 names at most this many fields: a body of 150,000 unknown keys costs a key count, not
 * 150,000 errors (seconds of CPU and a response larger than the request).
 */
const MAX_REPORTED_FIELDS = 10;

const reported = (fields: string[]): string[] => fields.slice(0, MAX_REPORTED_FIELDS);

function collect(errors: ValidationError[], into: FieldErrors, parent = ''): FieldErrors {
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const messages = Object.entries(error.constraints ?? {}).map(([rule, message]) =>
      // class-validator's own wording for unknown fields names the property; ours names the rule.
      rule === 'whitelistValidation' ? notAllowed(field) : message,
    );
    if (messages.length) into[field] = messages;
    if (error.children?.length) collect(error.children, into, field);
  }
  return into;
}

const isPlainRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);

/**
 * No DTO nests deeper than a list of values, and Nest's pipe walks a value recursively: a body
 * nested thousands deep would overflow the stack (a 500). Deeper than this is refused first.
 */
const MAX_DEPTH = 8;

/**
 * No DTO takes a list of more than 250 items, nor more than a few hundred values in all, and
 * Nest's pipe costs seconds walking a wide value (600,000 empty lists in 1.8 MB): a list or
 * object in a field holding more than MAX_ITEMS, or fields holding more than MAX_VALUES in all,
 * are refused first.
 */
const MAX_ITEMS = 1000;
const MAX_VALUES = 10_000;

/**
 * A lone UTF-16 surrogate (`"\ud800"` is valid JSON): no UTF-8 text holds one, so it would be
 * stored as U+FFFD, not as sent, and some validators throw on it. With the u flag a proper pair
 * is one code point, so only a lone half matches.
 */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** What is wrong with a field's value, in the order it is reported: a field that is too deep or too wide is not read for its text. */
type Flaw = 'deep' | 'wide' | 'text';

const FLAW_MESSAGES: Record<Flaw, (field: string) => string> = {
  deep: (field) => `The ${humanize(field)} field is nested too deeply.`,
  wide: (field) => `The ${humanize(field)} field holds too many values.`,
  text: (field) => `The ${humanize(field)} field must be valid Unicode text.`,
};

/**
 * The fields' flaws, found in one walk that reads at most MAX_DEPTH levels and MAX_VALUES values
 * below the top level, so a body costs no more than that to judge whatever its size.
 */
class BodyWalk {
  private values = 0;

  flawOf(value: unknown, depth = MAX_DEPTH - 1): Flaw | null {
    if (typeof value === 'string') return LONE_SURROGATE.test(value) ? 'text' : null;
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return null;
    if (depth === 0) return 'deep';
    // A list's length is known before its items are read.
    if (Array.isArray(value) && value.length > MAX_ITEMS) return 'wide';
    const items = Array.isArray(value) ? (value as unknown[]) : Object.values(value);
    this.values += items.length;
    if (items.length > MAX_ITEMS || this.values > MAX_VALUES) return 'wide';
    let found: Flaw | null = null;
    for (const item of items) {
      const flaw = this.flawOf(item, depth - 1);
      if (flaw === 'deep' || flaw === 'wide') return flaw;
      found ??= flaw;
    }
    return found;
  }
}

/** The 422 naming the fields at fault, if any are: those too deep or too wide, else those with ill-formed text. */
function flawedFields(value: Record<string, unknown>): ApiError | null {
  const walk = new BodyWalk();
  const flawed: [string, Flaw][] = [];
  for (const key of Object.keys(value)) {
    const flaw = walk.flawOf(value[key]);
    if (flaw) flawed.push([key, flaw]);
  }
  if (flawed.length === 0) return null;
  const misshapen = flawed.filter(([, flaw]) => flaw !== 'text');
  const errors: FieldErrors = {};
  for (const [key, flaw] of (misshapen.length ? misshapen : flawed).slice(0, MAX_REPORTED_FIELDS)) {
    const field = shownName(key);
    errors[field] = [FLAW_MESSAGES[flaw](field)];
  }
  return ApiError.validation(errors);
}

/**
 * `whitelist` alone misses fields named like members of Object.prototype (`constructor`,
 * `toString`, `hasOwnProperty`, …): class-transformer does not copy a key whose instance value is
 * a function, Nest deletes `constructor`, `prototype` and `__proto__` before transforming, and
 * class-validator looks fields up in a plain object, where `constructor` is always "known". So
 * the pipe compares the own keys of the value as it came with the DTO's validation metadata
 * first, and any key the DTO does not declare is a 422 whatever its name. Only the top level is
 * checked: no DTO has nested objects (a `@ValidateNested` one would need the same walk).
 */
class StrictValidationPipe extends ValidationPipe {
  constructor(
    options: ValidationPipeOptions,
    private readonly declaredFields: (metatype: Constructor) => Set<string>,
  ) {
    super(options);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (this.toValidate(metadata) && value !== undefined) {
      // Nest would validate an array, a string or null as if it were `{}`.
      if (!isPlainRecord(value)) throw ApiError.field(metadata.type, `The ${metadata.type} must be a JSON object.`);
      const flawed = flawedFields(value);
      if (flawed) throw flawed;
    }
    const unknown = this.undeclaredKeys(value, metadata);
    if (unknown.length === 0) return super.transform(value, metadata);
    const errors: FieldErrors = Object.fromEntries(reported(unknown).map((key) => [shownName(key), [notAllowed(key)]]));
    try {
      // Only the declared fields: class-validator would build an error for every undeclared one.
      await super.transform(declaredPart(value as Record<string, unknown>, new Set(unknown)), metadata);
    } catch (error) {
      // The other bad fields are reported along with the undeclared ones.
      if (!(error instanceof ApiError) || error.status !== 422) throw error;
      Object.assign(errors, error.extra.errors);
    }
    throw ApiError.validation(errors);
  }

  private undeclaredKeys(value: unknown, metadata: ArgumentMetadata): string[] {
    const metatype = metadata.metatype as Constructor | undefined;
    if (!metatype || !this.toValidate(metadata) || !isPlainRecord(value)) return [];
    const declared = this.declaredFields(metatype);
    return Object.keys(value).filter((key) => !declared.has(key));
  }
}

function declaredPart(value: Record<string, unknown>, undeclared: Set<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !undeclared.has(key)));
}

/** The fields a DTO declares, read from class-validator's metadata once per class, not per request. */
function declaredFieldsReader(): (metatype: Constructor) => Set<string> {
  const cache = new WeakMap<Constructor, Set<string>>();
  return (metatype) => {
    let declared = cache.get(metatype);
    if (!declared) {
      const rules = getMetadataStorage().getTargetValidationMetadatas(metatype, '', true, false);
      declared = new Set(rules.map((rule) => rule.propertyName));
      cache.set(metatype, declared);
    }
    return declared;
  };
}

/**
 * The one global pipe: strips nothing silently (unknown fields are a 422, whatever their name),
 * converts query strings to numbers where the DTO says so, and never echoes a submitted value.
 */
export function createValidationPipe(): ValidationPipe {
  keepRuleLookups();
  const declaredFields = declaredFieldsReader();
  return new StrictValidationPipe(
    {
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      validationError: { target: false, value: false },
      stopAtFirstError: true,
      exceptionFactory: (errors) => ApiError.validation(collect(errors, {})),
      transformerPackage: leanTransformer(declaredFields),
    },
    declaredFields,
  );
}
