import 'reflect-metadata';
import { ValidationPipe } from '@nestjs/common';
import { createValidationPipe } from '../src/common/validation/validation.pipe';
import { isCountryCode } from '../src/geo/country-code';
import { CreateSecretDto } from '../src/secrets/dto/create-secret.dto';
import { RevealDto } from '../src/secrets/dto/reveal.dto';

// Nest's own pipe costs seconds on a wide value (it walks every item, some of it twice): the
// app's pipe refuses one before handing it over, whatever the route.
describe('the validation pipe on wide bodies', () => {
  const pipe = createValidationPipe();
  const body = (metatype: unknown) => ({ type: 'body' as const, metatype: metatype as never });
  const nests = jest.spyOn(ValidationPipe.prototype, 'transform');
  const letters = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
  const everyCountry = letters.flatMap((a) => letters.map((b) => a + b)).filter(isCountryCode);

  beforeEach(() => nests.mockClear());
  afterAll(() => nests.mockRestore());

  it.each([
    ['a list of 1,001 items', RevealDto, { passcode: Array(1001).fill(0) }, 'passcode'],
    ['an object of 1,001 keys', RevealDto, { passcode: Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [i, 0])) }, 'passcode'],
    ['more than 10,000 values in all', CreateSecretDto, { allowed_countries: Array(11).fill(Array(1000).fill('DE')) }, 'allowed_countries'],
  ])('refuses %s before Nest’s pipe reads it', async (_what, metatype, value, field) => {
    await expect(pipe.transform(value, body(metatype))).rejects.toMatchObject({
      status: 422,
      extra: { errors: { [field]: [`The ${field.replace(/_/g, ' ')} field holds too many values.`] } },
    });
    expect(nests).not.toHaveBeenCalled();
  });

  it('takes the widest body a route takes: every country', async () => {
    expect(everyCountry.length).toBe(250);
    const value = { content: 'x', expire_mode: 'views', expire_value: 1, allowed_countries: everyCountry };
    await expect(pipe.transform(value, body(CreateSecretDto))).resolves.toEqual(value);
    expect(nests).toHaveBeenCalledTimes(1);
  });
});
