import 'reflect-metadata';
import { PageQuery } from '../src/common/http/pagination';
import { leanTransformer } from '../src/common/validation/lean-transformer';
import { createValidationPipe } from '../src/common/validation/validation.pipe';
import { CreateSecretDto } from '../src/secrets/dto/create-secret.dto';
import { RevealDto } from '../src/secrets/dto/reveal.dto';

// The pipe hands class-transformer only the DTOs whose decorators convert something; a JSON body
// of the others is put on the DTO's prototype as it is. Either way the rules and the answers are the same.
describe('the validation pipe without class-transformer where it buys nothing', () => {
  const pipe = createValidationPipe();
  const body = (metatype: unknown) => ({ type: 'body' as const, metatype: metatype as never });

  it('puts a JSON body on the DTO prototype without copying its values', async () => {
    const countries = ['de', 'FR'];
    const value = { content: 'hello', expire_mode: 'views', expire_value: 1, allowed_countries: countries };
    const dto = (await pipe.transform(value, body(CreateSecretDto))) as CreateSecretDto;
    expect(Object.getPrototypeOf(dto)).toBe(CreateSecretDto.prototype);
    expect(dto).toEqual(value);
    // class-transformer would have made a new array; the body's own one shows it was not run.
    expect(dto.allowed_countries).toBe(countries);
  });

  it('still refuses what the rules refuse, with the same messages', async () => {
    await expect(pipe.transform({ expire_mode: 'views', expire_value: '1' }, body(CreateSecretDto))).rejects.toMatchObject({
      status: 422,
      extra: { errors: { expire_value: ['The expire value field must be an integer.'] } },
    });
    await expect(pipe.transform({ passcode: 5 }, body(RevealDto))).rejects.toMatchObject({ status: 422 });
  });

  it('copies a field named __proto__ as a field, never as the instance’s prototype', () => {
    const transformer = leanTransformer(() => new Set(['passcode']));
    const value = JSON.parse('{"__proto__": {"admin": true}, "passcode": "abcd"}') as object;
    const dto = transformer.plainToInstance(RevealDto, value) as RevealDto & { admin?: boolean };
    expect(Object.getPrototypeOf(dto)).toBe(RevealDto.prototype);
    expect(dto.admin).toBeUndefined();
    expect(Object.keys(dto)).toEqual(['__proto__', 'passcode']);
  });

  it('refuses a field named __proto__ as undeclared', async () => {
    const value = JSON.parse('{"__proto__": {"admin": true}, "passcode": "abcd"}') as object;
    await expect(pipe.transform(value, body(RevealDto))).rejects.toMatchObject({
      status: 422,
      // Parsed, since an object literal's __proto__ would set the prototype rather than name a field.
      extra: { errors: JSON.parse('{"__proto__": ["The __proto__ field is not allowed."]}') },
    });
  });

  it('runs class-transformer for a DTO whose constructor sets a default, so the default applies', () => {
    class WithDefault {
      encryption = 'server';
      label?: string;
    }
    const dto = leanTransformer(() => new Set(['encryption', 'label'])).plainToInstance(WithDefault, { label: 'x' });
    expect(dto).toEqual({ encryption: 'server', label: 'x' });
  });

  it('runs class-transformer for a DTO whose decorators convert (query strings to numbers)', async () => {
    const query = await pipe.transform({ page: '2', per_page: '10' }, { type: 'query', metatype: PageQuery });
    expect(query).toBeInstanceOf(PageQuery);
    expect(query).toEqual({ page: 2, per_page: 10 });
  });
});
