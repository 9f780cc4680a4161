import 'reflect-metadata';
import { getMetadataStorage, IsString, validate } from 'class-validator';
import { createValidationPipe } from '../src/common/validation/validation.pipe';
import { CreateSecretDto } from '../src/secrets/dto/create-secret.dto';

// class-validator filters its whole rule store on every validation; the app's pipe has it keep
// each DTO's rules until a rule is added.
describe('the validation pipe’s rule look-ups', () => {
  const pipe = createValidationPipe();
  const body = (metatype: unknown) => ({ type: 'body' as const, metatype: metatype as never });
  const store = (getMetadataStorage() as unknown as { validationMetadatas: Map<unknown, unknown> }).validationMetadatas;
  const create = { content: 'x', expire_mode: 'views', expire_value: 1 };

  it('reads a DTO’s rules from the store once, not on every validation', async () => {
    await pipe.transform({ ...create }, body(CreateSecretDto));
    const reads = jest.spyOn(store, 'get');
    try {
      await expect(pipe.transform({ ...create }, body(CreateSecretDto))).resolves.toEqual(create);
      await expect(pipe.transform({ ...create, expire_value: 0 }, body(CreateSecretDto))).rejects.toMatchObject({ status: 422 });
      expect(reads.mock.calls.filter(([target]) => target === CreateSecretDto)).toEqual([]);
    } finally {
      reads.mockRestore();
    }
  });

  it('sees a rule added after a class was validated', async () => {
    class Later {
      @IsString()
      name = 'a';
      note: unknown = 5;
    }
    await expect(validate(new Later())).resolves.toEqual([]);
    IsString()(Later.prototype, 'note');
    await expect(validate(new Later())).resolves.toMatchObject([{ property: 'note' }]);
  });
});
